//go:build !race

package gen

import (
	"runtime"
	"testing"
)

// Allocation guards (STYLE.md, DECISIONS.md): the hot paths allocate
// nothing. testing.AllocsPerRun rounds down, so each case is also run many
// times between two runtime.MemStats readings whose Mallocs must not move.
// The race detector allocates, hence the build tag.

// allocCase is one guarded operation.
type allocCase struct {
	name string
	f    func()
}

// Sinks keep results alive so the compiler cannot drop the work.
var (
	sinkBytes []byte
	sinkErr   error
)

// assertNoAllocs runs every case under both guards.
func assertNoAllocs(t *testing.T, cases []allocCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// Warm-up. Since Go 1.22 the runtime fills the per-call-site
			// cache of an interface type assertion on a random ~1/1024 of
			// the calls, with one heap allocation: a one-time cost that
			// must not land in the measurement.
			for range 20000 {
				c.f()
			}
			if n := testing.AllocsPerRun(1000, c.f); n != 0 {
				t.Fatalf("AllocsPerRun = %v, want 0", n)
			}
			// Same conditions as AllocsPerRun: one P, so nothing else runs.
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
			// A completed GC first, so that the runtime's own bookkeeping
			// (GC mark workers, the scavenger's timer after the GOMAXPROCS
			// change) is less likely to allocate inside the measurement.
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			for range 20000 {
				c.f()
			}
			runtime.ReadMemStats(&after)
			if d := after.Mallocs - before.Mallocs; d != 0 {
				t.Fatalf("%d mallocs over 20000 runs, want 0", d)
			}
		})
	}
}

func TestAllocEncode(t *testing.T) {
	buf := make([]byte, 0, 512)
	stats := Stats{Uptime: 3600, RFrames: 10, RBytes: 1000, WFrames: 20, WBytes: 70000}
	reg := Announcement{S: Str("reg"), D: Str("test.client"), T: announceT}
	shutdown := Announcement{S: Str("shutdown"), T: announceT}
	info := BrokerInfo{Author: Str(upstreamAuthor), Version: Str("0.5.6")}
	list := ClientList{Clients: []ClientInfo{
		{Name: Str(".broker"), Kind: Str("internal"), Instances: 1},
		{Name: Str("test.client"), Kind: Str("local_ipc"), Port: nilStr("/tmp/busrt.sock"), RFrames: 3, Instances: 1},
	}}
	ok := OK{Ok: true}
	params := ClientListParams{Filter: nilStr("^test")}
	words := []string{"a=1", "b=true", "c=-1.5", "d=hello", "a=2", ""}
	assertNoAllocs(t, []allocCase{
		{"Stats.MarshalMsg", func() { sinkBytes, sinkErr = stats.MarshalMsg(buf[:0]) }},
		{"Announcement.MarshalMsg reg", func() { sinkBytes, sinkErr = reg.MarshalMsg(buf[:0]) }},
		{"Announcement.MarshalMsg shutdown", func() { sinkBytes, sinkErr = shutdown.MarshalMsg(buf[:0]) }},
		{"BrokerInfo.MarshalMsg", func() { sinkBytes, sinkErr = info.MarshalMsg(buf[:0]) }},
		{"ClientList.MarshalMsg", func() { sinkBytes, sinkErr = list.MarshalMsg(buf[:0]) }},
		{"OK.MarshalMsg", func() { sinkBytes, sinkErr = ok.MarshalMsg(buf[:0]) }},
		{"ClientListParams.MarshalMsg", func() { sinkBytes, sinkErr = params.MarshalMsg(buf[:0]) }},
		{"ParamsFromArgs", func() { sinkBytes, sinkErr = ParamsFromArgs(buf[:0], words) }},
	})
}

func TestAllocDecode(t *testing.T) {
	strIn := h(t, "ab 74 65 73 74 2e 63 6c 69 65 6e 74")
	binIn := h(t, "c4 03 61 62 63")
	s := make(Str, 0, 64)
	var ns NilStr
	ns.Str = make(Str, 0, 64)
	regIn := h(t, vecReg)
	var ann Announcement
	if _, err := ann.UnmarshalMsg(regIn); err != nil {
		t.Fatal(err)
	}
	listIn := h(t, vecList)
	var list ClientList
	if _, err := list.UnmarshalMsg(listIn); err != nil {
		t.Fatal(err)
	}
	statsIn := h(t, vecStats)
	var stats Stats
	mapParams := h(t, vecFilter)
	arrParams := h(t, "91 a5 5e 74 65 73 74")
	var params ClientListParams
	params.Filter.Str = make(Str, 0, 64)
	assertNoAllocs(t, []allocCase{
		{"Str.UnmarshalMsg bin", func() { sinkBytes, sinkErr = s.UnmarshalMsg(binIn) }},
		{"Str.UnmarshalMsg", func() { sinkBytes, sinkErr = s.UnmarshalMsg(strIn) }},
		{"NilStr.UnmarshalMsg", func() { sinkBytes, sinkErr = ns.UnmarshalMsg(strIn) }},
		{"Announcement.UnmarshalMsg", func() { sinkBytes, sinkErr = ann.UnmarshalMsg(regIn) }},
		{"ClientList.UnmarshalMsg", func() { sinkBytes, sinkErr = list.UnmarshalMsg(listIn) }},
		{"Stats.UnmarshalMsg", func() { sinkBytes, sinkErr = stats.UnmarshalMsg(statsIn) }},
		{"ClientListParams map", func() { sinkErr = params.UnmarshalParams(mapParams) }},
		{"ClientListParams array", func() { sinkErr = params.UnmarshalParams(arrParams) }},
	})
	if string(s) != "test.client" || string(ann.D) != "test.client" || string(params.Filter.Str) != "^test" || len(list.Clients) != 1 {
		t.Fatalf("decoded values wrong: %q %+v %+v %+v", s, ann, params, list)
	}
}
