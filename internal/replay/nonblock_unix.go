//go:build unix

package replay

import (
	"errors"
	"io"
	"net"
	"syscall"
)

// readNonblocking reads whatever is already readable on nc without waiting:
// the runtime keeps the socket in non-blocking mode, so one read(2) returns
// at once. It returns n > 0 with the bytes, io.EOF when the peer closed,
// (0, nil) when nothing is readable yet, or the read error. ok is false when
// nc offers no raw access; the caller then waits briefly instead.
func readNonblocking(nc net.Conn, p []byte) (n int, ok bool, err error) {
	sc, isSys := nc.(syscall.Conn)
	if !isSys {
		return 0, false, nil
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return 0, false, nil
	}
	var rn int
	var rerr error
	cerr := raw.Read(func(fd uintptr) bool {
		for {
			rn, rerr = syscall.Read(int(fd), p)
			if rerr != syscall.EINTR {
				return true // never wait for readiness
			}
		}
	})
	switch {
	case cerr != nil:
		return 0, true, cerr
	case rerr == syscall.EAGAIN || errors.Is(rerr, syscall.EWOULDBLOCK):
		return 0, true, nil
	case rerr != nil:
		return 0, true, rerr
	case rn == 0:
		return 0, true, io.EOF
	}
	return rn, true, nil
}
