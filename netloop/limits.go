package netloop

import "golang.org/x/sys/unix"

// maxConnsFromRlimit caps connections below RLIMIT_NOFILE: gnet ends the
// whole engine when accept fails with EMFILE, so keep spare descriptors for
// listeners, doorbells, files and a burst of accepts that the loops have not
// opened yet (each refused connection frees its descriptor at once).
func maxConnsFromRlimit() int {
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &rl); err != nil || rl.Cur == unix.RLIM_INFINITY {
		return 1 << 20
	}
	n := int(min(rl.Cur, 1<<30))
	spare := max(64, n/8)
	if n <= spare {
		return max(1, n/2)
	}
	return n - spare
}
