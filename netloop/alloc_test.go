//go:build !race

package netloop

import (
	"runtime"
	"runtime/debug"
	"testing"
	"time"

	"github.com/panjf2000/gnet/v2/pkg/pool/goroutine"
)

// TestAllocsSteadyState: pushing frames through real connections costs no
// allocation in steady state on the message, publish and ack paths, with
// sender and receiver on one loop and on two (doorbell). Guarded twice
// (DECISIONS.md): testing.AllocsPerRun rounds down, so the process-wide
// malloc count over many runs must also be exactly zero.
func TestAllocsSteadyState(t *testing.T) {
	for _, loops := range []int{1, 2} {
		for _, nw := range []string{"unix", "tcp"} {
			p := newPathPair(t, loops, nw)
			quiet := quietBackground(t)
			// No GC during the measurements: a collection empties the
			// sync.Pools (bus's routing scratch among them), and refilling
			// them would be charged to the frames. Allocations still count.
			runtime.GC()
			gcPercent := debug.SetGCPercent(-1)
			for _, c := range p.cases {
				// a few sweeps first: connections that go quiet in this
				// case hand their buffers back to the pools now, not
				// during the measurement
				for end := time.Now().Add(3 * tickInterval(time.Hour)); time.Now().Before(end); {
					p.roundTrip(t, c)
				}
				if a := testing.AllocsPerRun(1000, func() { p.roundTrip(t, c) }); a != 0 {
					t.Errorf("%s loops=%d %s: %v allocs per frame", nw, loops, c.name, a)
				}
				if d := zeroMallocWindow(func() { p.roundTrip(t, c) }); d != nil {
					t.Errorf("%s loops=%d %s: mallocs per 5000-frame window: %v", nw, loops, c.name, d)
				}
			}
			debug.SetGCPercent(gcPercent)
			quiet()
			p.ts.stop()
		}
	}
}

// zeroMallocWindow runs f in windows of 5000 calls and returns nil as soon
// as one window shows exactly zero mallocs process-wide, or the malloc
// counts of all windows. A cost per frame or per batch shows in every
// window; the Go runtime's one-off allocations (a new OS thread when a
// loop blocks in a syscall, a sudog when a lock is contended for the first
// time on a P) cannot repeat in every one.
func zeroMallocWindow(f func()) []uint64 {
	const runs, windows = 5000, 5
	var deltas []uint64
	for range windows {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for range runs {
			f()
		}
		runtime.ReadMemStats(&after)
		d := after.Mallocs - before.Mallocs
		if d == 0 {
			return nil
		}
		deltas = append(deltas, d)
	}
	return deltas
}

// quietBackground stops gnet's global goroutine pool for the test: its
// clock goroutine stores a time.Time in an atomic.Value every 500 ms (one
// 24-byte allocation each), which a process-wide malloc count would
// charge to the frames. netloop uses the pool only to enroll doorbells,
// which newPathPair has done before measuring.
// It returns the function that restarts the pool.
func quietBackground(t *testing.T) (restart func()) {
	if err := goroutine.DefaultWorkerPool.ReleaseTimeout(5 * time.Second); err != nil {
		t.Logf("release gnet pool: %v", err)
	}
	return goroutine.DefaultWorkerPool.Reboot
}
