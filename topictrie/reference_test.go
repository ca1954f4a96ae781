package topictrie

import (
	"slices"
	"strings"
	"sync"
)

// refMatchTopic is ROUTING.md §4.1's algorithm, transcribed literally.
func refMatchTopic(P, T string) bool {
	p := strings.Split(P, "/") // never yields zero segments: "" is one empty segment
	t := strings.Split(T, "/")
	for i := 0; ; i++ {
		if i == len(p) {
			return i == len(t)
		}
		if i == len(t) {
			return false // topic exhausted, pattern not
		}
		if p[i] == "#" {
			return true // rest of pattern is ignored
		}
		if p[i] == "+" || p[i] == t[i] {
			continue
		}
		return false
	}
}

// refMatchName is ROUTING.md §5.1's algorithm, transcribed literally.
func refMatchName(M, N string) bool {
	m := strings.Split(M, ".")
	n := strings.Split(N, ".")
	for i := 0; ; i++ {
		if i == len(m) {
			return i == len(n)
		}
		if m[i] == "*" {
			return i < len(n) // at least one more chunk required
		}
		if i == len(n) {
			return false
		}
		if m[i] == "?" || m[i] == n[i] {
			continue
		}
		return false
	}
}

// naiveSubs is the baseline: a mutex-guarded map scanned on every match
// (the package's first, temporary implementation).
type naiveSubs struct {
	mu   sync.RWMutex
	pats map[string]map[uint32]struct{}
}

func newNaiveSubs() *naiveSubs { return &naiveSubs{pats: map[string]map[uint32]struct{}{}} }

func (s *naiveSubs) Subscribe(pattern []byte, id uint32) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.pats[string(pattern)]
	if m == nil {
		m = map[uint32]struct{}{}
		s.pats[string(pattern)] = m
	}
	if _, ok := m[id]; ok {
		return false
	}
	m[id] = struct{}{}
	return true
}

func (s *naiveSubs) Match(topic []byte, sc *Scratch, dst []uint32) []uint32 {
	sc.begin()
	s.mu.RLock()
	defer s.mu.RUnlock()
	for p, m := range s.pats {
		if MatchTopic([]byte(p), topic) {
			for id := range m {
				if sc.mark(id) {
					dst = append(dst, id)
				}
			}
		}
	}
	return dst
}

// naiveNames is the baseline broadcast index: a mutex-guarded map scan.
type naiveNames struct {
	mu    sync.RWMutex
	names map[string]uint32
}

func newNaiveNames() *naiveNames { return &naiveNames{names: map[string]uint32{}} }

func (n *naiveNames) Add(name []byte, id uint32) {
	n.mu.Lock()
	n.names[string(name)] = id
	n.mu.Unlock()
}

func (n *naiveNames) Match(mask []byte, dst []uint32) []uint32 {
	n.mu.RLock()
	defer n.mu.RUnlock()
	for name, id := range n.names {
		if MatchName(mask, []byte(name)) {
			dst = append(dst, id)
		}
	}
	return dst
}

// subsModel is the expected state of a Subs: id -> pattern strings.
type subsModel map[uint32]map[string]bool

func (m subsModel) subscribe(p string, id uint32) bool {
	if m[id] == nil {
		m[id] = map[string]bool{}
	}
	if m[id][p] {
		return false
	}
	m[id][p] = true
	return true
}

func (m subsModel) unsubscribe(p string, id uint32) bool {
	if !m[id][p] {
		return false
	}
	delete(m[id], p)
	if len(m[id]) == 0 {
		delete(m, id)
	}
	return true
}

// match returns the sorted ids with a pattern matching topic, per the
// reference matcher.
func (m subsModel) match(topic string) []uint32 {
	var out []uint32
	for id, ps := range m {
		for p := range ps {
			if refMatchTopic(p, topic) {
				out = append(out, id)
				break
			}
		}
	}
	slices.Sort(out)
	return out
}

func (m subsModel) len() int {
	n := 0
	for _, ps := range m {
		n += len(ps)
	}
	return n
}

func sorted(ids []uint32) []uint32 {
	out := slices.Clone(ids)
	slices.Sort(out)
	return out
}
