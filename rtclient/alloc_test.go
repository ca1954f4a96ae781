//go:build !race

package rtclient_test

import (
	"context"
	"runtime"
	"testing"

	"github.com/panjf2000/gnet/v2/pkg/pool/goroutine"

	"github.com/busrt-go/busrt/gen"
	"github.com/busrt-go/busrt/proto"
	"github.com/busrt-go/busrt/rtclient"
)

// Allocation guards (STYLE.md, DECISIONS.md): the hot paths of a warm
// client allocate nothing. testing.AllocsPerRun rounds down, so each case is
// also run many times between two runtime.MemStats readings whose Mallocs
// must not move. The exact counts run first: AllocsPerRun changes
// GOMAXPROCS, after which the runtime allocates for new threads (counted by
// MemStats too); a thread start-up does not repeat, so an exact count gets
// three attempts. The race detector allocates, hence the build tag.
//
// MemStats counts the whole process, so the socket cases talk to a broker in
// a child process. The exact count runs with one P, as AllocsPerRun does,
// and starts after warm runs that follow a GC (a GC empties every
// sync.Pool's per-P array). With several Ps, a goroutine that parks (the
// flusher waiting for work, a sender waiting for the write lock) takes a
// sudog from its P's cache and may give it back to another P's, and the
// runtime then allocates a fresh one now and then (measured: about one per
// 30 000 sends); that is the runtime balancing its caches, not an
// allocation of the send path, and one P keeps it out of the count.
//
// Round trips (an ACK or a reply waited for) are guarded by AllocsPerRun
// only: they park and wake several goroutines per run, and now and then the
// runtime or the handler worker pool allocates for that (a sudog, a worker
// started because the previous one had not yet gone back to waiting);
// measured: a few per 15 000 calls, not per frame.

type allocCase struct {
	name string
	f    func()
}

func mallocs(runs int, f func()) uint64 {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	var m0, m1 runtime.MemStats
	runtime.GC()
	for range 2000 {
		f()
	}
	runtime.ReadMemStats(&m0)
	for range runs {
		f()
	}
	runtime.ReadMemStats(&m1)
	return m1.Mallocs - m0.Mallocs
}

func assertNoAllocs(t *testing.T, cases ...allocCase) {
	t.Helper()
	stopGnetClock()
	for _, c := range cases {
		for range 200 { // warm pools, buffers and worker goroutines
			c.f()
		}
	}
	for _, c := range cases {
		var d uint64
		for range 3 {
			if d = mallocs(5000, c.f); d == 0 {
				break
			}
		}
		if d != 0 {
			t.Errorf("%s: %d mallocs over 5000 runs", c.name, d)
		}
	}
	for _, c := range cases {
		if a := testing.AllocsPerRun(1000, c.f); a != 0 {
			t.Errorf("%s: %v allocs per run", c.name, a)
		}
	}
}

// stopGnetClock releases the goroutine pool that gnet's package init starts
// (goroutine.DefaultWorkerPool, used by gnet only on Windows): its clock
// goroutine allocates twice a second, which an exact count of this process
// would see. The brokers of the guards run in a child process.
func stopGnetClock() { goroutine.DefaultWorkerPool.Release() }

// assertNoAllocsPerRun guards round trips with testing.AllocsPerRun only
// (see above).
func assertNoAllocsPerRun(t *testing.T, cases ...allocCase) {
	t.Helper()
	for _, c := range cases {
		for range 200 {
			c.f()
		}
		if a := testing.AllocsPerRun(2000, c.f); a != 0 {
			t.Errorf("%s: %v allocs per run", c.name, a)
		}
	}
}

func must(t *testing.T, err error) {
	if err != nil {
		t.Fatal(err)
	}
}

// socketClients connects name over UNIX and over TCP to a broker in a child
// process, so that only the client's allocations are counted here.
func socketClients(t *testing.T, bp *brokerProcess, name string) map[string]rtclient.Client {
	t.Helper()
	out := map[string]rtclient.Client{}
	for kind, addr := range map[string]string{"unix": bp.unix, "tcp": bp.tcp} {
		c, err := rtclient.Dial(context.Background(), addr, rtclient.Config{Name: name + "." + kind})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
		out[kind] = c
	}
	return out
}

func TestAllocSend(t *testing.T) {
	ctx := context.Background()
	payload := make([]byte, 100)
	var cases, roundTrips []allocCase
	clients := socketClients(t, startBrokerProcess(t), "alloc.send")
	for _, kind := range []string{"unix", "tcp"} {
		c := clients[kind]
		c.SetHandler(func(f *rtclient.Frame) { f.Release() })
		cases = append(cases,
			allocCase{kind + " send QoS No", func() { must(t, c.Send(ctx, "alloc.absent", payload, proto.QoSNo)) }},
			allocCase{kind + " publish QoS No", func() { must(t, c.Publish(ctx, "alloc/topic", payload, proto.QoSNo)) }},
			allocCase{kind + " broadcast QoS No", func() { must(t, c.Broadcast(ctx, "alloc.absent.*", payload, proto.QoSNo)) }},
			allocCase{kind + " publish-for QoS No", func() { must(t, c.PublishFor(ctx, "alloc/topic", "alloc.absent", payload, proto.QoSNo)) }},
		)
		roundTrips = append(roundTrips,
			allocCase{kind + " send+ACK round trip", func() { must(t, c.Send(ctx, c.Name(), payload, proto.QoSRealtimeProcessed)) }},
			allocCase{kind + " publish+ACK", func() { must(t, c.Publish(ctx, "alloc/topic", payload, proto.QoSRealtimeProcessed)) }},
		)
	}
	// In-process: the broker's own allocations would be counted too, so
	// only the paths where the broker allocates nothing are guarded (bus
	// allocates the topic of an embedded publication).
	e := startBroker(t, "embedded").connect(t, "alloc.send")
	cases = append(cases, allocCase{"embedded send QoS No", func() { must(t, e.Send(ctx, "alloc.absent", payload, proto.QoSNo)) }})
	assertNoAllocs(t, cases...)
	assertNoAllocsPerRun(t, roundTrips...)
}

func TestAllocRPC(t *testing.T) {
	ctx := context.Background()
	params := make([]byte, 100)
	stats := gen.Stats{Uptime: 1, RFrames: 2, RBytes: 3}
	var cases, roundTrips []allocCase
	bp := startBrokerProcess(t)
	callers := socketClients(t, bp, "alloc.caller")
	callees := socketClients(t, bp, "alloc.callee")
	tb := startBroker(t, "embedded")
	callers["embedded"] = tb.connect(t, "alloc.caller")
	callees["embedded"] = tb.connect(t, "alloc.callee")
	for _, kind := range transports {
		caller := rtclient.NewRPC(callers[kind], rtclient.RPCConfig{})
		callee := rtclient.NewRPC(callees[kind], rtclient.RPCConfig{})
		callee.Handle("echo", func(_ context.Context, ev *rtclient.Event) ([]byte, error) {
			return append(ev.Buffer(), ev.Payload...), nil
		})
		call := func(target, method string) func() {
			return func() {
				rep, err := caller.Call(ctx, target, method, params, proto.QoSRealtimeProcessed)
				if err != nil {
					t.Fatalf("call %s %s: %v", target, method, err)
				}
				must(t, err)
				rep.Release()
			}
		}
		cases = append(cases,
			// The encode path: request header, params and frame into the
			// write buffer, nothing waited for.
			allocCase{kind + " call0 encode", func() { must(t, caller.Call0(ctx, "alloc.absent", "method", params, proto.QoSNo)) }},
			allocCase{kind + " typed call0 encode", func() { must(t, rtclient.Call0Msg(ctx, caller, "alloc.absent", "method", &stats, proto.QoSNo)) }},
			allocCase{kind + " notify encode", func() { must(t, caller.Notify(ctx, "alloc.absent", params, proto.QoSNo)) }},
		)
		if kind != "embedded" { // round trips through the in-process broker count its pools too
			roundTrips = append(roundTrips,
				allocCase{kind + " call .broker benchmark.test", call(".broker", "benchmark.test")},
				allocCase{kind + " call rtclient handler", call(callee.Client().Name(), "echo")},
			)
		}
	}
	assertNoAllocs(t, cases...)
	assertNoAllocsPerRun(t, roundTrips...)
}
