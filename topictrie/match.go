package topictrie

import "bytes"

// MatchTopic reports whether the subscription pattern matches the topic
// (ROUTING.md §4.1): `+` one segment (possibly empty), `#` one or more
// remaining segments, anything after `#` ignored. A pure function: safe
// from any goroutine, no allocation. (The indexes do not use it; it serves
// single checks such as AAA rules.)
func MatchTopic(pattern, topic []byte) bool {
	return matchSegments(pattern, topic, '/', "+", "#")
}

// MatchName reports whether the broadcast mask matches the client name
// (ROUTING.md §5.1): `?` one chunk, `*` one or more remaining chunks. A
// pure function: safe from any goroutine, no allocation.
func MatchName(mask, name []byte) bool {
	return matchSegments(mask, name, '.', "?", "*")
}

func matchSegments(p, t []byte, sep byte, one, tail string) bool {
	for {
		ps, prest, pmore := cut(p, sep)
		if string(ps) == tail {
			return true // t always has at least one segment left here
		}
		ts, trest, tmore := cut(t, sep)
		if string(ps) != one && !bytes.Equal(ps, ts) {
			return false
		}
		if !pmore || !tmore {
			return pmore == tmore
		}
		p, t = prest, trest
	}
}

func cut(b []byte, sep byte) (seg, rest []byte, more bool) {
	if i := bytes.IndexByte(b, sep); i >= 0 {
		return b[:i], b[i+1:], true
	}
	return b, nil, false
}
