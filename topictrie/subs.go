package topictrie

import "sync"

// Subs is a concurrent index of subscription patterns to subscriber ids.
// All methods are safe from any goroutine.
//
// TEMPORARY reference implementation (mutex + scan); replaced by the
// lock-free trie with the same API.
type Subs struct {
	mu   sync.RWMutex
	pats map[string]map[uint32]struct{}
}

// NewSubs returns an empty index.
func NewSubs() *Subs { return &Subs{pats: map[string]map[uint32]struct{}{}} }

// Subscribe adds pattern for id; it reports false if it was already there.
func (s *Subs) Subscribe(pattern []byte, id uint32) bool {
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

// Unsubscribe removes pattern for id; it reports false if it was not there.
func (s *Subs) Unsubscribe(pattern []byte, id uint32) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.pats[string(pattern)]
	if _, ok := m[id]; !ok {
		return false
	}
	delete(m, id)
	if len(m) == 0 {
		delete(s.pats, string(pattern))
	}
	return true
}

// UnsubscribeAll removes every pattern of id.
func (s *Subs) UnsubscribeAll(id uint32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for p, m := range s.pats {
		delete(m, id)
		if len(m) == 0 {
			delete(s.pats, p)
		}
	}
}

// Scratch is per-goroutine matching state (dedup marks). Not safe for
// concurrent use; keep one per routing goroutine or take it from a pool.
type Scratch struct {
	seen  []uint32
	epoch uint32
}

// NewScratch returns matching state.
func NewScratch() *Scratch { return &Scratch{} }

func (sc *Scratch) begin() {
	sc.epoch++
	if sc.epoch == 0 {
		clear(sc.seen)
		sc.epoch = 1
	}
}

// mark reports whether id is seen for the first time in this match.
func (sc *Scratch) mark(id uint32) bool {
	if int(id) >= len(sc.seen) {
		n := make([]uint32, int(id)*2+64)
		copy(n, sc.seen)
		sc.seen = n
	}
	if sc.seen[id] == sc.epoch {
		return false
	}
	sc.seen[id] = sc.epoch
	return true
}

// Match appends to dst the id of every subscriber with at least one pattern
// matching topic, each id once, and returns the extended slice.
func (s *Subs) Match(topic []byte, sc *Scratch, dst []uint32) []uint32 {
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
