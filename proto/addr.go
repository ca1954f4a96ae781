package proto

import "strings"

// IsUnixAddr reports whether a bind or connect address names a UNIX
// socket, with upstream's rule (PROTOCOL.md §2): it ends with .sock,
// .socket or .ipc, or starts with "/". Anything else (but ws:// and
// wss://) is a TCP host:port.
func IsUnixAddr(addr string) bool {
	return strings.HasPrefix(addr, "/") || strings.HasSuffix(addr, ".sock") ||
		strings.HasSuffix(addr, ".socket") || strings.HasSuffix(addr, ".ipc")
}
