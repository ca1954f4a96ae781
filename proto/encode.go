package proto

import "encoding/binary"

// Client→broker encoders (PROTOCOL.md §5). Each appends one whole frame to
// dst and returns the extended buffer, like strconv.Append*: with enough
// capacity in dst they do not allocate. The caller keeps the data length
// within MaxDataLen (§10); the length field is u32 and is not checked here.

// Text is what the encoders take for names, masks, topics and methods: a
// client holds them as strings, a broker or a test as bytes, and neither
// should convert (a conversion copies).
type Text interface{ ~string | ~[]byte }

// AppendClientHeader appends a 9-byte client→broker header.
func AppendClientHeader(dst []byte, id uint32, op Op, qos QoS, dataLen uint32) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, id)
	dst = append(dst, Flags(op, qos))
	return binary.LittleEndian.AppendUint32(dst, dataLen)
}

// AppendPing appends the 9-zero-byte client ping.
func AppendPing(dst []byte) []byte {
	return append(dst, 0, 0, 0, 0, 0, 0, 0, 0, 0)
}

// AppendTargetedHeader appends the header and `name 00` of a MESSAGE,
// BROADCAST or PUBLISH frame whose payload, payloadLen bytes, the caller
// writes next. This is upstream's "zero-copy" send: the RPC layer puts its
// event header here and hands the params to a vectored write.
func AppendTargetedHeader[S Text](dst []byte, id uint32, op Op, qos QoS, name S, payloadLen int) []byte {
	dst = AppendClientHeader(dst, id, op, qos, uint32(len(name)+1+payloadLen))
	dst = append(dst, name...)
	return append(dst, 0)
}

// AppendTargeted appends a client frame whose data is `name 00 payload`:
// MESSAGE (name = target), BROADCAST (mask) or PUBLISH (topic).
func AppendTargeted(dst []byte, id uint32, op Op, qos QoS, name, payload []byte) []byte {
	dst = AppendTargetedHeader(dst, id, op, qos, name, len(payload))
	return append(dst, payload...)
}

// AppendMessage appends a MESSAGE frame to target.
func AppendMessage(dst []byte, id uint32, qos QoS, target, payload []byte) []byte {
	return AppendTargeted(dst, id, OpMessage, qos, target, payload)
}

// AppendBroadcast appends a BROADCAST frame to mask.
func AppendBroadcast(dst []byte, id uint32, qos QoS, mask, payload []byte) []byte {
	return AppendTargeted(dst, id, OpBroadcast, qos, mask, payload)
}

// AppendPublish appends a PUBLISH frame.
func AppendPublish(dst []byte, id uint32, qos QoS, topic, payload []byte) []byte {
	return AppendTargeted(dst, id, OpPublish, qos, topic, payload)
}

// AppendPublishForHeader appends the header and `topic 00 receiver 00` of a
// PUBLISH_FOR frame whose payload, payloadLen bytes, the caller writes next.
func AppendPublishForHeader[S Text](dst []byte, id uint32, qos QoS, topic, receiver S, payloadLen int) []byte {
	dst = AppendClientHeader(dst, id, OpPublishFor, qos, uint32(len(topic)+1+len(receiver)+1+payloadLen))
	dst = append(dst, topic...)
	dst = append(dst, 0)
	dst = append(dst, receiver...)
	return append(dst, 0)
}

// AppendPublishFor appends a PUBLISH_FOR frame.
func AppendPublishFor(dst []byte, id uint32, qos QoS, topic, receiver, payload []byte) []byte {
	return append(AppendPublishForHeader(dst, id, qos, topic, receiver, len(payload)), payload...)
}

// TopicsLen is the data length of a topic-list frame: the topics joined by
// single 00 bytes.
func TopicsLen[S Text](topics []S) int {
	n := 0
	for i, t := range topics {
		if i > 0 {
			n++
		}
		n += len(t)
	}
	return n
}

// AppendTopics appends a SUBSCRIBE / UNSUBSCRIBE / EXCLUDE / UNEXCLUDE frame
// with topics joined by 00 (no trailing 00). An empty list is sent as empty
// data, which the broker reads as the single empty topic.
func AppendTopics[S Text](dst []byte, id uint32, op Op, qos QoS, topics ...S) []byte {
	dst = AppendClientHeader(dst, id, op, qos, uint32(TopicsLen(topics)))
	for i, t := range topics {
		if i > 0 {
			dst = append(dst, 0)
		}
		dst = append(dst, t...)
	}
	return dst
}

// AppendSubscribe appends a SUBSCRIBE frame (see AppendTopics).
func AppendSubscribe(dst []byte, id uint32, qos QoS, topics ...[]byte) []byte {
	return AppendTopics(dst, id, OpSubscribe, qos, topics...)
}

// AppendUnsubscribe appends an UNSUBSCRIBE frame (see AppendTopics).
func AppendUnsubscribe(dst []byte, id uint32, qos QoS, topics ...[]byte) []byte {
	return AppendTopics(dst, id, OpUnsubscribe, qos, topics...)
}

// AppendExclude appends an EXCLUDE frame (see AppendTopics).
func AppendExclude(dst []byte, id uint32, qos QoS, topics ...[]byte) []byte {
	return AppendTopics(dst, id, OpExclude, qos, topics...)
}

// AppendUnexclude appends an UNEXCLUDE frame (see AppendTopics).
func AppendUnexclude(dst []byte, id uint32, qos QoS, topics ...[]byte) []byte {
	return AppendTopics(dst, id, OpUnexclude, qos, topics...)
}
