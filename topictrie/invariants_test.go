package topictrie

import (
	"fmt"
	"math/bits"
	"slices"
	"strings"
)

// checkTrie verifies the structural invariants of a published trie and
// returns the number of ids it holds (multiset) and of nodes.
func checkTrie(root *node) (ids, nodes int, err error) {
	if root == nil {
		return 0, 0, nil
	}
	var walk func(n *node, path string, isRoot bool) error
	walk = func(n *node, path string, isRoot bool) error {
		nodes++
		if !isRoot && n.orNil() == nil {
			return fmt.Errorf("%s: empty node not pruned", path)
		}
		if int(n.nEnd) > len(n.ids) {
			return fmt.Errorf("%s: nEnd %d > %d", path, n.nEnd, len(n.ids))
		}
		if !slices.IsSorted(n.ends()) || !slices.IsSorted(n.tails()) {
			return fmt.Errorf("%s: ids not sorted: %v / %d", path, n.ids, n.nEnd)
		}
		ids += len(n.ids)
		if n.plus != nil {
			if err := walk(n.plus, path+"/+", false); err != nil {
				return err
			}
		}
		if n.kids == nil {
			return nil
		}
		kids, err := checkTable(n.kids, 0, 0, true)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		seen := map[string]bool{}
		for _, k := range kids {
			if seen[k.seg] {
				return fmt.Errorf("%s: duplicate child %q", path, k.seg)
			}
			seen[k.seg] = true
			if err := walk(k, path+"/"+k.seg, false); err != nil {
				return err
			}
		}
		return nil
	}
	if root.orNil() == nil {
		return 0, 1, fmt.Errorf("empty root published instead of nil")
	}
	err = walk(root, "", true)
	return ids, nodes, err
}

// checkTable verifies one table level (at shift, reached by hash prefix
// pre) and returns its children.
func checkTable(t *table, shift uint, pre uint64, top bool) ([]*node, error) {
	if len(t.slots) == 0 {
		return nil, fmt.Errorf("empty table published")
	}
	var kids []*node
	if t.bitmap == 0 {
		if !top && shift < maxShift {
			return nil, fmt.Errorf("linear level at shift %d", shift)
		}
		if top && len(t.slots) > linearMax {
			return nil, fmt.Errorf("linear top table of %d", len(t.slots))
		}
		for _, s := range t.slots {
			if s.child == nil || s.sub != nil {
				return nil, fmt.Errorf("linear slot with sub")
			}
			if !top && hashString(s.child.seg) != hashString(t.slots[0].child.seg) {
				return nil, fmt.Errorf("collision list with distinct hashes")
			}
			kids = append(kids, s.child)
		}
		if int(t.size) != len(kids) {
			return nil, fmt.Errorf("linear size %d != %d", t.size, len(kids))
		}
		return kids, nil
	}
	if shift >= maxShift {
		return nil, fmt.Errorf("hashed level at shift %d", shift)
	}
	if bits.OnesCount32(t.bitmap) != len(t.slots) {
		return nil, fmt.Errorf("bitmap %b for %d slots", t.bitmap, len(t.slots))
	}
	pos := 0
	for b := 0; b < 32; b++ {
		if t.bitmap&(1<<b) == 0 {
			continue
		}
		s := t.slots[pos]
		pos++
		prefix := pre | uint64(b)<<shift
		if s.child != nil {
			if s.sub != nil {
				return nil, fmt.Errorf("slot with child and sub")
			}
			h := hashString(s.child.seg)
			mask := uint64(1)<<(shift+levelBits) - 1
			if shift+levelBits >= 64 {
				mask = ^uint64(0)
			}
			if h&mask != prefix {
				return nil, fmt.Errorf("child %q misplaced", s.child.seg)
			}
			kids = append(kids, s.child)
			continue
		}
		if s.sub == nil {
			return nil, fmt.Errorf("slot with neither child nor sub")
		}
		if s.sub.size < 2 {
			return nil, fmt.Errorf("unfolded level of size %d", s.sub.size)
		}
		sub, err := checkTable(s.sub, shift+levelBits, prefix, false)
		if err != nil {
			return nil, err
		}
		kids = append(kids, sub...)
	}
	if int(t.size) != len(kids) {
		return nil, fmt.Errorf("hashed size %d != %d", t.size, len(kids))
	}
	if top && t.size <= linearMin {
		return nil, fmt.Errorf("hashed top table of %d", t.size)
	}
	return kids, nil
}

// dumpTrie lists every position holding ids, sorted, independent of table
// shapes: equal dumps mean equal logical contents.
func dumpTrie(root *node) []string {
	var out []string
	var walk func(n *node, path string)
	walk = func(n *node, path string) {
		if n == nil {
			return
		}
		if len(n.ids) > 0 {
			out = append(out, fmt.Sprintf("%s end%v tail%v", path, n.ends(), n.tails()))
		}
		walk(n.plus, path+"/<+>")
		if n.kids != nil {
			for _, s := range n.kids.appendChildren(nil) {
				walk(s.child, path+"/"+s.child.seg)
			}
		}
	}
	walk(root, "")
	slices.Sort(out)
	return out
}

func dumpString(root *node) string { return strings.Join(dumpTrie(root), "\n") }
