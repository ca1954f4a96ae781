package proto

import "encoding/binary"

// Broker→client encoders (PROTOCOL.md §6), with the same contract as the
// client encoders: append to dst, no allocation when dst has room.

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

// AppendDeliveryHeader appends the header and `sender 00 [topic 00]` of a
// delivery whose payload, payloadLen bytes, the caller writes next (for a
// vectored write of a large payload). topic is used only for KindPublish.
func AppendDeliveryHeader(dst []byte, kind Kind, realtime bool, sender, topic []byte, payloadLen int) []byte {
	dst = AppendBrokerHeader(dst, kind, uint32(DeliveryLen(kind, sender, topic, payloadLen)), realtime)
	dst = append(dst, sender...)
	dst = append(dst, 0)
	if kind == KindPublish {
		dst = append(dst, topic...)
		dst = append(dst, 0)
	}
	return dst
}

// AppendDelivery appends a broker→client MESSAGE, BROADCAST or PUBLISH frame.
// topic is used only for KindPublish; PUBLISH_FOR is delivered as KindPublish
// (the receiver is not forwarded).
func AppendDelivery(dst []byte, kind Kind, realtime bool, sender, topic, payload []byte) []byte {
	dst = AppendDeliveryHeader(dst, kind, realtime, sender, topic, len(payload))
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
