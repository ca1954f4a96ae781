package topictrie

import (
	"hash/maphash"
	"math/bits"
)

// A table holds a node's literal children keyed by segment. Tables are
// immutable once published: writers build modified copies (persistent
// updates), readers use them without synchronization.
//
// Small tables are linear (bitmap == 0): a short list compared segment by
// segment. Larger ones are hash array mapped tries: each level consumes
// levelBits bits of the segment's hash; a slot holds either a child or a
// deeper level. Once the hash is exhausted (shift >= maxShift), the level is
// a linear collision list. Updating a hashed table copies one slot array
// per level (at most 32 slots), so wide nodes stay cheap to update.
type table struct {
	bitmap uint32 // hashed level: occupied positions; 0: linear list
	size   uint32 // children in this level and all deeper levels
	slots  []slot // linear: children; hashed: one per bit set in bitmap
}

// A slot is either a child (child != nil) or a deeper hashed level.
type slot struct {
	child *node  // a child node, keyed by child.seg
	sub   *table // a deeper level when child is nil
}

const (
	linearMax = 8 // a top-level linear table above this size is hashed
	linearMin = 4 // a hashed table at or below this size becomes linear
	levelBits = 5 // hash bits per hashed level (32 slots)
	levelMask = 1<<levelBits - 1
	maxShift  = 64 // hash bits are exhausted at this shift
)

// segSeed seeds segment hashes; the layout of hashed tables is private to
// the process.
var segSeed = maphash.MakeSeed()

// hashMask narrows segment hashes; tests shrink it to force collisions.
var hashMask = ^uint64(0)

func hashBytes(b []byte) uint64  { return maphash.Bytes(segSeed, b) & hashMask }
func hashString(s string) uint64 { return maphash.String(segSeed, s) & hashMask }

// find returns the child for seg, or nil. h is not consulted by linear
// tables; pass the hash via findHashed when the caller caches it.
func (t *table) find(seg []byte) *node {
	if t.bitmap == 0 {
		return t.findLinear(seg)
	}
	return t.findHashed(seg, hashBytes(seg))
}

func (t *table) findLinear(seg []byte) *node {
	for i := range t.slots {
		if c := t.slots[i].child; c.seg == string(seg) {
			return c
		}
	}
	return nil
}

// findHashed looks seg up in a hashed table given h = hashBytes(seg).
func (t *table) findHashed(seg []byte, h uint64) *node {
	for shift := uint(0); ; shift += levelBits {
		if t.bitmap == 0 {
			return t.findLinear(seg) // collision list
		}
		bit := uint32(1) << (h >> shift & levelMask)
		if t.bitmap&bit == 0 {
			return nil
		}
		s := &t.slots[bits.OnesCount32(t.bitmap&(bit-1))]
		if s.sub == nil {
			if s.child.seg == string(seg) {
				return s.child
			}
			return nil
		}
		t = s.sub
	}
}

// findString is find for writers, which hold segments as strings.
func (t *table) findString(seg string) *node {
	if t == nil {
		return nil
	}
	h := uint64(0)
	if t.bitmap != 0 {
		h = hashString(seg)
	}
	for shift := uint(0); ; shift += levelBits {
		if t.bitmap == 0 {
			for i := range t.slots {
				if c := t.slots[i].child; c.seg == seg {
					return c
				}
			}
			return nil
		}
		bit := uint32(1) << (h >> shift & levelMask)
		if t.bitmap&bit == 0 {
			return nil
		}
		s := &t.slots[bits.OnesCount32(t.bitmap&(bit-1))]
		if s.sub == nil {
			if s.child.seg == seg {
				return s.child
			}
			return nil
		}
		t = s.sub
	}
}

// with returns a copy of the top-level table t (nil: empty) in which c
// replaces the child with c's segment, or is added.
func (t *table) with(c *node) *table {
	if t == nil {
		return &table{size: 1, slots: []slot{{child: c}}}
	}
	if t.bitmap != 0 {
		return hashedWith(t, c, hashString(c.seg), 0)
	}
	if nt, ok := linearReplace(t, c); ok {
		return nt
	}
	if len(t.slots) < linearMax {
		return linearAppend(t, c)
	}
	var h *table
	for i := range t.slots {
		k := t.slots[i].child
		h = hashedWith(h, k, hashString(k.seg), 0)
	}
	return hashedWith(h, c, hashString(c.seg), 0)
}

// without returns a copy of the top-level table t without the child for
// seg (nil when it becomes empty), or t itself if seg is absent.
func (t *table) without(seg string) *table {
	if t == nil {
		return nil
	}
	if t.bitmap == 0 {
		return linearWithout(t, seg)
	}
	nt := hashedWithout(t, seg, hashString(seg), 0)
	if nt != nil && nt != t && nt.size <= linearMin {
		flat := &table{size: nt.size, slots: make([]slot, 0, nt.size)}
		flat.slots = nt.appendChildren(flat.slots)
		return flat
	}
	return nt
}

// appendChildren appends a slot for every child in t and its deeper levels.
func (t *table) appendChildren(dst []slot) []slot {
	for i := range t.slots {
		if s := t.slots[i]; s.sub != nil {
			dst = s.sub.appendChildren(dst)
		} else {
			dst = append(dst, s)
		}
	}
	return dst
}

func linearReplace(t *table, c *node) (*table, bool) {
	for i := range t.slots {
		if t.slots[i].child.seg == c.seg {
			nt := &table{size: t.size, slots: append([]slot(nil), t.slots...)}
			nt.slots[i].child = c
			return nt, true
		}
	}
	return nil, false
}

func linearAppend(t *table, c *node) *table {
	var slots []slot
	if t != nil {
		slots = make([]slot, len(t.slots), len(t.slots)+1)
		copy(slots, t.slots)
	}
	slots = append(slots, slot{child: c})
	return &table{size: uint32(len(slots)), slots: slots}
}

func linearWithout(t *table, seg string) *table {
	for i := range t.slots {
		if t.slots[i].child.seg == seg {
			if len(t.slots) == 1 {
				return nil
			}
			slots := make([]slot, 0, len(t.slots)-1)
			slots = append(slots, t.slots[:i]...)
			slots = append(slots, t.slots[i+1:]...)
			return &table{size: uint32(len(slots)), slots: slots}
		}
	}
	return t
}

// hashedWith returns a copy of the hashed level t (nil: empty) at shift with
// c added or replacing the child of the same segment; h is c's hash.
func hashedWith(t *table, c *node, h uint64, shift uint) *table {
	if shift >= maxShift {
		if t != nil {
			if nt, ok := linearReplace(t, c); ok {
				return nt
			}
		}
		return linearAppend(t, c)
	}
	bit := uint32(1) << (h >> shift & levelMask)
	if t == nil {
		return &table{bitmap: bit, size: 1, slots: []slot{{child: c}}}
	}
	i := bits.OnesCount32(t.bitmap & (bit - 1))
	if t.bitmap&bit == 0 {
		slots := make([]slot, 0, len(t.slots)+1)
		slots = append(slots, t.slots[:i]...)
		slots = append(slots, slot{child: c})
		slots = append(slots, t.slots[i:]...)
		return &table{bitmap: t.bitmap | bit, size: t.size + 1, slots: slots}
	}
	nt := &table{bitmap: t.bitmap, size: t.size, slots: append([]slot(nil), t.slots...)}
	switch s := t.slots[i]; {
	case s.sub != nil:
		sub := hashedWith(s.sub, c, h, shift+levelBits)
		nt.slots[i].sub = sub
		nt.size += sub.size - s.sub.size
	case s.child.seg == c.seg:
		nt.slots[i].child = c
	default: // two segments share this position: push both one level down
		sub := hashedWith(nil, s.child, hashString(s.child.seg), shift+levelBits)
		sub = hashedWith(sub, c, h, shift+levelBits)
		nt.slots[i] = slot{sub: sub}
		nt.size++
	}
	return nt
}

// hashedWithout returns a copy of the hashed level t at shift without the
// child for seg (hash h): t itself if absent, nil if the level empties.
// A deeper level left with one child is folded into its parent slot.
func hashedWithout(t *table, seg string, h uint64, shift uint) *table {
	if shift >= maxShift {
		return linearWithout(t, seg)
	}
	bit := uint32(1) << (h >> shift & levelMask)
	if t.bitmap&bit == 0 {
		return t
	}
	i := bits.OnesCount32(t.bitmap & (bit - 1))
	s := t.slots[i]
	if s.sub != nil {
		sub := hashedWithout(s.sub, seg, h, shift+levelBits)
		if sub == s.sub {
			return t
		}
		nt := &table{bitmap: t.bitmap, size: t.size - 1, slots: append([]slot(nil), t.slots...)}
		switch {
		case sub == nil: // cannot happen for folded levels, kept for safety
			return dropSlot(t, i, bit)
		case sub.size == 1:
			nt.slots[i] = sub.slots[0] // deeper levels of size 1 are folded already
		default:
			nt.slots[i].sub = sub
		}
		return nt
	}
	if s.child.seg != seg {
		return t
	}
	return dropSlot(t, i, bit)
}

func dropSlot(t *table, i int, bit uint32) *table {
	if len(t.slots) == 1 {
		return nil
	}
	slots := make([]slot, 0, len(t.slots)-1)
	slots = append(slots, t.slots[:i]...)
	slots = append(slots, t.slots[i+1:]...)
	return &table{bitmap: t.bitmap &^ bit, size: t.size - 1, slots: slots}
}
