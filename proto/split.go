package proto

import (
	"bytes"
	"unicode/utf8"
)

// SplitTarget splits MESSAGE / BROADCAST / PUBLISH data (`name 00 payload`)
// into views. The first part must be valid UTF-8.
func SplitTarget(data []byte) (target, payload []byte, err error) {
	i := bytes.IndexByte(data, 0)
	if i < 0 {
		return nil, nil, ErrNoSeparator
	}
	if !utf8.Valid(data[:i]) {
		return nil, nil, ErrInvalidUTF8
	}
	return data[:i], data[i+1:], nil
}

// SplitPublishFor splits PUBLISH_FOR data (`topic 00 receiver 00 payload`).
func SplitPublishFor(data []byte) (topic, receiver, payload []byte, err error) {
	i := bytes.IndexByte(data, 0)
	if i < 0 {
		return nil, nil, nil, ErrNoSeparator
	}
	rest := data[i+1:]
	j := bytes.IndexByte(rest, 0)
	if j < 0 {
		return nil, nil, nil, ErrNoReceiverSep
	}
	if !utf8.Valid(data[:i]) || !utf8.Valid(rest[:j]) {
		return nil, nil, nil, ErrInvalidUTF8
	}
	return data[:i], rest[:j], rest[j+1:], nil
}

// CheckNopData validates the data of an op-0 frame with QoS bits: it must
// contain a 00 byte (PROTOCOL.md §5.4); nothing else is done with it.
func CheckNopData(data []byte) error {
	if bytes.IndexByte(data, 0) < 0 {
		return ErrNoSeparator
	}
	return nil
}

// TopicIter walks the 00-separated topic list of SUBSCRIBE, UNSUBSCRIBE,
// EXCLUDE and UNEXCLUDE frames exactly as upstream splits it: empty data is
// one empty topic, a trailing 00 adds an empty topic, 00 00 adds one between.
// The zero value is not usable; start with Topics(data).
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
	topic = it.rest[:i]
	it.rest = it.rest[i+1:]
	return topic, true
}

// ValidTopics reports whether every topic of a topic list is valid UTF-8
// (SUBSCRIBE checks all before applying any).
func ValidTopics(data []byte) bool { return utf8.Valid(data) }

// PrimaryName returns the part of name before the first "%%".
func PrimaryName(name []byte) []byte {
	if i := bytes.Index(name, []byte(SecondarySep)); i >= 0 {
		return name[:i]
	}
	return name
}

// IsSecondary reports whether name contains "%%".
func IsSecondary(name []byte) bool { return bytes.Contains(name, []byte(SecondarySep)) }
