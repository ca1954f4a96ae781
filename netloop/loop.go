package netloop

import (
	"context"
	"github.com/busrt-go/busrt/bus"
	"sync"
	"sync/atomic"

	"github.com/panjf2000/gnet/v2"
)

// loop is netloop's state for one gnet event loop.
//
// Fields marked "loop" are touched only by the loop's goroutine (gnet
// callbacks and the work its doorbell triggers). The inbox is how other
// goroutines hand it connections with new output or a close request.
type loop struct {
	srv *Server
	el  gnet.EventLoop

	// loop
	now      int64        // monoNow at the start of the current callback
	conns    []*conn      // every open connection of this loop (sweeps)
	dirty    []*conn      // connections with output routed from this loop
	rings    []*loop      // other loops that got output during this batch
	flushNow bool         // end the batch after the current frame
	scratch  *bus.Scratch // routing state, passed as origin to Process (Owner: this loop)

	// shared
	inboxMu sync.Mutex
	inbox   []*conn // guarded by inboxMu
	spare   []*conn // loop: the drained inbox, reused

	bell     atomic.Bool // a wake-up is on its way and not yet handled
	sweepDue atomic.Bool // the ticker asked for a timer sweep
	drainDue atomic.Bool // shutdown asked for a full flush
	ttlDue   atomic.Bool // outside producers queued non-realtime output
	db       atomic.Pointer[doorbell]

	wakes       atomic.Uint64 // doorbell wake-ups handled (tests, stats)
	drainGen    atomic.Uint64 // last drain generation handled
	outstanding atomic.Int64  // bytes not yet taken by the kernel at that drain
}

var _ gnet.Runnable = (*loop)(nil)

func (lp *loop) addConn(c *conn) {
	c.idx = len(lp.conns)
	lp.conns = append(lp.conns, c)
}

func (lp *loop) removeConn(c *conn) {
	i := c.idx
	if i < 0 || i >= len(lp.conns) || lp.conns[i] != c {
		return
	}
	last := len(lp.conns) - 1
	lp.conns[i] = lp.conns[last]
	lp.conns[i].idx = i
	lp.conns[last] = nil
	lp.conns = lp.conns[:last]
	c.idx = -1
}

// markDirty lists c for the flush at the end of this loop's batch (loop).
func (lp *loop) markDirty(c *conn) {
	if !c.inDirty {
		c.inDirty = true
		lp.dirty = append(lp.dirty, c)
	}
}

// addRing notes that loop t must be woken at the end of this batch (loop).
func (lp *loop) addRing(t *loop) {
	for _, r := range lp.rings {
		if r == t {
			return
		}
	}
	lp.rings = append(lp.rings, t)
}

// endBatch flushes the connections this loop routed output to and wakes
// the other loops that got some (loop). Never call it while a frame is
// being routed: a failed write closes its connection on the spot.
func (lp *loop) endBatch() {
	lp.flushNow = false
	for i := 0; i < len(lp.dirty); i++ {
		c := lp.dirty[i]
		lp.dirty[i] = nil
		c.inDirty = false
		c.flush()
	}
	lp.dirty = lp.dirty[:0]
	for i, t := range lp.rings {
		lp.rings[i] = nil
		t.ring()
	}
	lp.rings = lp.rings[:0]
}

// post hands c to the loop's inbox. Safe from any goroutine; the caller
// set c.inInbox under c.mu, so c is listed once.
func (lp *loop) post(c *conn) {
	lp.inboxMu.Lock()
	lp.inbox = append(lp.inbox, c)
	lp.inboxMu.Unlock()
}

// ring wakes the loop unless a wake-up is already on its way. Safe from
// any goroutine; allocation-free once the doorbell is enrolled.
func (lp *loop) ring() {
	if lp.bell.Load() || lp.bell.Swap(true) {
		return
	}
	if db := lp.db.Load(); db != nil && db.ring() {
		return
	}
	// no doorbell yet (the loop's first connection is opening it) or it is
	// gone: gnet's task queue (allocates a closure; rare)
	if err := lp.el.Execute(context.Background(), lp); err != nil {
		lp.bell.Store(false)
	}
}

// Run is the doorbell's work when it comes through gnet's task queue.
func (lp *loop) Run(context.Context) error {
	lp.onBell()
	return nil
}

// onBell does what other goroutines asked for (loop): flush the
// connections in the inbox, apply close requests, and run a timer sweep or
// a shutdown drain when due.
func (lp *loop) onBell() {
	lp.wakes.Add(1)
	lp.now = monoNow()
	lp.bell.Store(false) // before taking the inbox: later posts ring again
	lp.inboxMu.Lock()
	in := lp.inbox
	lp.inbox = lp.spare[:0]
	lp.inboxMu.Unlock()
	for i, c := range in {
		in[i] = nil
		c.flush()
		c.applyClose()
	}
	lp.spare = in[:0]
	if lp.sweepDue.Swap(false) {
		lp.sweep()
	}
	if lp.drainDue.Load() {
		lp.drain()
	}
	lp.endBatch()
}
