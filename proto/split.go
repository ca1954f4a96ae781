package proto

import (
	"bytes"
	"unicode/utf8"
)

// SplitTarget splits MESSAGE / BROADCAST / PUBLISH data (`name 00 payload`)
// into views. The first part must be valid UTF-8; the payload may hold 00.
func SplitTarget(data []byte) (target, payload []byte, err error) {
	i := bytes.IndexByte(data, 0)
	if i < 0 {
		return nil, nil, ErrNoSeparator
	}
	if !utf8.Valid(data[:i]) {
		return nil, nil, ErrInvalidUTF8
	}
	// Capped so that appending to the name cannot overwrite the payload.
	return data[:i:i], data[i+1:], nil
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
	return data[:i:i], rest[:j:j], rest[j+1:], nil
}

// CheckNopData validates the data of an op-0 frame with QoS bits: it must
// contain a 00 byte (PROTOCOL.md §5.4); nothing else is done with it.
func CheckNopData(data []byte) error {
	if bytes.IndexByte(data, 0) < 0 {
		return ErrNoSeparator
	}
	return nil
}

// ClientData is the data of a client→broker frame split per op, as views
// into the frame data. Fields the op does not have are nil.
type ClientData struct {
	Target   []byte // MESSAGE target (full name) or BROADCAST mask
	Topic    []byte // PUBLISH and PUBLISH_FOR topic
	Receiver []byte // PUBLISH_FOR receiver (a primary name)
	Payload  []byte // MESSAGE, BROADCAST, PUBLISH, PUBLISH_FOR
	Topics   []byte // SUBSCRIBE, UNSUBSCRIBE, EXCLUDE, UNEXCLUDE: walk with Topics
}

// SplitData splits the data of a client frame with the given op (PROTOCOL.md
// §5.2). Names, topics, masks and receivers are checked for UTF-8; topic
// lists are not, because the ops differ in what they apply before failing
// (§9): SUBSCRIBE checks ValidTopics first, the others check per topic.
// An op-0 frame with QoS bits only has to contain a 00 and yields nothing.
func SplitData(op Op, data []byte) (d ClientData, err error) {
	switch op {
	case OpMessage, OpBroadcast:
		d.Target, d.Payload, err = SplitTarget(data)
	case OpPublish:
		d.Topic, d.Payload, err = SplitTarget(data)
	case OpPublishFor:
		d.Topic, d.Receiver, d.Payload, err = SplitPublishFor(data)
	case OpSubscribe, OpUnsubscribe, OpExclude, OpUnexclude:
		d.Topics = data
	case OpNop:
		err = CheckNopData(data)
	default:
		err = ErrUnknownOp
	}
	if err != nil {
		return ClientData{}, err
	}
	return d, nil
}

// SplitDelivery splits the data of a broker→client frame into sender, topic
// (KindPublish only) and payload views (PROTOCOL.md §6.2). Sender and topic
// must be valid UTF-8, as upstream clients require. ACK and NOP carry no data:
// for them, and for unknown kinds, it fails with ErrUnknownKind.
func SplitDelivery(kind Kind, data []byte) (sender, topic, payload []byte, err error) {
	switch kind {
	case KindMessage, KindBroadcast:
		sender, payload, err = SplitTarget(data)
		if err != nil {
			return nil, nil, nil, err
		}
		return sender, nil, payload, nil
	case KindPublish:
		sender, rest, err := SplitTarget(data)
		if err != nil {
			return nil, nil, nil, err
		}
		topic, payload, err = SplitTarget(rest)
		if err != nil {
			return nil, nil, nil, err
		}
		return sender, topic, payload, nil
	}
	return nil, nil, nil, ErrUnknownKind
}
