package topictrie

import (
	"sync"
	"sync/atomic"
)

// PatternSet is a set of topic patterns with the subscription syntax and
// rules (ROUTING.md §4.1): a client's exclusions (§7). Distinct strings are
// distinct members, so removing `a/#/x` keeps `a/#`.
//
// The zero PatternSet is empty and ready to use; it must not be copied
// after first use. All methods are safe from any goroutine. Match and Len
// never block and never allocate: they read an immutable trie behind an
// atomic pointer. Add, Remove and Clear serialize on an internal mutex.
type PatternSet struct {
	root  atomic.Pointer[node] // trie of the patterns (id 0 each); nil when empty
	count atomic.Int32         // number of patterns

	mu   sync.Mutex  // serializes writers; guards pats
	pats patternList // the pattern strings
}

// Add inserts pattern; it reports false if it was already present.
// Safe from any goroutine.
func (p *PatternSet) Add(pattern []byte) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pats.has(pattern) {
		return false
	}
	s := string(pattern)
	e := edit{syn: topicSyntax, op: opAdd}
	root, _ := e.update(p.root.Load(), s, false)
	p.root.Store(root)
	p.pats.add(s)
	p.count.Add(1)
	return true
}

// Remove deletes pattern; it reports false if it was absent.
// Safe from any goroutine.
func (p *PatternSet) Remove(pattern []byte) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.pats.remove(pattern) {
		return false
	}
	e := edit{syn: topicSyntax, op: opRemove}
	root, _ := e.update(p.root.Load(), string(pattern), false)
	p.root.Store(root)
	p.count.Add(-1)
	return true
}

// Clear removes every pattern. Safe from any goroutine.
func (p *PatternSet) Clear() {
	p.mu.Lock()
	p.root.Store(nil)
	p.pats.reset()
	p.count.Store(0)
	p.mu.Unlock()
}

// Len returns the number of patterns. Safe from any goroutine; never blocks.
func (p *PatternSet) Len() int { return int(p.count.Load()) }

// Match reports whether any pattern matches topic. Safe from any goroutine;
// never blocks, never allocates.
func (p *PatternSet) Match(topic []byte) bool {
	root := p.root.Load()
	return root != nil && matchAny(root, topic)
}

// matchAny reports whether any pattern below n matches the remaining topic
// (at least one segment).
func matchAny(n *node, topic []byte) bool {
	for {
		if len(n.ids) > int(n.nEnd) {
			return true // `#` here
		}
		seg, rest, more := cut(topic, '/')
		var next *node
		nrest, nmore := rest, more // the topic after next's label
		if len(n.kids) > 0 {
			if e := n.edge(seg, hashBytes(seg)); e != nil {
				if len(e.seg) == len(seg) {
					next = e.node
				} else if end := followLabel(e.seg, topic, 0); end >= 0 {
					next = e.node
					nmore = end < len(topic)
					nrest = topic[min(end+1, len(topic)):]
				}
			}
		}
		if p := n.plus; p != nil {
			switch {
			case !more:
				if p.nEnd > 0 {
					return true
				}
			case next == nil:
				n, topic = p, rest
				continue
			default:
				if matchAny(p, rest) {
					return true
				}
			}
		}
		if next == nil {
			return false
		}
		if !nmore {
			return next.nEnd > 0
		}
		n, topic = next, nrest
	}
}
