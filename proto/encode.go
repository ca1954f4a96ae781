package proto

import "encoding/binary"

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

// AppendTargeted appends a client frame whose data is `name 00 payload`:
// MESSAGE (name = target), BROADCAST (mask) or PUBLISH (topic).
func AppendTargeted(dst []byte, id uint32, op Op, qos QoS, name, payload []byte) []byte {
	dst = AppendClientHeader(dst, id, op, qos, uint32(len(name)+1+len(payload)))
	dst = append(dst, name...)
	dst = append(dst, 0)
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

// AppendPublishFor appends a PUBLISH_FOR frame.
func AppendPublishFor(dst []byte, id uint32, qos QoS, topic, receiver, payload []byte) []byte {
	dst = AppendClientHeader(dst, id, OpPublishFor, qos, uint32(len(topic)+1+len(receiver)+1+len(payload)))
	dst = append(dst, topic...)
	dst = append(dst, 0)
	dst = append(dst, receiver...)
	dst = append(dst, 0)
	return append(dst, payload...)
}

// AppendTopics appends a SUBSCRIBE / UNSUBSCRIBE / EXCLUDE / UNEXCLUDE frame
// with topics joined by 00 (no trailing 00). An empty list is sent as empty
// data, which the broker reads as the single empty topic.
func AppendTopics(dst []byte, id uint32, op Op, qos QoS, topics ...[]byte) []byte {
	n := 0
	for i, t := range topics {
		if i > 0 {
			n++
		}
		n += len(t)
	}
	dst = AppendClientHeader(dst, id, op, qos, uint32(n))
	for i, t := range topics {
		if i > 0 {
			dst = append(dst, 0)
		}
		dst = append(dst, t...)
	}
	return dst
}

// AppendBrokerHeader appends a 6-byte broker→client data-frame header.
func AppendBrokerHeader(dst []byte, kind Kind, dataLen uint32, realtime bool) []byte {
	dst = append(dst, byte(kind))
	dst = binary.LittleEndian.AppendUint32(dst, dataLen)
	if realtime {
		return append(dst, 1)
	}
	return append(dst, 0)
}

// DeliveryLen is the data length of a broker→client delivery: sender 00
// [topic 00] payload. topic is nil for MESSAGE and BROADCAST.
func DeliveryLen(kind Kind, sender, topic []byte, payloadLen int) int {
	n := len(sender) + 1 + payloadLen
	if kind == KindPublish {
		n += len(topic) + 1
	}
	return n
}

// AppendDelivery appends a broker→client MESSAGE, BROADCAST or PUBLISH frame.
// topic is used only for KindPublish.
func AppendDelivery(dst []byte, kind Kind, realtime bool, sender, topic, payload []byte) []byte {
	dst = AppendBrokerHeader(dst, kind, uint32(DeliveryLen(kind, sender, topic, len(payload))), realtime)
	dst = append(dst, sender...)
	dst = append(dst, 0)
	if kind == KindPublish {
		dst = append(dst, topic...)
		dst = append(dst, 0)
	}
	return append(dst, payload...)
}

// AppendAck appends a 6-byte ACK.
func AppendAck(dst []byte, id uint32, code Code) []byte {
	dst = append(dst, byte(KindAck))
	dst = binary.LittleEndian.AppendUint32(dst, id)
	return append(dst, byte(code))
}

// AppendBrokerPing appends the 6-zero-byte broker ping.
func AppendBrokerPing(dst []byte) []byte {
	return append(dst, 0, 0, 0, 0, 0, 0)
}

// SplitDelivery splits the data of a broker→client frame into sender, topic
// (KindPublish only) and payload views.
func SplitDelivery(kind Kind, data []byte) (sender, topic, payload []byte, err error) {
	sender, rest, err := SplitTarget(data)
	if err != nil {
		return nil, nil, nil, err
	}
	if kind != KindPublish {
		return sender, nil, rest, nil
	}
	topic, payload, err = SplitTarget(rest)
	if err != nil {
		return nil, nil, nil, err
	}
	return sender, topic, payload, nil
}
