package topictrie

import "math/bits"

// A node's literal children form a table held in the node itself (kids,
// kmap). Tables are immutable once published: writers build modified copies
// (persistent updates) and readers use them without synchronization.
//
// A small table is a linear list (kmap == 0). A larger one is a hash array
// mapped trie: each level uses levelBits bits of the segment's hash to pick
// a position; kmap has a bit per occupied position and kids one slot per
// bit, in order. A slot holds a child, or a deeper level (a node used only
// for its kids and kmap). Once the hash is used up (shift >= maxShift) a
// level is a linear collision list. Updating a hashed table copies one slot
// array (at most 32 slots) per level, so very wide nodes stay cheap to
// update.
//
// Slots carry the child's full segment hash: lookups skip non-matching
// children without touching them, and compare the segment bytes only on a
// hash match of a long segment (see segHash).
type slot struct {
	hash uint64 // the child's segment hash (never 0), or 0 for a deeper level
	seg  string // the child's segment (a substring of a stored pattern or name)
	node *node  // the child, or the deeper level
}

const (
	linearMax = 8 // a linear table growing beyond this becomes hashed
	linearMin = 4 // a hashed table shrinking to this becomes linear
	levelBits = 5 // hash bits per hashed level: 32 positions
	levelMask = 1<<levelBits - 1
	maxShift  = 64 // at this shift the hash is used up
)

// find returns n's literal child for seg, whose hash is h, or nil. For
// tries whose labels are single segments (Names).
func (n *node) find(seg []byte, h uint64) *node {
	kids, kmap := n.kids, n.kmap
	for shift := uint(0); ; shift += levelBits {
		if kmap == 0 { // a linear table or collision list
			for i := range kids {
				if kids[i].hash == h && len(kids[i].seg) == len(seg) && sameSeg(kids[i].seg, seg) {
					return kids[i].node
				}
			}
			return nil
		}
		bit := uint32(1) << (h >> shift & levelMask)
		if kmap&bit == 0 {
			return nil
		}
		s := &kids[bits.OnesCount32(kmap&(bit-1))]
		if s.hash != 0 {
			if s.hash == h && len(s.seg) == len(seg) && sameSeg(s.seg, seg) {
				return s.node
			}
			return nil
		}
		kids, kmap = s.node.kids, s.node.kmap
	}
}

// edge returns the slot of n's literal edge whose label starts with the
// topic segment seg (hash h), or nil. For path-compressed topic tries: the
// caller matches the rest of a longer label.
func (n *node) edge(seg []byte, h uint64) *slot {
	kids, kmap := n.kids, n.kmap
	for shift := uint(0); ; shift += levelBits {
		if kmap == 0 {
			for i := range kids {
				if kids[i].hash == h && labelStarts(kids[i].seg, seg) {
					return &kids[i]
				}
			}
			return nil
		}
		bit := uint32(1) << (h >> shift & levelMask)
		if kmap&bit == 0 {
			return nil
		}
		s := &kids[bits.OnesCount32(kmap&(bit-1))]
		if s.hash != 0 {
			if s.hash == h && labelStarts(s.seg, seg) {
				return s
			}
			return nil
		}
		kids, kmap = s.node.kids, s.node.kmap
	}
}

// labelStarts reports whether a topic label whose first segment hashes
// like seg starts with the segment seg.
func labelStarts(label string, seg []byte) bool {
	if len(label) == len(seg) {
		return sameSeg(label, seg)
	}
	return len(label) > len(seg) && label[len(seg)] == '/' && sameSeg(label[:len(seg)], seg)
}

// followLabel matches the label of a topic edge found by its first segment
// against topic from byte lo (where that segment starts). It returns the
// end of the label in topic, or -1 if the topic does not follow the whole
// label (a label ends at the end of the topic or before a '/').
func followLabel(label string, topic []byte, lo int) int {
	end := lo + len(label)
	if end > len(topic) || string(topic[lo:end]) != label || (end < len(topic) && topic[end] != '/') {
		return -1
	}
	return end
}

// tableWith returns a copy of the table (kids, kmap) in which c (the slot
// of a child) replaces the child of the same segment or is added.
func tableWith(kids []slot, kmap uint32, c slot) ([]slot, uint32) {
	if kmap != 0 {
		return levelWith(kids, kmap, c, 0)
	}
	if i := linearIndex(kids, c.seg, c.hash); i >= 0 {
		ns := append([]slot(nil), kids...)
		ns[i].node = c.node
		return ns, 0
	}
	if len(kids) < linearMax {
		ns := make([]slot, len(kids), len(kids)+1)
		copy(ns, kids)
		return append(ns, c), 0
	}
	var ns []slot
	var m uint32
	for _, s := range kids {
		ns, m = levelWith(ns, m, s, 0)
	}
	return levelWith(ns, m, c, 0)
}

// tableWithout returns a copy of the table (kids, kmap) without the child
// for seg (hash h), and false if there is no such child.
func tableWithout(kids []slot, kmap uint32, seg string, h uint64) ([]slot, uint32, bool) {
	if kmap == 0 {
		ns, ok := linearWithout(kids, seg, h)
		return ns, 0, ok
	}
	ns, m, ok := levelWithout(kids, kmap, seg, h, 0)
	if ok && m != 0 && len(ns) <= linearMin && countChildren(ns, linearMin+1) <= linearMin {
		return appendChildren(make([]slot, 0, linearMin), ns), 0, true
	}
	return ns, m, ok
}

func linearIndex(kids []slot, seg string, h uint64) int {
	for i := range kids {
		if kids[i].hash == h && kids[i].seg == seg {
			return i
		}
	}
	return -1
}

func linearWithout(kids []slot, seg string, h uint64) ([]slot, bool) {
	i := linearIndex(kids, seg, h)
	if i < 0 {
		return kids, false
	}
	if len(kids) == 1 {
		return nil, true
	}
	ns := make([]slot, 0, len(kids)-1)
	return append(append(ns, kids[:i]...), kids[i+1:]...), true
}

// levelWith returns a copy of the hashed level (kids, kmap) at shift, which
// may be empty, with c (the slot of a child) added or replacing the child
// of c's segment.
func levelWith(kids []slot, kmap uint32, c slot, shift uint) ([]slot, uint32) {
	if shift >= maxShift { // collision list
		if i := linearIndex(kids, c.seg, c.hash); i >= 0 {
			ns := append([]slot(nil), kids...)
			ns[i].node = c.node
			return ns, 0
		}
		return append(append([]slot(nil), kids...), c), 0
	}
	bit := uint32(1) << (c.hash >> shift & levelMask)
	i := bits.OnesCount32(kmap & (bit - 1))
	if kmap&bit == 0 {
		ns := make([]slot, 0, len(kids)+1)
		ns = append(append(append(ns, kids[:i]...), c), kids[i:]...)
		return ns, kmap | bit
	}
	ns := append([]slot(nil), kids...)
	switch s := kids[i]; {
	case s.hash == 0: // a deeper level
		sk, sm := levelWith(s.node.kids, s.node.kmap, c, shift+levelBits)
		ns[i].node = &node{kids: sk, kmap: sm}
	case s.hash == c.hash && s.seg == c.seg:
		ns[i].node = c.node
	default: // two segments share the position: push both one level down
		sk, sm := levelWith(nil, 0, s, shift+levelBits)
		sk, sm = levelWith(sk, sm, c, shift+levelBits)
		ns[i] = slot{node: &node{kids: sk, kmap: sm}}
	}
	return ns, kmap
}

// levelWithout returns a copy of the hashed level (kids, kmap) at shift
// without the child for seg (hash h), and false if there is none. A deeper
// level left with a single child is folded into its slot.
func levelWithout(kids []slot, kmap uint32, seg string, h uint64, shift uint) ([]slot, uint32, bool) {
	if shift >= maxShift {
		ns, ok := linearWithout(kids, seg, h)
		return ns, 0, ok
	}
	bit := uint32(1) << (h >> shift & levelMask)
	if kmap&bit == 0 {
		return kids, kmap, false
	}
	i := bits.OnesCount32(kmap & (bit - 1))
	s := kids[i]
	if s.hash == 0 {
		sk, sm, ok := levelWithout(s.node.kids, s.node.kmap, seg, h, shift+levelBits)
		if !ok {
			return kids, kmap, false
		}
		ns := append([]slot(nil), kids...)
		if len(sk) == 1 && sk[0].hash != 0 {
			ns[i] = sk[0] // fold the lone child up
		} else {
			ns[i].node = &node{kids: sk, kmap: sm}
		}
		return ns, kmap, true
	}
	if s.hash != h || s.seg != seg {
		return kids, kmap, false
	}
	if len(kids) == 1 {
		return nil, 0, true
	}
	ns := make([]slot, 0, len(kids)-1)
	return append(append(ns, kids[:i]...), kids[i+1:]...), kmap &^ bit, true
}

// countChildren counts the children in kids and its deeper levels, up to
// limit.
func countChildren(kids []slot, limit int) int {
	n := 0
	for _, s := range kids {
		if s.hash == 0 {
			n += countChildren(s.node.kids, limit-n)
		} else {
			n++
		}
		if n >= limit {
			break
		}
	}
	return n
}

// appendChildren appends a slot for every child in kids and its deeper
// levels.
func appendChildren(dst, kids []slot) []slot {
	for _, s := range kids {
		if s.hash == 0 {
			dst = appendChildren(dst, s.node.kids)
		} else {
			dst = append(dst, s)
		}
	}
	return dst
}
