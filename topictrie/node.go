package topictrie

import (
	"slices"
	"strings"
)

// A node is one position in a trie of `/`-separated patterns (Subs,
// PatternSet) or `.`-separated names (Names). Nodes are immutable once
// published behind an atomic root: every update copies the path from the
// root to the changed node (see update), so a reader that loaded the root
// sees one consistent snapshot without locks.
type node struct {
	seg  string   // literal segment leading here from the parent (a substring of a stored pattern)
	kids *table   // literal children; nil when none
	plus *node    // child for the one-segment wildcard `+`; nil when none
	ids  []uint32 // ids[:nEnd] end here, ids[nEnd:] hold `#` here; both sorted, duplicates allowed
	nEnd uint32   // length of the ends-here part of ids
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
	if len(n.ids) == 0 && n.kids == nil && n.plus == nil {
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
	sep  byte
	wild bool // `+` and `#` are wildcards (topics); names have none
}

var (
	topicSyntax = syntax{sep: '/', wild: true}
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
	var old *node
	if n != nil {
		old = n.kids.findString(seg)
	}
	k, ok := e.update(old, tail, !more)
	if !ok {
		return n, false
	}
	c := n.clone()
	if k == nil {
		c.kids = c.kids.without(seg)
		return c.orNil(), true
	}
	if old == nil {
		k.seg = seg // shares the stored pattern's bytes
	}
	c.kids = c.kids.with(k)
	return c, true
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
