package topictrie

// matchMask appends the names below n matching the remaining mask (at
// least one chunk).
func matchMask(n *node, mask []byte, dst []uint32) []uint32 {
	for {
		chunk, rest, more := cut(mask, '.')
		switch string(chunk) {
		case "*": // one or more chunks; the rest of the mask is ignored
			return appendBelow(n.kids, dst)
		case "?":
			return matchEach(n.kids, rest, more, dst)
		}
		if len(n.kids) == 0 {
			return dst
		}
		c := n.find(chunk, hashBytes(chunk))
		if c == nil {
			return dst
		}
		if !more {
			return append(dst, c.ends()...)
		}
		n, mask = c, rest
	}
}

// matchEach matches every child in kids against the rest of the mask
// (more: at least one chunk remains; otherwise the child itself must be a
// name).
func matchEach(kids []slot, rest []byte, more bool, dst []uint32) []uint32 {
	for i := range kids {
		s := &kids[i]
		switch {
		case s.hash == 0: // a deeper level of the table
			dst = matchEach(s.node.kids, rest, more, dst)
		case more:
			dst = matchMask(s.node, rest, dst)
		default:
			dst = append(dst, s.node.ends()...)
		}
	}
	return dst
}

// appendBelow appends every name at or below the children in kids.
func appendBelow(kids []slot, dst []uint32) []uint32 {
	for i := range kids {
		if s := &kids[i]; s.hash == 0 {
			dst = appendBelow(s.node.kids, dst)
		} else {
			dst = append(dst, s.node.ends()...)
			dst = appendBelow(s.node.kids, dst)
		}
	}
	return dst
}
