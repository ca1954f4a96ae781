//go:build linux || darwin || freebsd || netbsd || openbsd

package benchmarks

import (
	"os"
	"syscall"
	"unsafe"
)

// windowWidth returns the terminal's column count (TIOCGWINSZ), or 0.
func windowWidth(f *os.File) int {
	var ws struct{ rows, cols, x, y uint16 }
	_, _, errno := syscall.Syscall(syscall.SYS_IOCTL, f.Fd(), uintptr(syscall.TIOCGWINSZ), uintptr(unsafe.Pointer(&ws)))
	if errno != 0 {
		return 0
	}
	return int(ws.cols)
}
