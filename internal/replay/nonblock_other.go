//go:build !unix

package replay

import "net"

// readNonblocking is not available here; the caller waits briefly instead.
func readNonblocking(net.Conn, []byte) (n int, ok bool, err error) { return 0, false, nil }
