//go:build !unix

package rtclient

import (
	"net"
	"syscall"
)

// rawConnOf returns nil: the reader reads through net.Conn.Read.
func rawConnOf(net.Conn) syscall.RawConn { return nil }

func sysRead(uintptr, []byte) (int, bool, error) { return 0, false, syscall.EINVAL }

func sysShutdown(uintptr) {}
