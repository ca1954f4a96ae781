package topictrie

import (
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"sync"
	"testing"
)

// Benchmarks of the routing indexes against naive baselines (a
// mutex-guarded map scanned per match). Run by hand, e.g.
//
//	go test -run '^$' -bench . -benchmem -cpu 1 ./topictrie
//	BUSRT_FULL=1 go test -run '^$' -bench 'Subs.*1M' -benchmem -cpu 1 -timeout 30m ./topictrie
//
// The trie benchmarks report, besides ns/op: B/sub (heap held by the index
// per subscription, measured with runtime.MemStats around building it),
// ids/op (receivers per match) and x-naive (the naive baseline's ns/op in
// the same run divided by the trie's).

// skipHuge skips cases with a million entries unless BUSRT_FULL=1 (never
// with -short): they take minutes and gigabytes.
func skipHuge(b *testing.B, n int) {
	if n >= 1_000_000 && (testing.Short() || os.Getenv("BUSRT_FULL") != "1") {
		b.Skip("1M case: set BUSRT_FULL=1 to run")
	}
}

var benchSizes = []struct {
	name string
	n    int
}{{"1k", 1_000}, {"100k", 100_000}, {"1M", 1_000_000}}

// benchVocab is the number of distinct literal tokens per topic level.
var benchVocab = [5]int{16, 32, 32, 32, 32}

// benchWorkload is n subscriptions over 5-segment topics: 80% exact, 10%
// with one `+` at a random level, 10% `#` after 3 or 4 literal levels;
// 10 patterns per subscriber id. Half the topics to match are subscribed
// exact patterns, half random topics of the same space.
type benchWorkload struct {
	patterns [][]byte
	ids      []uint32
	topics   [][]byte
}

func newBenchWorkload(n int) *benchWorkload {
	r := rand.New(rand.NewPCG(uint64(n), 42))
	w := &benchWorkload{}
	tok := func(level int) string {
		return "l" + strconv.Itoa(level) + "t" + strconv.Itoa(r.IntN(benchVocab[level]))
	}
	topic := func() []byte {
		return fmt.Appendf(nil, "%s/%s/%s/%s/%s", tok(0), tok(1), tok(2), tok(3), tok(4))
	}
	var exact [][]byte
	for i := range n {
		var p []byte
		switch k := r.IntN(10); {
		case k < 8:
			p = topic()
			exact = append(exact, p)
		case k < 9:
			segs := [5]string{tok(0), tok(1), tok(2), tok(3), tok(4)}
			segs[1+r.IntN(4)] = "+"
			p = fmt.Appendf(nil, "%s/%s/%s/%s/%s", segs[0], segs[1], segs[2], segs[3], segs[4])
		default:
			p = fmt.Appendf(nil, "%s/%s/%s/#", tok(0), tok(1), tok(2))
			if r.IntN(2) == 0 {
				p = fmt.Appendf(nil, "%s/%s/%s/%s/#", tok(0), tok(1), tok(2), tok(3))
			}
		}
		w.patterns = append(w.patterns, p)
		w.ids = append(w.ids, uint32(i/10))
	}
	for i := range 4096 {
		if i%2 == 0 && len(exact) > 0 {
			w.topics = append(w.topics, exact[r.IntN(len(exact))])
		} else {
			w.topics = append(w.topics, topic())
		}
	}
	return w
}

// heapDelta returns the live heap growth caused by build.
func heapDelta(build func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	build()
	runtime.GC()
	runtime.ReadMemStats(&after)
	return after.HeapAlloc - before.HeapAlloc
}

// matcher is what both Subs and naiveSubs offer.
type matcher interface {
	Match(topic []byte, sc *Scratch, dst []uint32) []uint32
}

// runMatch runs the match benchmark loop and returns ns/op and ids/op.
func runMatch(b *testing.B, m matcher, topics [][]byte) (nsPerOp, idsPerOp float64) {
	sc := NewScratch()
	dst := make([]uint32, 0, 4096)
	for _, tp := range topics[:min(64, len(topics))] {
		dst = m.Match(tp, sc, dst[:0])
	}
	runtime.GC() // no collection of the build's garbage during the loop
	b.ReportAllocs()
	b.ResetTimer()
	i, ids := 0, 0
	for b.Loop() {
		dst = m.Match(topics[i%len(topics)], sc, dst[:0])
		ids += len(dst)
		i++
	}
	return float64(b.Elapsed().Nanoseconds()) / float64(i), float64(ids) / float64(i)
}

// BenchmarkSubsMatch matches against n subscriptions. trie-hot cycles
// through 256 published topics (a broker's usual traffic: the touched part
// of the index stays in cache), trie-spread through 4096 (most lookups
// miss the CPU caches at 100k and beyond). naive is the baseline.
func BenchmarkSubsMatch(b *testing.B) {
	for _, size := range benchSizes {
		b.Run("subs="+size.name, func(b *testing.B) {
			skipHuge(b, size.n)
			w := newBenchWorkload(size.n)
			var naive *naiveSubs
			naiveMem := heapDelta(func() {
				naive = newNaiveSubs()
				for i, p := range w.patterns {
					naive.Subscribe(p, w.ids[i])
				}
			})
			naiveNs := 0.0
			b.Run("naive", func(b *testing.B) {
				ns, ids := runMatch(b, naive, w.topics)
				naiveNs = ns
				b.ReportMetric(float64(naiveMem)/float64(size.n), "B/sub")
				b.ReportMetric(ids, "ids/op")
			})
			naive = nil
			var s *Subs
			mem := heapDelta(func() {
				s = NewSubs()
				for i, p := range w.patterns {
					s.Subscribe(p, w.ids[i])
				}
			})
			for _, set := range []struct {
				name   string
				topics int
			}{{"trie-hot", 256}, {"trie-spread", 4096}} {
				b.Run(set.name, func(b *testing.B) {
					ns, ids := runMatch(b, s, w.topics[:set.topics])
					b.ReportMetric(float64(mem)/float64(size.n), "B/sub")
					b.ReportMetric(ids, "ids/op")
					if naiveNs > 0 {
						b.ReportMetric(naiveNs/ns, "x-naive")
					}
				})
			}
			runtime.KeepAlive(s)
		})
	}
}

// BenchmarkSubsMatchParallel is trie-hot at 100k from every core at once
// (one Scratch per goroutine): readers share nothing they write, so they
// do not contend. The first runs with small b.N include the goroutines'
// warm-up allocations.
func BenchmarkSubsMatchParallel(b *testing.B) {
	w := newBenchWorkload(100_000)
	s := NewSubs()
	for i, p := range w.patterns {
		s.Subscribe(p, w.ids[i])
	}
	runtime.GC()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		sc := NewScratch()
		dst := make([]uint32, 0, 4096)
		i := 0
		for pb.Next() {
			dst = s.Match(w.topics[i%256], sc, dst[:0])
			i++
		}
	})
}

// BenchmarkSubsSubscribe alternates Subscribe and Unsubscribe of patterns
// of the workload's shape against an index of the given size: ns/op is per
// single write.
func BenchmarkSubsSubscribe(b *testing.B) {
	for _, size := range benchSizes {
		b.Run("subs="+size.name, func(b *testing.B) {
			skipHuge(b, size.n)
			w := newBenchWorkload(size.n)
			s := NewSubs()
			for i, p := range w.patterns {
				s.Subscribe(p, w.ids[i])
			}
			extra := newBenchWorkload(size.n/10 + 1000).patterns
			id := uint32(len(w.patterns)/10 + 1)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				p := extra[(i/2)%len(extra)]
				if i%2 == 0 {
					s.Subscribe(p, id)
				} else {
					s.Unsubscribe(p, id)
				}
				i++
			}
		})
	}
}

// BenchmarkSubsUnsubscribeAll measures a subscriber of 10 patterns leaving
// (and coming back) in an index of 100k subscriptions: ns/op covers 10
// Subscribe calls and one UnsubscribeAll.
func BenchmarkSubsUnsubscribeAll(b *testing.B) {
	w := newBenchWorkload(100_000)
	s := NewSubs()
	for i, p := range w.patterns {
		s.Subscribe(p, w.ids[i])
	}
	id := w.ids[len(w.ids)-1] + 1
	mine := w.patterns[:10]
	b.ReportAllocs()
	for b.Loop() {
		for _, p := range mine {
			s.Subscribe(p, id)
		}
		s.UnsubscribeAll(id)
	}
}

// benchNames registers n names g<i>.s<j>.c<k> (groups of 10 subgroups of
// 100 clients; n/1000 groups) and returns masks by kind.
func benchNames(n int) (names [][]byte, masks map[string][][]byte) {
	r := rand.New(rand.NewPCG(uint64(n), 7))
	groups := max(n/1000, 1)
	for i := range n {
		names = append(names, fmt.Appendf(nil, "g%d.s%d.c%d", i/1000, (i/100)%10, i%100))
	}
	masks = map[string][][]byte{}
	for range 256 {
		g, s, c := r.IntN(groups), r.IntN(10), r.IntN(100)
		masks["exact"] = append(masks["exact"], fmt.Appendf(nil, "g%d.s%d.c%d", g, s, c))
		masks["prefix-one"] = append(masks["prefix-one"], fmt.Appendf(nil, "g%d.s%d.?", g, s))
		masks["prefix-tail"] = append(masks["prefix-tail"], fmt.Appendf(nil, "g%d.s%d.*", g, s))
		masks["lead-one"] = append(masks["lead-one"], fmt.Appendf(nil, "?.s%d.c%d", s, c))
	}
	for i := range 256 {
		for _, kind := range nameMaskKinds[:4] {
			masks["mix"] = append(masks["mix"], masks[kind][i])
		}
	}
	return names, masks
}

// nameMaskKinds: an exact name (1 receiver), `g.s.?` and `g.s.*` (100
// receivers under a literal prefix), `?.s.c` (one receiver per group: the
// walk visits every group), and the four interleaved.
var nameMaskKinds = []string{"exact", "prefix-one", "prefix-tail", "lead-one", "mix"}

type nameMatcher interface {
	Match(mask []byte, dst []uint32) []uint32
}

func runNames(b *testing.B, m nameMatcher, masks [][]byte) (nsPerOp, idsPerOp float64) {
	dst := make([]uint32, 0, 4096)
	for _, mk := range masks[:16] {
		dst = m.Match(mk, dst[:0])
	}
	runtime.GC()
	b.ReportAllocs()
	b.ResetTimer()
	i, ids := 0, 0
	for b.Loop() {
		dst = m.Match(masks[i%len(masks)], dst[:0])
		ids += len(dst)
		i++
	}
	return float64(b.Elapsed().Nanoseconds()) / float64(i), float64(ids) / float64(i)
}

// BenchmarkNamesMatch matches broadcast masks against n registered names.
// The naive scan costs the same for every mask; it runs the mix.
func BenchmarkNamesMatch(b *testing.B) {
	for _, size := range []struct {
		name string
		n    int
	}{{"10k", 10_000}, {"100k", 100_000}} {
		b.Run("names="+size.name, func(b *testing.B) {
			names, masks := benchNames(size.n)
			naive := newNaiveNames()
			for i, nm := range names {
				naive.Add(nm, uint32(i))
			}
			naiveNs := 0.0
			b.Run("naive", func(b *testing.B) {
				ns, ids := runNames(b, naive, masks["mix"])
				naiveNs = ns
				b.ReportMetric(ids, "ids/op")
			})
			naive = nil
			n := NewNames()
			mem := heapDelta(func() {
				for i, nm := range names {
					n.Add(nm, uint32(i))
				}
			})
			for _, kind := range nameMaskKinds {
				b.Run("trie-"+kind, func(b *testing.B) {
					ns, ids := runNames(b, n, masks[kind])
					b.ReportMetric(ids, "ids/op")
					b.ReportMetric(float64(mem)/float64(size.n), "B/name")
					if naiveNs > 0 {
						b.ReportMetric(naiveNs/ns, "x-naive")
					}
				})
			}
		})
	}
}

// BenchmarkNamesAddRemove registers and unregisters one name in an index
// of 100k: ns/op covers one Add and one Remove.
func BenchmarkNamesAddRemove(b *testing.B) {
	names, _ := benchNames(100_000)
	n := NewNames()
	for i, nm := range names {
		n.Add(nm, uint32(i))
	}
	extra := []byte("g7.s3.c1%%1")
	b.ReportAllocs()
	for b.Loop() {
		n.Add(extra, 1<<20)
		n.Remove(extra, 1<<20)
	}
}

// naivePatternSet is the baseline exclusion set: a mutex-guarded list
// scanned with MatchTopic.
type naivePatternSet struct {
	mu   sync.RWMutex
	list [][]byte
}

func (p *naivePatternSet) Match(topic []byte) bool {
	p.mu.RLock()
	defer p.mu.RUnlock()
	for _, x := range p.list {
		if MatchTopic(x, topic) {
			return true
		}
	}
	return false
}

func BenchmarkPatternSetMatch(b *testing.B) {
	for _, n := range []int{3, 1000} {
		b.Run("patterns="+strconv.Itoa(n), func(b *testing.B) {
			w := newBenchWorkload(n)
			var p PatternSet
			naive := &naivePatternSet{}
			for _, pat := range w.patterns {
				p.Add(pat)
				naive.list = append(naive.list, pat)
			}
			naiveNs := 0.0
			run := func(b *testing.B, match func([]byte) bool) float64 {
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					match(w.topics[i%len(w.topics)])
					i++
				}
				return float64(b.Elapsed().Nanoseconds()) / float64(i)
			}
			b.Run("naive", func(b *testing.B) { naiveNs = run(b, naive.Match) })
			b.Run("trie", func(b *testing.B) {
				if ns := run(b, p.Match); naiveNs > 0 {
					b.ReportMetric(naiveNs/ns, "x-naive")
				}
			})
		})
	}
}

// BenchmarkSubsSharedPattern re-subscribes one of 10k subscribers of the
// same pattern (every client holds `.broker/warn`): the pattern's id set is
// one sorted array, copied whole by each write (O(subscribers) per write).
func BenchmarkSubsSharedPattern(b *testing.B) {
	s := NewSubs()
	warn := []byte(".broker/warn")
	for id := range uint32(10_000) {
		s.Subscribe(warn, id)
	}
	b.ReportAllocs()
	i := uint32(0)
	for b.Loop() {
		s.Unsubscribe(warn, i%10_000)
		s.Subscribe(warn, i%10_000)
		i++
	}
}
