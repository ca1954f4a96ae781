package main

import (
	"errors"
	"time"

	"golang.org/x/sys/unix"
)

// waitExit waits for process pid, which is not our child, to exit: a
// kqueue EVFILT_PROC NOTE_EXIT event fires then.
func waitExit(pid int, d time.Duration) error {
	kq, err := unix.Kqueue()
	if err != nil {
		return err
	}
	defer unix.Close(kq)
	ev := []unix.Kevent_t{{Ident: uint64(pid), Filter: unix.EVFILT_PROC, Flags: unix.EV_ADD | unix.EV_ONESHOT, Fflags: unix.NOTE_EXIT}}
	if _, err := unix.Kevent(kq, ev, nil, nil); err != nil {
		if errors.Is(err, unix.ESRCH) {
			return nil // already gone
		}
		return err
	}
	ts := unix.NsecToTimespec(d.Nanoseconds())
	out := make([]unix.Kevent_t, 1)
	n, err := unix.Kevent(kq, nil, out, &ts)
	if err != nil {
		return err
	}
	if n == 0 {
		return errors.New("daemon did not exit")
	}
	return nil
}
