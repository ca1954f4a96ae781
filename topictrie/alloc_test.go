//go:build !race

package topictrie

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
)

// Allocation guards (DECISIONS.md): testing.AllocsPerRun rounds down, so
// each hot path is also run many times between two runtime.MemStats reads
// and the Mallocs delta must be exactly 0.

const allocRuns = 20000

// assertNoAllocs fails unless f allocates nothing, by both measures. f is
// run once first to warm up destination slices and scratch state.
//
// Like AllocsPerRun, the MemStats loop runs with GOMAXPROCS(1) after a
// collection. The runtime itself allocates now and then in the background
// (the scavenger's timer heap, mark workers), and those count too; so the
// loop is measured up to three times and one measurement must be exactly
// 0. An allocation in f, even one per allocRuns calls, shows in every
// measurement.
func assertNoAllocs(t *testing.T, f func()) {
	t.Helper()
	f()
	if n := testing.AllocsPerRun(1000, f); n != 0 {
		t.Fatalf("AllocsPerRun = %v, want 0", n)
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	var deltas []uint64
	for range 3 {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for range allocRuns {
			f()
		}
		runtime.ReadMemStats(&after)
		d := after.Mallocs - before.Mallocs
		if d == 0 {
			return
		}
		deltas = append(deltas, d)
	}
	t.Fatalf("Mallocs deltas over %d runs = %v, want 0", allocRuns, deltas)
}

func TestAllocSubsMatch(t *testing.T) {
	s := NewSubs()
	r := rand.New(rand.NewPCG(1, 1))
	for i := range 5000 { // wide enough for hashed tables, deep enough for recursion
		s.Subscribe([]byte(fmt.Sprintf("s%d/s%d/+/s%d", r.IntN(40), r.IntN(40), r.IntN(9))), uint32(i%300))
		s.Subscribe([]byte(fmt.Sprintf("s%d/#", r.IntN(40))), uint32(i%300))
		s.Subscribe([]byte(fmt.Sprintf("s%d/s%d/s%d/s%d", r.IntN(40), r.IntN(40), r.IntN(40), r.IntN(9))), uint32(i%300))
	}
	topics := make([][]byte, 64)
	for i := range topics {
		topics[i] = fmt.Appendf(nil, "s%d/s%d/s%d/s%d", r.IntN(40), r.IntN(40), r.IntN(40), r.IntN(9))
	}
	sc := NewScratch()
	dst := make([]uint32, 0, 1024)
	matched := 0
	for _, tp := range topics { // warm every topic's path
		matched += len(s.Match(tp, sc, dst[:0]))
	}
	if matched == 0 {
		t.Fatal("no topic matched: the guard would prove nothing")
	}
	i := 0
	assertNoAllocs(t, func() {
		dst = s.Match(topics[i%len(topics)], sc, dst[:0])
		i++
	})
}

func TestAllocNamesMatch(t *testing.T) {
	n := NewNames()
	for i := range 5000 {
		n.Add(fmt.Appendf(nil, "g%d.s%d.c%d", i%50, i%7, i), uint32(i))
	}
	n.Add([]byte(".broker"), 5000)
	masks := [][]byte{[]byte("g1.*"), []byte("g2.?.?"), []byte("?.s3.c3"), []byte("*"),
		[]byte("g3.s3.c3"), []byte("?.broker"), []byte("g4.s4.*")}
	dst := make([]uint32, 0, 8192)
	i := 0
	assertNoAllocs(t, func() {
		dst = n.Match(masks[i%len(masks)], dst[:0])
		i++
	})
}

func TestAllocPatternSetMatch(t *testing.T) {
	var p PatternSet
	for i := range 100 { // wide enough for hashed tables
		p.Add(fmt.Appendf(nil, "x/s%d/+/y", i))
		p.Add(fmt.Appendf(nil, "s%d/#", i))
	}
	topics := [][]byte{[]byte("x/s5/a/y"), []byte("x/s5/a/z"), []byte("s9/q"), []byte("nope"), []byte("")}
	i := 0
	assertNoAllocs(t, func() {
		p.Match(topics[i%len(topics)])
		i++
	})
}
