package main

import (
	"errors"
	"time"

	"golang.org/x/sys/unix"
)

// waitExit waits for process pid, which is not our child, to exit: its
// pidfd becomes readable then.
func waitExit(pid int, d time.Duration) error {
	fd, err := unix.PidfdOpen(pid, 0)
	if errors.Is(err, unix.ESRCH) {
		return nil // already gone
	}
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	n, err := unix.Poll(fds, int(d.Milliseconds()))
	if err != nil {
		return err
	}
	if n == 0 {
		return errors.New("daemon did not exit")
	}
	return nil
}
