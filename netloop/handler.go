package netloop

import (
	"time"

	"github.com/panjf2000/gnet/v2"
	"golang.org/x/sys/unix"
)

// handler receives gnet's events.
type handler struct {
	gnet.BuiltinEventEngine
	s *Server
}

// OnBoot runs once the listeners are bound, before any connection.
func (h *handler) OnBoot(eng gnet.Engine) gnet.Action {
	if err := h.s.boot(eng); err != nil {
		h.s.bootErr = err
		return gnet.Shutdown
	}
	return gnet.None
}

// OnOpen writes the greeting (PROTOCOL.md §4.1: the broker speaks first),
// or refuses the connection at once when the server is closing or full.
func (h *handler) OnOpen(gc gnet.Conn) ([]byte, gnet.Action) {
	if db, ok := gc.Context().(*doorbell); ok {
		db.opened()
		return nil, gnet.None
	}
	s := h.s
	if s.closing.Load() {
		return nil, gnet.Close
	}
	if s.open.Add(1) > s.maxConns {
		s.open.Add(-1)
		s.log.Warn("connection refused: too many connections", "max", s.maxConns)
		return nil, gnet.Close
	}
	ls := s.listenerOf(gc)
	if ls == nil {
		s.open.Add(-1)
		s.log.Warn("connection refused: unknown listener", "local", gc.LocalAddr())
		return nil, gnet.Close
	}
	lp := s.loopOf(gc.EventLoop())
	lp.now = monoNow()
	c := s.openConn(gc, ls, lp)
	gc.SetContext(c)
	return greeting, gnet.None
}

// OnClose releases the connection and unregisters its client.
func (h *handler) OnClose(gc gnet.Conn, err error) gnet.Action {
	switch v := gc.Context().(type) {
	case *conn:
		v.onClose(err)
	case *doorbell:
		v.closed()
	}
	return gnet.None
}

// OnTraffic decodes input: handshake steps, then frames.
func (h *handler) OnTraffic(gc gnet.Conn) gnet.Action {
	switch v := gc.Context().(type) {
	case *conn:
		return v.onTraffic()
	case *doorbell:
		return v.onTraffic(gc)
	}
	_, _ = gc.Discard(-1)
	return gnet.None
}

// OnTick runs on gnet's ticker goroutine: it asks every loop for a timer
// sweep through its doorbell.
func (h *handler) OnTick() (time.Duration, gnet.Action) {
	s := h.s
	s.startOnce.Do(func() { close(s.started) })
	for _, lp := range s.loopList() {
		lp.sweepDue.Store(true)
		lp.ring()
	}
	return s.tick, gnet.None
}

// matchListener asks the kernel for an accepted socket's local address
// and finds the listener it belongs to.
func (s *Server) matchListener(fd int) *listenerState {
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return nil
	}
	for _, ls := range s.lss {
		if ls.matches(sa) {
			return ls
		}
	}
	return nil
}
