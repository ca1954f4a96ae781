package topictrie

import (
	"bytes"
	"sync"
	"sync/atomic"
)

// Subs is the subscription index: topic patterns (ROUTING.md §4.1) to
// subscriber ids. Each distinct pattern string of an id is its own
// subscription: `a/#` and `a/#/x` match the same topics, but unsubscribing
// one leaves the other (DECISIONS.md: upstream's shared slot is not
// reproduced).
//
// All methods are safe from any goroutine. Match never blocks and never
// allocates once dst and the Scratch are warm: it reads an immutable
// snapshot behind an atomic pointer, so it sees either all or none of each
// Subscribe, Unsubscribe or UnsubscribeAll. Writers serialize on an internal
// mutex and publish a new snapshot that shares every untouched node.
//
// Ids are small and dense (the caller allocates and reuses them): per-id
// state lives in slices indexed by id.
type Subs struct {
	root  atomic.Pointer[node] // current snapshot; nil when empty
	count atomic.Int64         // (pattern, id) subscriptions

	mu   sync.Mutex    // serializes writers; guards byID
	byID []patternList // the pattern strings of each id
}

// NewSubs returns an empty index. The zero Subs is also ready to use.
func NewSubs() *Subs { return &Subs{} }

// Len returns the number of (pattern, id) subscriptions. Safe from any
// goroutine; never blocks.
func (s *Subs) Len() int { return int(s.count.Load()) }

// Subscribe adds pattern for id; it reports false if it was already there.
// Safe from any goroutine.
func (s *Subs) Subscribe(pattern []byte, id uint32) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if int(id) >= len(s.byID) {
		s.byID = append(s.byID, make([]patternList, int(id)+1-len(s.byID))...)
	}
	pl := &s.byID[id]
	if pl.has(pattern) {
		return false
	}
	p := string(pattern) // owned copy; new nodes' segments point into it
	e := edit{syn: topicSyntax, op: opAdd, id: id}
	root, _ := e.update(s.root.Load(), p, false)
	s.root.Store(root)
	pl.add(p)
	s.count.Add(1)
	return true
}

// Unsubscribe removes pattern for id; it reports false if it was not there.
// Safe from any goroutine.
func (s *Subs) Unsubscribe(pattern []byte, id uint32) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if int(id) >= len(s.byID) || !s.byID[id].remove(pattern) {
		return false
	}
	e := edit{syn: topicSyntax, op: opRemove, id: id}
	root, _ := e.update(s.root.Load(), string(pattern), false)
	s.root.Store(root)
	s.count.Add(-1)
	return true
}

// UnsubscribeAll removes every pattern of id, as one atomic change for
// Match. Safe from any goroutine.
func (s *Subs) UnsubscribeAll(id uint32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if int(id) >= len(s.byID) || s.byID[id].len() == 0 {
		return
	}
	pats := s.byID[id].all()
	e := edit{syn: topicSyntax, op: opRemove, id: id}
	root := s.root.Load()
	for _, p := range pats {
		root, _ = e.update(root, p, false)
	}
	s.root.Store(root)
	s.byID[id].reset()
	s.count.Add(-int64(len(pats)))
}

// Scratch is per-goroutine matching state: dedup marks indexed by id and
// the split, hashed topic. Not safe for concurrent use; keep one per
// routing goroutine or take it from a pool. It grows to the largest id and
// the longest topic seen.
type Scratch struct {
	seen  []uint32  // per id: the epoch of the match that last emitted it
	epoch uint32    // current match
	segs  []segment // the topic's segments
}

// segment is one topic segment: its bounds in the topic and its hash.
type segment struct {
	lo, hi uint32
	hash   uint64
}

// NewScratch returns empty matching state; it grows on first use. Safe
// from any goroutine (the returned Scratch then belongs to one goroutine
// at a time).
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

func (sc *Scratch) emit(ids []uint32, dst []uint32) []uint32 {
	for _, id := range ids {
		if sc.mark(id) {
			dst = append(dst, id)
		}
	}
	return dst
}

// Match appends to dst the id of every subscriber with at least one pattern
// matching topic, each id once (in no particular order), and returns the
// extended slice. Safe from any goroutine with a Scratch of its own; never
// blocks, and allocates only to grow dst and sc.
func (s *Subs) Match(topic []byte, sc *Scratch, dst []uint32) []uint32 {
	sc.begin()
	if root := s.root.Load(); root != nil {
		sc.split(topic)
		dst = sc.walk(root, topic, 0, dst)
	}
	return dst
}

// split records the bounds and hashes of topic's segments.
func (sc *Scratch) split(topic []byte) {
	sc.segs = sc.segs[:0]
	lo := 0
	for {
		i := bytes.IndexByte(topic[lo:], '/')
		hi := len(topic)
		if i >= 0 {
			hi = lo + i
		}
		sc.segs = append(sc.segs, segment{uint32(lo), uint32(hi), hashBytes(topic[lo:hi])})
		if i < 0 {
			return
		}
		lo = hi + 1
	}
}

// walk matches the topic's segments from d on (at least one) below n.
func (sc *Scratch) walk(n *node, topic []byte, d int, dst []uint32) []uint32 {
	last := len(sc.segs) - 1
	for {
		if len(n.ids) > int(n.nEnd) {
			dst = sc.emit(n.tails(), dst) // `#` takes the one or more segments left
		}
		var next *node
		nd := d // the last segment next's label takes
		if len(n.kids) > 0 {
			sg := &sc.segs[d]
			if e := n.edge(topic[sg.lo:sg.hi], sg.hash); e != nil {
				if len(e.seg) == int(sg.hi-sg.lo) {
					next = e.node
				} else if end := followLabel(e.seg, topic, int(sg.lo)); end >= 0 {
					next = e.node
					for int(sc.segs[nd].hi) < end {
						nd++
					}
				}
			}
		}
		if p := n.plus; p != nil {
			switch {
			case d == last:
				dst = sc.emit(p.ends(), dst)
			case next == nil:
				n, d = p, d+1
				continue
			default:
				dst = sc.walk(p, topic, d+1, dst)
			}
		}
		if next == nil {
			return dst
		}
		if nd == last {
			return sc.emit(next.ends(), dst)
		}
		n, d = next, nd+1
	}
}
