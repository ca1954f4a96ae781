package topictrie

import (
	"bytes"
	"sync"
	"sync/atomic"
)

// PatternSet is a small set of topic patterns (a client's exclusions).
// Match is lock-free and safe from any goroutine; Add and Remove are
// serialized internally.
type PatternSet struct {
	mu   sync.Mutex
	list atomic.Pointer[[][]byte]
}

// Add inserts pattern; it reports false if it was already present.
func (p *PatternSet) Add(pattern []byte) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	var cur [][]byte
	if l := p.list.Load(); l != nil {
		cur = *l
	}
	for _, x := range cur {
		if bytes.Equal(x, pattern) {
			return false
		}
	}
	n := make([][]byte, len(cur), len(cur)+1)
	copy(n, cur)
	n = append(n, bytes.Clone(pattern))
	p.list.Store(&n)
	return true
}

// Remove deletes pattern; it reports false if it was absent.
func (p *PatternSet) Remove(pattern []byte) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	l := p.list.Load()
	if l == nil {
		return false
	}
	for i, x := range *l {
		if bytes.Equal(x, pattern) {
			n := make([][]byte, 0, len(*l)-1)
			n = append(n, (*l)[:i]...)
			n = append(n, (*l)[i+1:]...)
			p.list.Store(&n)
			return true
		}
	}
	return false
}

// Clear removes every pattern.
func (p *PatternSet) Clear() {
	p.mu.Lock()
	p.list.Store(nil)
	p.mu.Unlock()
}

// Len returns the number of patterns.
func (p *PatternSet) Len() int {
	if l := p.list.Load(); l != nil {
		return len(*l)
	}
	return 0
}

// Match reports whether any pattern matches topic.
func (p *PatternSet) Match(topic []byte) bool {
	l := p.list.Load()
	if l == nil {
		return false
	}
	for _, x := range *l {
		if MatchTopic(x, topic) {
			return true
		}
	}
	return false
}
