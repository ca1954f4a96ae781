package topictrie

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// Segment alphabets for random patterns, topics, names and masks. The
// narrow ones hit the corner cases (empty segments, wildcards, characters
// that only look like wildcards); the wide one grows hashed tables.
var (
	narrowSegs = []string{"", "a", "b", "+", "#", "a#", "+b", "x%%1", "?", "*", "."}
	wideSegs   = func() []string {
		s := []string{"", "+", "#", "?", "*"}
		for i := range 60 {
			s = append(s, fmt.Sprintf("s%d", i))
		}
		return s
	}()
	// longSegs are all longer than shortMax: their hashes can be narrowed.
	longSegs = func() []string {
		s := []string{"", "+", "#", "?", "*"}
		for i := range 60 {
			s = append(s, fmt.Sprintf("long-segment-%d", i))
		}
		return s
	}()
)

// randPath joins 1..maxSegs segments from alpha with sep, dropping segments
// that contain sep (so the segment count is what it looks like).
func randPath(r *rand.Rand, alpha []string, sep string, maxSegs int) string {
	n := 1 + r.IntN(maxSegs)
	segs := make([]string, 0, n)
	for len(segs) < n {
		s := alpha[r.IntN(len(alpha))]
		if !strings.Contains(s, sep) {
			segs = append(segs, s)
		}
	}
	return strings.Join(segs, sep)
}

// randTopic is a topic made like a pattern, with some segments rewritten so
// that it matches patterns of the same shape more often.
func randTopic(r *rand.Rand, alpha []string, maxSegs int) string {
	return randPath(r, alpha, "/", maxSegs)
}

func TestMatchFuncsAgainstReference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 100000 {
		p, tp := randPath(r, narrowSegs, "/", 5), randTopic(r, narrowSegs, 5)
		if MatchTopic([]byte(p), []byte(tp)) != refMatchTopic(p, tp) {
			t.Fatalf("MatchTopic(%q, %q) disagrees with the reference", p, tp)
		}
		m, n := randPath(r, narrowSegs, ".", 5), randPath(r, narrowSegs, ".", 5)
		if MatchName([]byte(m), []byte(n)) != refMatchName(m, n) {
			t.Fatalf("MatchName(%q, %q) disagrees with the reference", m, n)
		}
	}
}

type diffCase struct {
	name    string
	alpha   []string
	maxSegs int
	ids     int
	ops     int
}

var diffCases = []diffCase{
	{"narrow", narrowSegs, 4, 6, 20000},
	{"wide", wideSegs, 3, 40, 20000},
	{"deep", []string{"a", "b", "+", "#", ""}, 8, 10, 20000},
}

func TestSubsDifferential(t *testing.T) {
	for _, c := range diffCases {
		for seed := range uint64(4) {
			t.Run(fmt.Sprintf("%s/seed=%d", c.name, seed), func(t *testing.T) {
				subsDifferential(t, c, seed)
			})
		}
	}
}

// TestSubsDifferentialCollisions repeats the differential tests with the
// hashes of long segments narrowed to 3 bits: hashed tables nest down to
// collision lists.
func TestSubsDifferentialCollisions(t *testing.T) {
	defer func(m uint64) { hashMask = m }(hashMask)
	hashMask = 0b111
	c := diffCase{"long", longSegs, 3, 20, 6000}
	subsDifferential(t, c, 99)
	namesDifferential(t, c, 99)
	patternSetDifferential(t, c, 99)
	mixed := diffCase{"mixed", append(slices.Clone(longSegs), wideSegs...), 3, 20, 6000}
	subsDifferential(t, mixed, 98)
}

func subsDifferential(t *testing.T, c diffCase, seed uint64) {
	r := rand.New(rand.NewPCG(seed, 0xD1FF))
	s := NewSubs()
	model := subsModel{}
	sc := NewScratch()
	var dst []uint32
	randPattern := func() string { return randPath(r, c.alpha, "/", c.maxSegs) }
	for op := range c.ops {
		id := uint32(r.IntN(c.ids))
		switch k := r.IntN(100); {
		case k < 40:
			p := randPattern()
			if got, want := s.Subscribe([]byte(p), id), model.subscribe(p, id); got != want {
				t.Fatalf("op %d: Subscribe(%q, %d) = %v, want %v", op, p, id, got, want)
			}
		case k < 80:
			p := randPattern()
			if ps := model[id]; len(ps) > 0 && r.IntN(4) > 0 { // mostly a held one
				keys := make([]string, 0, len(ps))
				for q := range ps {
					keys = append(keys, q)
				}
				slices.Sort(keys)
				p = keys[r.IntN(len(keys))]
			}
			if got, want := s.Unsubscribe([]byte(p), id), model.unsubscribe(p, id); got != want {
				t.Fatalf("op %d: Unsubscribe(%q, %d) = %v, want %v", op, p, id, got, want)
			}
		case k < 83:
			s.UnsubscribeAll(id)
			delete(model, id)
		default:
			tp := randTopic(r, c.alpha, c.maxSegs+1)
			dst = s.Match([]byte(tp), sc, dst[:0])
			got := sorted(dst)
			if want := model.match(tp); !slices.Equal(got, want) {
				t.Fatalf("op %d: Match(%q) = %v, want %v\nmodel %v\ntrie:\n%s", op, tp, got, want, model, dumpString(s.root.Load()))
			}
		}
		if op%500 == 0 || op == c.ops-1 {
			checkSubs(t, s, model)
		}
	}
}

// checkSubs verifies the trie's invariants and that it holds exactly what
// a fresh index built from model holds.
func checkSubs(t *testing.T, s *Subs, model subsModel) {
	t.Helper()
	n, _, err := checkTrie(s.root.Load(), topicSyntax)
	if err != nil {
		t.Fatalf("invariants: %v\n%s", err, dumpString(s.root.Load()))
	}
	if s.Len() != model.len() {
		t.Fatalf("Len = %d, model has %d", s.Len(), model.len())
	}
	fresh := NewSubs()
	for id, ps := range model {
		for p := range ps {
			fresh.Subscribe([]byte(p), id)
		}
	}
	if a, b := dumpString(s.root.Load()), dumpString(fresh.root.Load()); a != b {
		t.Fatalf("trie differs from a fresh build:\n%s\n--- fresh:\n%s", a, b)
	}
	if n != model.len() {
		t.Fatalf("trie holds %d ids, model %d", n, model.len())
	}
}

func TestNamesDifferential(t *testing.T) {
	for _, c := range diffCases {
		for seed := range uint64(4) {
			t.Run(fmt.Sprintf("%s/seed=%d", c.name, seed), func(t *testing.T) {
				c.ops /= 2 // each check scans every name with the reference
				namesDifferential(t, c, seed)
			})
		}
	}
}

func namesDifferential(t *testing.T, c diffCase, seed uint64) {
	r := rand.New(rand.NewPCG(seed, 0xA4E5))
	n := NewNames()
	model := map[string]uint32{}
	var live []string // the names in model, to remove some of them again
	for op := range c.ops {
		name := randPath(r, c.alpha, ".", c.maxSegs)
		id := uint32(r.IntN(c.ids))
		switch k := r.IntN(100); {
		case k < 35:
			n.Add([]byte(name), id)
			if _, ok := model[name]; !ok {
				live = append(live, name)
			}
			model[name] = id
		case k < 75:
			i := -1
			if len(live) > 0 && r.IntN(4) > 0 {
				i = r.IntN(len(live))
				name = live[i]
				if r.IntN(4) > 0 {
					id = model[name]
				}
			}
			n.Remove([]byte(name), id)
			if cur, ok := model[name]; ok && cur == id {
				delete(model, name)
				if i < 0 {
					i = slices.Index(live, name)
				}
				live[i] = live[len(live)-1]
				live = live[:len(live)-1]
			}
		default:
			mask := randPath(r, c.alpha, ".", c.maxSegs+1)
			var dst []uint32
			dst = n.Match([]byte(mask), dst[:0])
			var want []uint32
			for nm, id := range model {
				if refMatchName(mask, nm) {
					want = append(want, id)
				}
			}
			slices.Sort(want)
			if got := sorted(dst); !slices.Equal(got, want) {
				t.Fatalf("op %d: Match(%q) = %v, want %v\n%v", op, mask, got, want, model)
			}
		}
		if n.Len() != len(model) {
			t.Fatalf("op %d: Len = %d, want %d", op, n.Len(), len(model))
		}
		if op%500 == 0 || op == c.ops-1 {
			if cnt, _, err := checkTrie(n.root.Load(), nameSyntax); err != nil || cnt != len(model) {
				t.Fatalf("invariants: %v (%d ids for %d names)", err, cnt, len(model))
			}
		}
	}
}

func TestPatternSetDifferential(t *testing.T) {
	for _, c := range diffCases {
		for seed := range uint64(4) {
			t.Run(fmt.Sprintf("%s/seed=%d", c.name, seed), func(t *testing.T) {
				patternSetDifferential(t, c, seed)
			})
		}
	}
}

func patternSetDifferential(t *testing.T, c diffCase, seed uint64) {
	r := rand.New(rand.NewPCG(seed, 0xE8C1))
	var p PatternSet
	model := map[string]bool{}
	for op := range c.ops {
		pat := randPath(r, c.alpha, "/", c.maxSegs)
		switch k := r.IntN(100); {
		case k < 30:
			if got, want := p.Add([]byte(pat)), !model[pat]; got != want {
				t.Fatalf("op %d: Add(%q) = %v", op, pat, got)
			}
			model[pat] = true
		case k < 50:
			if got, want := p.Remove([]byte(pat)), model[pat]; got != want {
				t.Fatalf("op %d: Remove(%q) = %v", op, pat, got)
			}
			delete(model, pat)
		case k < 51:
			p.Clear()
			clear(model)
		default:
			tp := randTopic(r, c.alpha, c.maxSegs+1)
			want := false
			for q := range model {
				want = want || refMatchTopic(q, tp)
			}
			if got := p.Match([]byte(tp)); got != want {
				t.Fatalf("op %d: Match(%q) = %v, want %v; set %v", op, tp, got, want, model)
			}
		}
		if p.Len() != len(model) {
			t.Fatalf("op %d: Len = %d, want %d", op, p.Len(), len(model))
		}
	}
	if cnt, _, err := checkTrie(p.root.Load(), topicSyntax); err != nil || cnt != len(model) {
		t.Fatalf("invariants: %v (%d ids for %d patterns)", err, cnt, len(model))
	}
}
