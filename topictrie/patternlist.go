package topictrie

import "slices"

// listMax is the size above which a patternList switches to a map.
const listMax = 32

// patternList is the set of pattern strings one owner holds (a subscriber's
// subscriptions, a PatternSet's exclusions): a short slice while small, a
// map once large so that checks stay O(1). It lets writers answer "already
// there?" for exact strings and enumerate an owner's patterns. Not safe for
// concurrent use; writers guard it.
type patternList struct {
	list []string            // while len <= listMax
	set  map[string]struct{} // once larger (list is nil then)
}

func (p *patternList) len() int {
	if p.set != nil {
		return len(p.set)
	}
	return len(p.list)
}

func (p *patternList) has(pat []byte) bool {
	if p.set != nil {
		_, ok := p.set[string(pat)]
		return ok
	}
	for _, s := range p.list {
		if s == string(pat) {
			return true
		}
	}
	return false
}

// add inserts pat, which the caller checked is absent.
func (p *patternList) add(pat string) {
	if p.set != nil {
		p.set[pat] = struct{}{}
		return
	}
	if len(p.list) < listMax {
		p.list = append(p.list, pat)
		return
	}
	p.set = make(map[string]struct{}, 2*listMax)
	for _, s := range p.list {
		p.set[s] = struct{}{}
	}
	p.set[pat] = struct{}{}
	p.list = nil
}

// remove deletes pat; it reports false if pat was absent.
func (p *patternList) remove(pat []byte) bool {
	if p.set != nil {
		if _, ok := p.set[string(pat)]; !ok {
			return false
		}
		delete(p.set, string(pat))
		if len(p.set) <= listMax/2 {
			p.list = make([]string, 0, listMax)
			for s := range p.set {
				p.list = append(p.list, s)
			}
			p.set = nil
		}
		return true
	}
	for i, s := range p.list {
		if s == string(pat) {
			p.list = slices.Delete(p.list, i, i+1)
			if len(p.list) == 0 {
				p.list = nil
			}
			return true
		}
	}
	return false
}

// all returns every pattern (a fresh slice when the set is a map).
func (p *patternList) all() []string {
	if p.set == nil {
		return p.list
	}
	out := make([]string, 0, len(p.set))
	for s := range p.set {
		out = append(out, s)
	}
	return out
}

// reset forgets every pattern.
func (p *patternList) reset() { *p = patternList{} }
