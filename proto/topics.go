package proto

import (
	"bytes"
	"unicode/utf8"
)

// TopicIter walks the 00-separated topic list of SUBSCRIBE, UNSUBSCRIBE,
// EXCLUDE and UNEXCLUDE frames exactly as upstream splits it: empty data is
// one empty topic, a trailing 00 adds an empty topic, 00 00 adds one between.
// It is a value type with no pointers of its own, so walking never allocates.
// Start with Topics(data); the zero value walks empty data (one empty topic).
type TopicIter struct {
	rest []byte
	done bool
}

// Topics returns an iterator over data.
func Topics(data []byte) TopicIter { return TopicIter{rest: data} }

// Next returns the next topic view; ok is false after the last one. Validate
// UTF-8 with utf8.Valid where the op requires it (the rules differ per op).
func (it *TopicIter) Next() (topic []byte, ok bool) {
	if it.done {
		return nil, false
	}
	i := bytes.IndexByte(it.rest, 0)
	if i < 0 {
		it.done = true
		return it.rest, true
	}
	topic = it.rest[:i:i]
	it.rest = it.rest[i+1:]
	return topic, true
}

// CountTopics returns how many topics Topics(data) yields: one more than the
// number of 00 bytes.
func CountTopics(data []byte) int { return bytes.Count(data, []byte{0}) + 1 }

// ValidTopics reports whether every topic of a topic list is valid UTF-8
// (SUBSCRIBE checks all before applying any). Checking the whole list at once
// is equivalent: 00 is a complete UTF-8 character and never part of another.
func ValidTopics(data []byte) bool { return utf8.Valid(data) }
