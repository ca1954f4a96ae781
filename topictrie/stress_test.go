package topictrie

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// The stress tests run writers against readers for a bounded number of
// writer operations (readers run until the writers are done) and check that
// every match is consistent with a linearization of the writes:
//   - stable entries, added before and never removed, are always matched;
//   - an id that always holds at least one of two matching patterns (one
//     added before the other is removed) is always matched, and of two ids
//     that never hold a pattern at the same time, at most one is matched: a
//     reader never sees half of one update or a mix of two snapshots;
//   - an entry whose addition completed before a match began is matched;
//   - no id is listed twice;
//   - after the writers stop, the index equals the expected final state.

const (
	stressOps     = 3000 // operations per churn writer
	stressRounds  = 1500 // rounds of the pair-moving writer
	stressWriters = 2
	stressReaders = 2
)

// stressAlpha is the segment alphabet for churned patterns and names.
var stressAlpha = []string{"a", "b", "c", "+", "#", ""}

func TestStressSubs(t *testing.T) {
	s := NewSubs()
	r := rand.New(rand.NewPCG(7, 7))
	stable := subsModel{}
	for range 40 {
		p, id := randPath(r, stressAlpha, "/", 4), uint32(r.IntN(20))
		stable.subscribe(p, id)
		s.Subscribe([]byte(p), id)
	}
	const (
		idA  = 1000 // always holds m/+/c or m/b/# (or both): matched by m/b/c
		idB1 = 1001 // n/x; never together with idB2
		idB2 = 1002 // n/+
		idD1 = 1003 // o/x; always at least one of idD1, idD2
		idD2 = 1004 // o/#
		idV  = 1005 // v/0, v/1, ... added in order, never removed
	)
	s.Subscribe([]byte("m/+/c"), idA)
	s.Subscribe([]byte("n/x"), idB1)
	s.Subscribe([]byte("o/x"), idD1)
	var versions atomic.Int64 // v/0..v/(versions-1) are subscribed
	var done atomic.Bool
	var writers, readers sync.WaitGroup
	models := make([]subsModel, stressWriters)
	for w := range stressWriters {
		models[w] = subsModel{}
		writers.Go(func() {
			r := rand.New(rand.NewPCG(uint64(w), 11))
			m := models[w]
			for range stressOps {
				id := uint32(100 + w*50 + r.IntN(50))
				p := randPath(r, stressAlpha, "/", 4)
				switch k := r.IntN(100); {
				case k < 50:
					if s.Subscribe([]byte(p), id) != m.subscribe(p, id) {
						panic("Subscribe result")
					}
				case k < 97:
					if s.Unsubscribe([]byte(p), id) != m.unsubscribe(p, id) {
						panic("Unsubscribe result")
					}
				default:
					s.UnsubscribeAll(id)
					delete(m, id)
				}
			}
		})
	}
	writers.Go(func() {
		for i := range stressRounds {
			s.Subscribe([]byte("m/b/#"), idA)
			s.Unsubscribe([]byte("m/+/c"), idA)
			s.Unsubscribe([]byte("n/x"), idB1)
			s.Subscribe([]byte("n/+"), idB2)
			s.Subscribe([]byte("o/#"), idD2)
			s.Unsubscribe([]byte("o/x"), idD1)
			s.Subscribe([]byte("m/+/c"), idA)
			s.Unsubscribe([]byte("m/b/#"), idA)
			s.Unsubscribe([]byte("n/+"), idB2)
			s.Subscribe([]byte("n/x"), idB1)
			s.Subscribe([]byte("o/x"), idD1)
			s.Unsubscribe([]byte("o/#"), idD2)
			s.Subscribe([]byte("v/"+strconv.Itoa(i)), idV)
			versions.Store(int64(i + 1))
		}
	})
	errs := make(chan error, stressReaders)
	for rd := range stressReaders {
		readers.Go(func() {
			r := rand.New(rand.NewPCG(uint64(rd), 13))
			sc := NewScratch()
			var dst []uint32
			for i := 0; !done.Load() || i < 1000; i++ {
				if err := stressSubsCheck(s, sc, &dst, r, stable, &versions); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	writers.Wait()
	done.Store(true)
	readers.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	// The final state: stable, churn models and the movers' end state.
	final := subsModel{}
	for _, m := range append(models, stable) {
		for id, ps := range m {
			for p := range ps {
				final.subscribe(p, id)
			}
		}
	}
	final.subscribe("m/+/c", idA)
	final.subscribe("n/x", idB1)
	final.subscribe("o/x", idD1)
	for i := range stressRounds {
		final.subscribe("v/"+strconv.Itoa(i), idV)
	}
	checkSubs(t, s, final)
	sc := NewScratch()
	for range 2000 {
		tp := randTopic(r, stressAlpha, 5)
		if got, want := sorted(s.Match([]byte(tp), sc, nil)), final.match(tp); !slices.Equal(got, want) {
			t.Fatalf("final Match(%q) = %v, want %v", tp, got, want)
		}
	}
}

func stressSubsCheck(s *Subs, sc *Scratch, dst *[]uint32, r *rand.Rand, stable subsModel, versions *atomic.Int64) error {
	var tp string
	kind := byte('r') // a random topic
	switch r.IntN(5) {
	case 0:
		tp, kind = "m/b/c", 'm'
	case 1:
		tp, kind = "n/x", 'n'
	case 2:
		tp, kind = "o/x", 'o'
	case 3:
		if v := versions.Load(); v > 0 {
			tp, kind = "v/"+strconv.Itoa(int(r.Int64N(v))), 'v'
			break
		}
		fallthrough
	default:
		tp = randTopic(r, stressAlpha, 5)
	}
	*dst = s.Match([]byte(tp), sc, (*dst)[:0])
	got := sorted(*dst)
	if len(slices.Compact(slices.Clone(got))) != len(got) {
		return fmt.Errorf("Match(%q) = %v lists an id twice", tp, got)
	}
	has := func(id uint32) bool { _, ok := slices.BinarySearch(got, id); return ok }
	for _, id := range stable.match(tp) {
		if !has(id) {
			return fmt.Errorf("Match(%q) = %v misses stable id %d", tp, got, id)
		}
	}
	switch kind {
	case 'm':
		if !has(1000) {
			return fmt.Errorf("Match(m/b/c) = %v misses the id that always holds a matching pattern", got)
		}
	case 'n':
		if has(1001) && has(1002) {
			return fmt.Errorf("Match(n/x) = %v lists two ids never subscribed together", got)
		}
	case 'o':
		if !has(1003) && !has(1004) {
			return fmt.Errorf("Match(o/x) = %v lists neither of two ids of which one is always subscribed", got)
		}
	case 'v':
		if !has(1005) {
			return fmt.Errorf("Match(%q) = %v misses a subscription completed before the match", tp, got)
		}
	}
	for _, id := range got {
		if id >= 1000 && id <= 1005 && kind == 'r' {
			return fmt.Errorf("Match(%q) = %v lists mover id %d", tp, got, id)
		}
	}
	return nil
}

func TestStressNames(t *testing.T) {
	n := NewNames()
	r := rand.New(rand.NewPCG(8, 8))
	stable := map[string]uint32{}
	for i := range 40 {
		name := "s." + randPath(r, stressAlpha, ".", 3)
		if _, ok := stable[name]; !ok {
			stable[name] = uint32(i)
			n.Add([]byte(name), uint32(i))
		}
	}
	const (
		idQA, idQB = 1000, 1001 // q.a, q.b: always at least one (mask q.?)
		idX1, idX2 = 1002, 1003 // x.1, x.2: never both (mask x.*)
		idV        = 100000     // v.0, v.1, ... (ids idV+i) added in order
	)
	n.Add([]byte("q.a"), idQA)
	n.Add([]byte("x.1"), idX1)
	var versions atomic.Int64
	var done atomic.Bool
	var writers, readers sync.WaitGroup
	models := make([]map[string]uint32, stressWriters)
	for w := range stressWriters {
		models[w] = map[string]uint32{}
		writers.Go(func() {
			r := rand.New(rand.NewPCG(uint64(w), 17))
			m := models[w]
			prefix := "c" + strconv.Itoa(w) + "."
			idOf := map[string]uint32{} // one id per name, so no id is listed twice
			for range stressOps {
				name := prefix + randPath(r, stressAlpha, ".", 3)
				id, ok := idOf[name]
				if !ok {
					id = uint32(2000 + w*10000 + len(idOf))
					idOf[name] = id
				}
				if r.IntN(2) == 0 {
					n.Add([]byte(name), id)
					m[name] = id
				} else if cur, ok := m[name]; ok {
					n.Remove([]byte(name), cur)
					delete(m, name)
				}
			}
		})
	}
	writers.Go(func() {
		for i := range stressRounds {
			n.Add([]byte("q.b"), idQB)
			n.Remove([]byte("q.a"), idQA)
			n.Remove([]byte("x.1"), idX1)
			n.Add([]byte("x.2"), idX2)
			n.Add([]byte("q.a"), idQA)
			n.Remove([]byte("q.b"), idQB)
			n.Remove([]byte("x.2"), idX2)
			n.Add([]byte("x.1"), idX1)
			n.Add([]byte("v."+strconv.Itoa(i)), idV+uint32(i))
			versions.Store(int64(i + 1))
		}
	})
	errs := make(chan error, stressReaders)
	for rd := range stressReaders {
		readers.Go(func() {
			r := rand.New(rand.NewPCG(uint64(rd), 19))
			var dst []uint32
			for i := 0; !done.Load() || i < 1000; i++ {
				var mask string
				var v int64
				switch r.IntN(4) {
				case 0:
					mask = "q.?"
				case 1:
					mask = "x.*"
				case 2:
					if v = versions.Load(); v > 0 {
						v = r.Int64N(v)
						mask = "v." + strconv.Itoa(int(v))
						break
					}
					fallthrough
				default:
					mask = randPath(r, []string{"s", "?", "*", "a", "b", ""}, ".", 4)
				}
				dst = n.Match([]byte(mask), dst[:0])
				got := sorted(dst)
				has := func(id uint32) bool { _, ok := slices.BinarySearch(got, id); return ok }
				var err error
				switch {
				case len(slices.Compact(slices.Clone(got))) != len(got):
					err = fmt.Errorf("Match(%q) = %v lists an id twice", mask, got)
				case mask == "q.?" && !has(idQA) && !has(idQB):
					err = fmt.Errorf("Match(q.?) = %v lists neither name", got)
				case mask == "x.*" && has(idX1) && has(idX2):
					err = fmt.Errorf("Match(x.*) = %v lists both names", got)
				case strings.HasPrefix(mask, "v.") && !slices.Equal(got, []uint32{idV + uint32(v)}):
					err = fmt.Errorf("Match(%q) = %v misses a name added before the match", mask, got)
				}
				for name, id := range stable {
					if err == nil && refMatchName(mask, name) && !has(id) {
						err = fmt.Errorf("Match(%q) = %v misses stable name %q", mask, got, name)
					}
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	writers.Wait()
	done.Store(true)
	readers.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	final := map[string]uint32{"q.a": idQA, "x.1": idX1}
	for _, m := range append(models, stable) {
		for name, id := range m {
			final[name] = id
		}
	}
	for i := range stressRounds {
		final["v."+strconv.Itoa(i)] = idV + uint32(i)
	}
	if n.Len() != len(final) {
		t.Fatalf("Len = %d, want %d", n.Len(), len(final))
	}
	fresh := NewNames()
	for name, id := range final {
		fresh.Add([]byte(name), id)
	}
	if a, b := dumpString(n.root.Load()), dumpString(fresh.root.Load()); a != b {
		t.Fatalf("index differs from a fresh build")
	}
	if _, _, err := checkTrie(n.root.Load(), nameSyntax); err != nil {
		t.Fatal(err)
	}
}

func TestStressPatternSet(t *testing.T) {
	var p PatternSet
	p.Add([]byte("s/#"))
	p.Add([]byte("m/+"))
	var done atomic.Bool
	var writers, readers sync.WaitGroup
	model := map[string]bool{"s/#": true, "m/+": true}
	writers.Go(func() {
		r := rand.New(rand.NewPCG(3, 23))
		for i := range stressOps {
			if i%2 == 0 { // m/x is always matched by m/+ or m/#
				p.Add([]byte("m/#"))
				p.Remove([]byte("m/+"))
				p.Add([]byte("m/+"))
				p.Remove([]byte("m/#"))
			}
			pat := "c/" + randPath(r, stressAlpha, "/", 3)
			if r.IntN(2) == 0 {
				p.Add([]byte(pat))
				model[pat] = true
			} else {
				p.Remove([]byte(pat))
				delete(model, pat)
			}
		}
	})
	errs := make(chan error, stressReaders)
	for rd := range stressReaders {
		readers.Go(func() {
			r := rand.New(rand.NewPCG(uint64(rd), 29))
			for i := 0; !done.Load() || i < 1000; i++ {
				tp := "m/x"
				if r.IntN(2) == 0 {
					tp = "s/" + randTopic(r, stressAlpha, 3)
				}
				if !p.Match([]byte(tp)) {
					errs <- fmt.Errorf("Match(%q) = false, a matching pattern is always present", tp)
					return
				}
				if p.Match([]byte("z")) {
					errs <- fmt.Errorf("Match(z) = true, no pattern matches it")
					return
				}
			}
		})
	}
	writers.Wait()
	done.Store(true)
	readers.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if p.Len() != len(model) {
		t.Fatalf("Len = %d, want %d", p.Len(), len(model))
	}
	r := rand.New(rand.NewPCG(4, 4))
	for range 2000 {
		tp := "c/" + randTopic(r, stressAlpha, 4)
		want := false
		for q := range model {
			want = want || refMatchTopic(q, tp)
		}
		if p.Match([]byte(tp)) != want {
			t.Fatalf("final Match(%q) = %v, want %v", tp, !want, want)
		}
	}
	if cnt, _, err := checkTrie(p.root.Load(), topicSyntax); err != nil || cnt != len(model) {
		t.Fatalf("invariants: %v (%d ids for %d patterns)", err, cnt, len(model))
	}
}
