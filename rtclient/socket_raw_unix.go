//go:build unix

package rtclient

import (
	"net"
	"syscall"
)

// rawConnOf returns conn's RawConn when the reader can read it with read(2)
// itself (see socket_read.go), or nil.
func rawConnOf(conn net.Conn) syscall.RawConn {
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return nil
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	return raw
}

// sysRead is read(2) on a non-blocking descriptor, retried on EINTR;
// wouldBlock reports that nothing was there to read.
func sysRead(fd uintptr, p []byte) (n int, wouldBlock bool, err error) {
	for {
		n, err = syscall.Read(int(fd), p)
		switch err {
		case nil:
			return n, false, nil
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return 0, true, nil
		}
		return 0, false, err
	}
}

// sysShutdown shuts both directions of a socket down.
func sysShutdown(fd uintptr) { _ = syscall.Shutdown(int(fd), syscall.SHUT_RDWR) }
