package proto

import "strconv"

// Handshake constants (PROTOCOL.md §3.1).
const (
	GreetingByte    byte   = 0xEB
	ProtocolVersion uint16 = 1
)

// Header sizes.
const (
	ClientHeaderSize = 9 // C→B: id u32, flags u8, len u32
	BrokerHeaderSize = 6 // B→C: kind u8, len/id u32, realtime/code u8
)

// Size limits (PROTOCOL.md §10). The encoders cannot report a length that
// does not fit (they return only the grown buffer), so a sender checks its
// data against MaxDataLen first; upstream's Rust client silently truncates
// the length instead, which desynchronises the stream.
const (
	MaxDataLen = 1<<32 - 1 // data length field is a u32
	MaxNameLen = 1<<16 - 1 // handshake name length is a u16
)

// SecondarySep separates a primary client name from a secondary suffix.
const SecondarySep = "%%"

// Op is a client→broker operation (low 6 bits of the flags byte).
type Op uint8

// Operations (PROTOCOL.md §3.2).
const (
	OpNop         Op = 0x00
	OpPublish     Op = 0x01
	OpSubscribe   Op = 0x02
	OpUnsubscribe Op = 0x03
	OpExclude     Op = 0x04
	OpUnexclude   Op = 0x05
	OpPublishFor  Op = 0x06
	OpMessage     Op = 0x12
	OpBroadcast   Op = 0x13
)

// Valid reports whether op is one the broker accepts.
func (op Op) Valid() bool {
	return op <= OpPublishFor || op == OpMessage || op == OpBroadcast
}

// String returns upstream's name for op, or op(0xNN) for an unknown value.
func (op Op) String() string {
	switch op {
	case OpNop:
		return "NOP"
	case OpPublish:
		return "PUBLISH"
	case OpSubscribe:
		return "SUBSCRIBE"
	case OpUnsubscribe:
		return "UNSUBSCRIBE"
	case OpExclude:
		return "EXCLUDE"
	case OpUnexclude:
		return "UNEXCLUDE"
	case OpPublishFor:
		return "PUBLISH_FOR"
	case OpMessage:
		return "MESSAGE"
	case OpBroadcast:
		return "BROADCAST"
	}
	return "op(0x" + strconv.FormatUint(uint64(op), 16) + ")"
}

// Kind is the first byte of a broker→client frame (PROTOCOL.md §3.3).
type Kind uint8

// Frame kinds.
const (
	KindNop       Kind = 0x00
	KindPublish   Kind = 0x01
	KindMessage   Kind = 0x12
	KindBroadcast Kind = 0x13
	KindAck       Kind = 0xFE
)

// Valid reports whether k is a kind a broker sends (PROTOCOL.md §3.3).
func (k Kind) Valid() bool {
	switch k {
	case KindNop, KindPublish, KindMessage, KindBroadcast, KindAck:
		return true
	}
	return false
}

// String returns upstream's name for k, or kind(0xNN) for an unknown value.
func (k Kind) String() string {
	switch k {
	case KindNop:
		return "NOP"
	case KindPublish:
		return "PUBLISH"
	case KindMessage:
		return "MESSAGE"
	case KindBroadcast:
		return "BROADCAST"
	case KindAck:
		return "ACK"
	}
	return "kind(0x" + strconv.FormatUint(uint64(k), 16) + ")"
}

// QoS is the quality of service (high 2 bits of the flags byte).
type QoS uint8

// QoS levels (PROTOCOL.md §3.4).
const (
	QoSNo                QoS = 0
	QoSProcessed         QoS = 1
	QoSRealtime          QoS = 2
	QoSRealtimeProcessed QoS = 3
)

// NeedsAck reports whether the broker must acknowledge a frame sent with q.
func (q QoS) NeedsAck() bool { return q&1 != 0 }

// IsRealtime reports whether frames sent with q are flushed at once.
func (q QoS) IsRealtime() bool { return q&2 != 0 }

// String returns upstream's name for q.
func (q QoS) String() string {
	switch q {
	case QoSNo:
		return "No"
	case QoSProcessed:
		return "Processed"
	case QoSRealtime:
		return "Realtime"
	case QoSRealtimeProcessed:
		return "RealtimeProcessed"
	}
	return "qos(" + strconv.Itoa(int(q)) + ")"
}

// Flags builds the flags byte of a client header: op | qos<<6. Bits of op
// above the low 6 would corrupt the QoS; every Op constant fits.
func Flags(op Op, qos QoS) byte { return byte(op) | byte(qos&3)<<6 }
