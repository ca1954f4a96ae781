//go:build linux

package rtclient

import (
	"os"
	"sync"

	"golang.org/x/sys/unix"
)

// Hang-up watcher. The raw reader waits for readiness right after a short
// read (socket_read.go). That is safe for data, whose every arrival is a new
// edge, but not for the end of the stream: when the broker's last bytes and
// its FIN (or a reset) arrive before the reader wakes, Go's poller reports
// them as one readiness, the short read returns the bytes, and nothing ever
// wakes the reader to read the EOF. (Pollers that keep a "read closed" flag,
// such as tokio's, avoid this; Go's does not report EPOLLRDHUP.)
//
// So every raw client socket is also registered, for EPOLLRDHUP only (plus
// the implied EPOLLHUP and EPOLLERR), edge-triggered, in one process-wide
// epoll instance, which Go's poller watches like any descriptor. Data
// arriving on a socket does not wake it (its readiness is filtered out by
// the kernel); a peer that closes or resets does, once: the watcher then
// tells the client's reader to read until EAGAIN from now on and shuts the
// socket's read side down, which is a new edge that wakes the reader. The
// reader reads what is left, then the EOF.

type hupWatcher struct {
	epfd int
	file *os.File // epfd, registered with Go's poller

	mu      sync.Mutex
	clients map[int32]*SocketClient
	nextID  int32
	dead    bool // the watcher failed: nobody may skip the EAGAIN read
}

var (
	hupOnce sync.Once
	hupW    *hupWatcher // nil: no watcher on this system
)

// startHupWatcher creates the watcher, or leaves hupW nil.
func startHupWatcher() {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return
	}
	if err := unix.SetNonblock(epfd, true); err != nil {
		_ = unix.Close(epfd)
		return
	}
	f := os.NewFile(uintptr(epfd), "rtclient-hangups")
	// A descriptor that Go's poller cannot watch has no deadlines.
	if f.SetReadDeadline(noDeadline) != nil {
		_ = f.Close()
		return
	}
	raw, err := f.SyscallConn()
	if err != nil {
		_ = f.Close()
		return
	}
	w := &hupWatcher{epfd: epfd, file: f, clients: map[int32]*SocketClient{}}
	hupW = w
	go w.run(raw)
}

// run reports hang-ups until the watcher fails.
func (w *hupWatcher) run(raw interface {
	Read(func(uintptr) bool) error
}) {
	var evs [64]unix.EpollEvent
	var cs []*SocketClient
	_ = raw.Read(func(uintptr) bool {
		for {
			n, err := unix.EpollWait(w.epfd, evs[:], 0)
			if err == unix.EINTR {
				continue
			}
			if err != nil {
				return true
			}
			cs = cs[:0]
			w.mu.Lock()
			for _, ev := range evs[:n] {
				if c := w.clients[ev.Fd]; c != nil {
					cs = append(cs, c)
				}
			}
			w.mu.Unlock()
			for _, c := range cs {
				c.hangUp()
			}
			if n < len(evs) {
				return false // drained (edge-triggered registrations)
			}
		}
	})
	// Unreachable unless epoll fails: from now on every reader reads until
	// EAGAIN (a reader already waiting after a short read is not woken).
	w.mu.Lock()
	w.dead = true
	for _, c := range w.clients {
		c.drainRead.Store(true)
	}
	w.mu.Unlock()
}

// watchHangUp registers c's socket with the watcher and reports whether its
// reader may skip the EAGAIN read after a short read.
func (c *SocketClient) watchHangUp() bool {
	hupOnce.Do(startHupWatcher)
	w := hupW
	if w == nil || c.raw == nil {
		return false
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.dead {
		return false
	}
	for {
		w.nextID++
		if w.nextID <= 0 {
			w.nextID = 1
		}
		if w.clients[w.nextID] == nil {
			break
		}
	}
	id := w.nextID
	var err error
	cerr := c.raw.Control(func(fd uintptr) {
		ev := unix.EpollEvent{Events: unix.EPOLLRDHUP | unix.EPOLLET, Fd: id}
		err = unix.EpollCtl(w.epfd, unix.EPOLL_CTL_ADD, int(fd), &ev)
	})
	if err != nil || cerr != nil {
		return false
	}
	w.clients[id] = c
	c.hupID = id
	return true
}

// unwatchHangUp removes c's socket from the watcher; the reader calls it
// before it closes the socket.
func (c *SocketClient) unwatchHangUp() {
	w := hupW
	if w == nil || c.hupID == 0 {
		return
	}
	w.mu.Lock()
	delete(w.clients, c.hupID)
	w.mu.Unlock()
	_ = c.raw.Control(func(fd uintptr) {
		_ = unix.EpollCtl(w.epfd, unix.EPOLL_CTL_DEL, int(fd), nil)
	})
}

// hangUp makes the reader read c's socket to its end: the peer closed it or
// it failed.
func (c *SocketClient) hangUp() {
	c.drainRead.Store(true)
	// A new readiness edge for the reader, which may be waiting after a
	// short read; reading the data still queued then the EOF is unaffected.
	_ = c.raw.Control(func(fd uintptr) { _ = unix.Shutdown(int(fd), unix.SHUT_RD) })
}
