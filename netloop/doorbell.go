package netloop

import (
	"context"
	"net"
	"os"
	"sync/atomic"

	"github.com/panjf2000/gnet/v2"
	"golang.org/x/sys/unix"
)

// doorbell wakes one event loop without allocating: one end of a
// socketpair is enrolled in the loop as a connection, the other end is
// written one byte per wake-up (wake-ups are coalesced by loop.bell, so at
// most one byte is in flight). gnet's own cross-goroutine calls (Execute,
// Wake, AsyncWrite) allocate a closure each. BenchmarkWake compares both:
// the same latency and throughput within measurement noise, 0 allocations
// per wake-up instead of 2 (64 B).
type doorbell struct {
	lp   *loop
	w    *os.File // write end; os.File makes Close safe against racing writes
	open atomic.Bool
}

// one is the byte written to ring.
var one = []byte{1}

// ring writes the wake-up byte. It reports false when the doorbell cannot
// be used (closed).
func (db *doorbell) ring() bool {
	if !db.open.Load() {
		return false
	}
	_, err := db.w.Write(one)
	return err == nil
}

// doorbellsEnabled switches doorbells off for measurements (tests only):
// loops are then woken through gnet's Execute.
var doorbellsEnabled = true

// enrollDoorbell creates lp's doorbell and enrolls its read end in the
// loop; the loop starts using it once gnet has opened it (OnOpen). Until
// then ring falls back to gnet's task queue.
func (s *Server) enrollDoorbell(lp *loop) {
	if !doorbellsEnabled {
		return
	}
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		s.log.Warn("doorbell socketpair", "error", err)
		return
	}
	rf := os.NewFile(uintptr(fds[0]), "doorbell-r")
	nc, err := net.FileConn(rf) // duplicates the descriptor
	_ = rf.Close()
	if err != nil {
		_ = unix.Close(fds[1])
		s.log.Warn("doorbell conn", "error", err)
		return
	}
	db := &doorbell{lp: lp, w: os.NewFile(uintptr(fds[1]), "doorbell-w")}
	s.addDoorbell(db)
	// gnet duplicates nc's descriptor and closes nc itself
	ch, err := lp.el.Enroll(gnet.NewContext(context.Background(), db), nc)
	if err != nil {
		_ = nc.Close()
		s.log.Debug("doorbell enroll", "error", err)
		return
	}
	go func() {
		if res := <-ch; res.Err != nil {
			s.log.Debug("doorbell enroll", "error", res.Err)
		}
	}()
}

// opened runs in OnOpen of the doorbell's connection, on its loop.
func (db *doorbell) opened() {
	db.open.Store(true)
	db.lp.db.Store(db)
	db.lp.ring() // anything posted before the doorbell existed
}

// onTraffic consumes the wake-up bytes and does the loop's pending work.
func (db *doorbell) onTraffic(gc gnet.Conn) gnet.Action {
	_, _ = gc.Discard(-1)
	db.lp.onBell()
	return gnet.None
}

// closed runs when gnet closes the doorbell (engine stop).
func (db *doorbell) closed() {
	db.open.Store(false)
	db.lp.db.CompareAndSwap(db, nil)
}

// close releases the write end (after the engine stopped).
func (db *doorbell) close() {
	db.open.Store(false)
	_ = db.w.Close()
}
