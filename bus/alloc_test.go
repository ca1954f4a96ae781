//go:build !race

package bus

import (
	"runtime"
	"testing"

	"github.com/busrt-go/busrt/proto"
)

func mallocs(runs int, f func()) uint64 {
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	for i := 0; i < runs; i++ {
		f()
	}
	runtime.ReadMemStats(&m1)
	return m1.Mallocs - m0.Mallocs
}

type allocCase struct {
	name string
	f    func()
}

// assertNoAllocs checks each case with an exact malloc count over many runs
// and with testing.AllocsPerRun (which rounds down; DECISIONS.md). All exact
// counts run first: AllocsPerRun changes GOMAXPROCS, after which the runtime
// allocates for new threads, and MemStats counts those too.
func assertNoAllocs(t *testing.T, cases ...allocCase) {
	t.Helper()
	for _, c := range cases {
		for i := 0; i < 100; i++ { // warm pools and buffers
			c.f()
		}
	}
	for _, c := range cases {
		// The runtime's own start-up of a thread is counted too; it is rare
		// and does not repeat, while an allocation on the path shows in
		// every attempt.
		var d uint64
		for attempt := 0; attempt < 3; attempt++ {
			if d = mallocs(10000, c.f); d == 0 {
				break
			}
		}
		if d != 0 {
			t.Errorf("%s: %d mallocs over 10000 runs", c.name, d)
		}
	}
	for _, c := range cases {
		if a := testing.AllocsPerRun(1000, c.f); a != 0 {
			t.Errorf("%s: %v allocs per run", c.name, a)
		}
	}
}

func TestAllocRouting(t *testing.T) {
	payload := make([]byte, 100)
	rb := newRouteBench(t, 10)
	msgH, msgD := frameOf(proto.AppendMessage(nil, 1, proto.QoSProcessed, []byte("bench.r3"), payload))
	pubH, pubD := frameOf(proto.AppendPublish(nil, 2, proto.QoSProcessed, []byte("bench/a/b"), payload))
	bcH, bcD := frameOf(proto.AppendBroadcast(nil, 3, proto.QoSProcessed, []byte("bench.*"), payload))
	pfH, pfD := frameOf(proto.AppendPublishFor(nil, 4, proto.QoSProcessed, []byte("bench/x"), []byte("bench.r1"), payload))
	route := func(h proto.Header, d []byte) func() {
		return func() {
			if err := rb.sender.Process(rb.origin, h, d); err != nil {
				t.Fatal(err)
			}
		}
	}
	assertNoAllocs(t,
		allocCase{"message", route(msgH, msgD)},
		allocCase{"publish to 10", route(pubH, pubD)},
		allocCase{"broadcast to 11", route(bcH, bcD)},
		allocCase{"publish-for", route(pfH, pfD)},
	)
	if rb.sinks[3].frames == 0 || rb.sink.frames == 0 {
		t.Fatal("nothing routed")
	}
}

// TestAllocEmbeddedPublish: an embedded client's publications and
// broadcasts reach socket sinks without allocating (the topic and mask
// strings are viewed, not converted). Embedded senders route with a
// scratch from a sync.Pool, which a collection empties, so the exact count
// here runs without forcing one (assertNoAllocs's does).
func TestAllocEmbeddedPublish(t *testing.T) {
	payload := make([]byte, 100)
	rb := newRouteBench(t, 10)
	e, err := rb.b.Register("bench.embedded")
	if err != nil {
		t.Fatal(err)
	}
	cases := []allocCase{
		{"embedded publish to 10", func() {
			if err := e.Publish("bench/a/b", payload, proto.QoSNo); err != nil {
				t.Fatal(err)
			}
		}},
		{"embedded publish-for", func() {
			if err := e.PublishFor("bench/x", "bench.r1", payload, proto.QoSNo); err != nil {
				t.Fatal(err)
			}
		}},
		{"embedded broadcast to 10", func() {
			if err := e.Broadcast("bench.r*", payload, proto.QoSNo); err != nil {
				t.Fatal(err)
			}
		}},
	}
	before := rb.sinks[3].frames
	for _, c := range cases {
		for range 100 {
			c.f()
		}
		var d uint64
		for attempt := 0; attempt < 3; attempt++ {
			var m0, m1 runtime.MemStats
			runtime.ReadMemStats(&m0)
			for range 10000 {
				c.f()
			}
			runtime.ReadMemStats(&m1)
			if d = m1.Mallocs - m0.Mallocs; d == 0 {
				break
			}
		}
		if d != 0 {
			t.Errorf("%s: %d mallocs over 10000 runs", c.name, d)
		}
	}
	for _, c := range cases {
		if a := testing.AllocsPerRun(1000, c.f); a != 0 {
			t.Errorf("%s: %v allocs per run", c.name, a)
		}
	}
	if rb.sinks[3].frames == before {
		t.Fatal("nothing routed")
	}
}
