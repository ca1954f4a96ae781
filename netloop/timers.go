package netloop

import (
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"
)

// sweep enforces every per-connection deadline of this loop and queues the
// broker pings that are due (loop). The ticker asks for it through the
// doorbell: one wake-up per loop per tick, not one per connection.
//
//   - handshake: each step within T, else close silently;
//   - framed: the next header within 1.25 T of the previous frame (or of
//     registration), a started body within T;
//   - output: the kernel must take bytes at least once every T while any
//     are waiting (write stall);
//   - pings: every T/2 after registration, through the normal queue; a
//     full queue at that moment drops the client (Client.Overflow);
//   - parked senders resume once their own queue has room;
//   - connections closing after Disconnect(true) close when their output
//     is gone, or after T.
func (lp *loop) sweep() {
	now := lp.now
	t := int64(lp.srv.timeout)
	idle := t + t/4
	for i := len(lp.conns) - 1; i >= 0; i-- {
		if i >= len(lp.conns) {
			continue // closes during the sweep shrank the list
		}
		c := lp.conns[i]
		if c.state != stateFramed {
			if now > c.deadline {
				lp.srv.log.Debug("handshake timeout", "listener", c.ls.cfg.Addr)
				c.closeConn()
			}
			continue
		}
		c.refresh()
		if c.closed {
			continue
		}
		c.releaseIdle()
		if c.lingerUntil != 0 {
			if c.gc.OutboundBuffered() == 0 || now > c.lingerUntil {
				c.closeConn()
			}
			continue
		}
		if c.dying.Load() {
			continue // a close request is on its way through the inbox
		}
		if c.gc.OutboundBuffered() > 0 && now-c.progressAt > t {
			lp.srv.log.Info("client write timeout", "listener", c.ls.cfg.Addr, "client", c.name())
			c.closeConn()
			continue
		}
		if c.parked && c.queued.Load() < int32(c.limit) {
			c.idleFrom = now
			if c.readFrames() != gnet.None {
				c.closeConn()
				continue
			}
			if c.closed {
				continue
			}
		}
		switch {
		case c.headerAt != 0:
			if now-c.headerAt > t {
				lp.srv.log.Info("client body timeout", "listener", c.ls.cfg.Addr, "client", c.name())
				c.closeConn()
				continue
			}
		case !c.parked && now-c.idleFrom > idle:
			lp.srv.log.Info("client idle timeout", "listener", c.ls.cfg.Addr, "client", c.name())
			c.closeConn()
			continue
		}
		if now >= c.nextPing {
			c.nextPing += t / 2
			if c.nextPing <= now {
				c.nextPing = now + t/2
			}
			if !c.queuePing() {
				c.client.Overflow() // closes through Disconnect(true)
			}
		}
	}
}

// drain flushes everything this loop holds and reports how many bytes the
// kernel has not taken yet (shutdown; loop).
func (lp *loop) drain() {
	var left int64
	for i := len(lp.conns) - 1; i >= 0; i-- {
		if i >= len(lp.conns) {
			continue // a failed write closed connections: the list shrank
		}
		c := lp.conns[i]
		c.flush()
		if !c.closed {
			left += int64(c.gc.OutboundBuffered())
		}
	}
	lp.outstanding.Store(left)
	lp.drainGen.Store(lp.srv.drainGen.Load())
}

// ttlFlusher wakes loops whose connections got non-realtime output from
// producers outside any loop, at most BufTTL after the first such frame,
// so a burst from `.broker` or an embedded client costs one wake-up.
type ttlFlusher struct {
	srv   *Server
	ttl   time.Duration
	armed atomic.Bool
	kick  chan struct{}
	quit  chan struct{}
}

func newTTLFlusher(s *Server, ttl time.Duration) *ttlFlusher {
	return &ttlFlusher{srv: s, ttl: ttl, kick: make(chan struct{}, 1), quit: make(chan struct{})}
}

// schedule asks for lp to be woken within the TTL. Safe from any goroutine.
func (f *ttlFlusher) schedule(lp *loop) {
	lp.ttlDue.Store(true)
	if f.armed.Load() || f.armed.Swap(true) {
		return
	}
	select {
	case f.kick <- struct{}{}:
	default:
	}
}

func (f *ttlFlusher) run() {
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		select {
		case <-f.kick:
		case <-f.quit:
			return
		}
		timer.Reset(f.ttl)
		select {
		case <-timer.C:
		case <-f.quit:
			return
		}
		f.armed.Store(false) // before the scan: later schedules kick again
		for _, lp := range f.srv.loopList() {
			if lp.ttlDue.Swap(false) {
				lp.ring()
			}
		}
	}
}
