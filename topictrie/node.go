package topictrie

import (
	"math/bits"
	"slices"
	"strings"
)

// A node is one position in a trie of `/`-separated patterns (Subs,
// PatternSet) or `.`-separated names (Names). Nodes are immutable once
// published behind an atomic root: every update copies the path from the
// root to the changed node (see update), so a reader that loaded the root
// sees one consistent snapshot without locks.
//
// Topic tries are path-compressed: the label of a literal edge (slot.seg)
// may hold several segments ("a/b/c") where the positions in between hold
// nothing and branch nowhere. A node reached through a literal edge always
// holds ids, a `+` child, or two or more literal children; only the root
// and `+` children may be bare pass-throughs. Labels hold no wildcards.
type node struct {
	kids []slot   // literal children: a table (see slot)
	kmap uint32   // kids is a hashed level with these positions; 0: a linear list
	nEnd uint32   // length of the ends-here part of ids
	plus *node    // child for the one-segment wildcard `+`; nil when none
	ids  []uint32 // ids[:nEnd] end here, ids[nEnd:] hold `#` here; both sorted, duplicates allowed
}

func (n *node) ends() []uint32  { return n.ids[:n.nEnd] }
func (n *node) tails() []uint32 { return n.ids[n.nEnd:] }

// clone returns a private copy of n (an empty node for nil) for a writer to
// modify before publishing it.
func (n *node) clone() *node {
	if n == nil {
		return &node{}
	}
	c := *n
	return &c
}

// orNil returns nil for a node that holds nothing, so updates prune it.
func (n *node) orNil() *node {
	if len(n.ids) == 0 && len(n.kids) == 0 && n.plus == nil {
		return nil
	}
	return n
}

// editOp says what an update does at the pattern's position.
type editOp uint8

const (
	opAdd      editOp = iota // add id (multiset)
	opRemove                 // remove one occurrence of id
	opSet                    // make id the only end id (Names)
	opRemoveIf               // remove the end ids if they are exactly [id] (Names)
)

// syntax describes how patterns are split and which segments are wildcards.
type syntax struct {
	sep      byte
	wild     bool // `+` and `#` are wildcards (topics); names have none
	compress bool // edge labels may hold several segments
}

var (
	topicSyntax = syntax{sep: '/', wild: true, compress: true}
	nameSyntax  = syntax{sep: '.'}
)

// edit is one update of a trie: apply op for id at the position of a pattern.
type edit struct {
	syn syntax
	op  editOp
	id  uint32
	new bool // opSet: the name was not registered before
}

// update returns a copy of n (nil: empty) with the edit applied at the
// position of rest, the unconsumed part of the pattern; final reports that
// the pattern is used up (its position is n itself). It returns n and false
// when nothing changes, and nil for a node left empty (pruned by the
// caller). Only the nodes and tables on the path are copied.
func (e *edit) update(n *node, rest string, final bool) (*node, bool) {
	if final {
		return e.apply(n, false)
	}
	seg, tail, more := cutString(rest, e.syn.sep)
	if e.syn.wild {
		switch seg {
		case "#":
			return e.apply(n, true) // the rest of the pattern is ignored
		case "+":
			var old *node
			if n != nil {
				old = n.plus
			}
			k, ok := e.update(old, tail, !more)
			if !ok {
				return n, false
			}
			c := n.clone()
			c.plus = k
			return c.orNil(), true
		}
	}
	h := hashString(seg)
	var old *slot
	if n != nil {
		old = n.findLabel(seg, h, e.syn)
	}
	if old == nil { // a new edge
		if e.op != opAdd && e.op != opSet {
			return n, false
		}
		label, after, fin := seg, tail, !more
		if e.syn.compress {
			label, after, fin = e.syn.literalRun(rest)
		}
		k, _ := e.update(nil, after, fin)
		c := n.clone()
		c.kids, c.kmap = tableWith(c.kids, c.kmap, slot{h, label, k}) // label shares the stored pattern's bytes
		return c, true
	}
	j, after, fin := e.syn.follow(old.seg, rest)
	if j < len(old.seg) { // the pattern leaves the label inside it
		if e.op != opAdd {
			return n, false
		}
		lower := old.seg[j+1:]
		mid := &node{}
		mid.kids, mid.kmap = tableWith(nil, 0, slot{hashString(firstSeg(lower, e.syn.sep)), lower, old.node})
		k, _ := e.update(mid, after, fin)
		return n.withEdge(old.seg, slot{h, old.seg[:j], k}), true
	}
	k, ok := e.update(old.node, after, fin)
	if !ok {
		return n, false
	}
	if k == nil {
		c := n.clone()
		c.kids, c.kmap, _ = tableWithout(c.kids, c.kmap, old.seg, h)
		return c.orNil(), true
	}
	edge := slot{h, old.seg, k}
	if e.syn.compress && k.plus == nil && len(k.ids) == 0 && len(k.kids) == 1 && k.kmap == 0 {
		// k became a bare pass-through: merge its edge into this one.
		edge.seg, edge.node = old.seg+string(e.syn.sep)+k.kids[0].seg, k.kids[0].node
	}
	return n.withEdge(old.seg, edge), true
}

// withEdge returns a copy of n in which edge replaces the edge labelled
// oldLabel (same first segment).
func (n *node) withEdge(oldLabel string, edge slot) *node {
	c := n.clone()
	if edge.seg != oldLabel {
		c.kids, c.kmap, _ = tableWithout(c.kids, c.kmap, oldLabel, edge.hash)
	}
	c.kids, c.kmap = tableWith(c.kids, c.kmap, edge)
	return c
}

// findLabel returns the slot of n's literal edge whose first segment is
// seg (hash h), or nil.
func (n *node) findLabel(seg string, h uint64, syn syntax) *slot {
	kids, kmap := n.kids, n.kmap
	for shift := uint(0); ; shift += levelBits {
		if kmap == 0 {
			for i := range kids {
				if kids[i].hash == h && syn.firstIs(kids[i].seg, seg) {
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
			if s.hash == h && syn.firstIs(s.seg, seg) {
				return s
			}
			return nil
		}
		kids, kmap = s.node.kids, s.node.kmap
	}
}

// firstIs reports whether label's first segment is seg.
func (syn syntax) firstIs(label, seg string) bool {
	if !syn.compress {
		return label == seg
	}
	return strings.HasPrefix(label, seg) && (len(label) == len(seg) || label[len(seg)] == syn.sep)
}

// firstSeg returns the first segment of label.
func firstSeg(label string, sep byte) string {
	seg, _, _ := cutString(label, sep)
	return seg
}

// literalRun splits rest, a pattern remainder starting with a literal
// segment, into its leading run of literal segments (a compressed label),
// the remainder after it, and whether the pattern ends with the run.
func (syn syntax) literalRun(rest string) (label, after string, fin bool) {
	i := 0
	for {
		seg, _, more := cutString(rest[i:], syn.sep)
		if !more {
			return rest, "", true
		}
		next := i + len(seg) + 1
		if n, _, _ := cutString(rest[next:], syn.sep); syn.wild && (n == "+" || n == "#") {
			return rest[:next-1], rest[next:], false
		}
		i = next
	}
}

// follow matches the pattern remainder rest against label, whose first
// segment it shares, segment by segment. It returns the length j of the
// label prefix matched (whole segments; j == len(label) when all of it),
// the pattern remainder after those segments, and whether the pattern ends
// there.
func (syn syntax) follow(label, rest string) (j int, after string, fin bool) {
	i := 0 // start of the current segment in label
	for {
		ls, _, lmore := cutString(label[i:], syn.sep)
		ps, prest, pmore := cutString(rest, syn.sep)
		if ls != ps {
			return i - 1, rest, false // i > 0: the first segments are equal
		}
		if !lmore {
			return len(label), prest, !pmore
		}
		if !pmore {
			return i + len(ls), "", true
		}
		i += len(ls) + 1
		rest = prest
	}
}

// apply performs the edit on the end ids (tail false) or on the `#` ids
// (tail true) of a copy of n.
func (e *edit) apply(n *node, tail bool) (*node, bool) {
	var ids []uint32
	var nEnd int
	if n != nil {
		ids, nEnd = n.ids, int(n.nEnd)
	}
	lo, hi := 0, nEnd // the part of ids being edited
	if tail {
		lo, hi = nEnd, len(ids)
	}
	part := ids[lo:hi]
	var out []uint32
	switch e.op {
	case opAdd:
		i, _ := slices.BinarySearch(part, e.id)
		out = make([]uint32, len(ids)+1)
		copy(out, ids[:lo+i])
		out[lo+i] = e.id
		copy(out[lo+i+1:], ids[lo+i:])
		if !tail {
			nEnd++
		}
	case opRemove:
		i, found := slices.BinarySearch(part, e.id)
		if !found {
			return n, false
		}
		if len(ids) > 1 {
			out = make([]uint32, 0, len(ids)-1)
			out = append(append(out, ids[:lo+i]...), ids[lo+i+1:]...)
		}
		if !tail {
			nEnd--
		}
	case opSet: // names: a position has no `#` part
		if len(part) == 1 && part[0] == e.id {
			return n, false
		}
		e.new = len(part) == 0
		out, nEnd = []uint32{e.id}, 1
	case opRemoveIf:
		if len(part) != 1 || part[0] != e.id {
			return n, false
		}
		out, nEnd = nil, 0
	}
	c := n.clone()
	c.ids, c.nEnd = out, uint32(nEnd)
	return c.orNil(), true
}

// cutString splits s at the first sep: the segment, the rest, and whether a
// separator was found (so "a/" is "a" followed by one empty segment).
func cutString(s string, sep byte) (seg, rest string, more bool) {
	if i := strings.IndexByte(s, sep); i >= 0 {
		return s[:i], s[i+1:], true
	}
	return s, "", false
}
