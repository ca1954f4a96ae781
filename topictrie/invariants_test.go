package topictrie

import (
	"fmt"
	"math/bits"
	"slices"
	"strings"
)

// checkTrie verifies the structural invariants of a published trie and
// returns the number of ids it holds (multiset) and of nodes.
func checkTrie(root *node, syn syntax) (ids, nodes int, err error) {
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
		if len(n.kids) == 0 {
			if n.kmap != 0 {
				return fmt.Errorf("%s: bitmap without children", path)
			}
			return nil
		}
		kids, err := checkTable(n.kids, n.kmap, 0, 0, true, syn)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		seen := map[string]bool{}
		for _, k := range kids {
			if seen[k.seg] {
				return fmt.Errorf("%s: duplicate child %q", path, k.seg)
			}
			seen[k.seg] = true
			if syn.compress {
				for seg := range strings.SplitSeq(k.seg, string(syn.sep)) {
					if seg == "+" || seg == "#" {
						return fmt.Errorf("%s: wildcard in label %q", path, k.seg)
					}
				}
				c := k.node
				if c.plus == nil && len(c.ids) == 0 && len(c.kids) == 1 && c.kmap == 0 {
					return fmt.Errorf("%s: bare node under label %q not merged", path, k.seg)
				}
			}
			if err := walk(k.node, path+"/"+k.seg, false); err != nil {
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

// checkTable verifies one table level (kids, kmap at shift, reached by
// hash prefix pre) and returns its children.
func checkTable(kids []slot, kmap uint32, shift uint, pre uint64, top bool, syn syntax) ([]slot, error) {
	keyHash := func(label string) uint64 {
		if syn.compress {
			return hashString(firstSeg(label, syn.sep))
		}
		return hashString(label)
	}
	var out []slot
	if kmap == 0 {
		if !top && shift < maxShift {
			return nil, fmt.Errorf("linear level at shift %d", shift)
		}
		if top && len(kids) > linearMax {
			return nil, fmt.Errorf("linear top table of %d", len(kids))
		}
		if !top && len(kids) < 2 {
			return nil, fmt.Errorf("collision list of %d", len(kids))
		}
		for _, s := range kids {
			if s.hash == 0 || s.hash != keyHash(s.seg) {
				return nil, fmt.Errorf("linear slot hash %x for %q", s.hash, s.seg)
			}
			if !top && s.hash != kids[0].hash {
				return nil, fmt.Errorf("collision list with distinct hashes")
			}
			out = append(out, s)
		}
		return out, nil
	}
	if shift >= maxShift {
		return nil, fmt.Errorf("hashed level at shift %d", shift)
	}
	if bits.OnesCount32(kmap) != len(kids) {
		return nil, fmt.Errorf("bitmap %b for %d slots", kmap, len(kids))
	}
	pos := 0
	for b := 0; b < 32; b++ {
		if kmap&(1<<b) == 0 {
			continue
		}
		s := kids[pos]
		pos++
		prefix := pre | uint64(b)<<shift
		if s.hash != 0 {
			if s.hash != keyHash(s.seg) {
				return nil, fmt.Errorf("slot hash %x for %q", s.hash, s.seg)
			}
			mask := uint64(1)<<(shift+levelBits) - 1
			if shift+levelBits >= 64 {
				mask = ^uint64(0)
			}
			if s.hash&mask != prefix {
				return nil, fmt.Errorf("child %q misplaced", s.seg)
			}
			out = append(out, s)
			continue
		}
		lv := s.node
		if s.seg != "" || lv.plus != nil || len(lv.ids) != 0 {
			return nil, fmt.Errorf("level node with node fields")
		}
		sub, err := checkTable(lv.kids, lv.kmap, shift+levelBits, prefix, false, syn)
		if err != nil {
			return nil, err
		}
		if len(sub) < 2 {
			return nil, fmt.Errorf("unfolded level of %d children", len(sub))
		}
		out = append(out, sub...)
	}
	if top && len(out) <= linearMin {
		return nil, fmt.Errorf("hashed top table of %d", len(out))
	}
	return out, nil
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
		for _, s := range appendChildren(nil, n.kids) {
			walk(s.node, path+"/"+s.seg)
		}
	}
	walk(root, "")
	slices.Sort(out)
	return out
}

func dumpString(root *node) string { return strings.Join(dumpTrie(root), "\n") }
