package proto

import "encoding/binary"

// Header is a decoded 9-byte client→broker frame header.
type Header struct {
	ID    uint32 // frame id, echoed in the ACK
	Op    Op     // operation: flags & 0x3F
	QoS   QoS    // flags >> 6
	Len   uint32 // data length after the header
	Flags byte   // the raw flags byte
}

// IsPing reports a NOP frame: flags exactly 0. Its Len is ignored and no data
// follows it (PROTOCOL.md §5.4).
func (h Header) IsPing() bool { return h.Flags == 0 }

// HasData reports whether h.Len bytes of data follow the header.
func (h Header) HasData() bool { return h.Flags != 0 }

// DecodeHeader decodes the first 9 bytes of b. It fails with ErrShortHeader
// when b is shorter and ErrUnknownOp for an op the broker does not know;
// maxLen > 0 bounds Len (ErrFrameTooLarge).
func DecodeHeader(b []byte, maxLen uint32) (Header, error) {
	if len(b) < ClientHeaderSize {
		return Header{}, ErrShortHeader
	}
	f := b[4]
	h := Header{
		ID:    binary.LittleEndian.Uint32(b),
		Op:    Op(f & 0x3F),
		QoS:   QoS(f >> 6),
		Len:   binary.LittleEndian.Uint32(b[5:]),
		Flags: f,
	}
	if f == 0 {
		h.Len = 0
		return h, nil
	}
	if !h.Op.Valid() {
		return h, ErrUnknownOp
	}
	if maxLen > 0 && h.Len > maxLen {
		return h, ErrFrameTooLarge
	}
	return h, nil
}

// BrokerHeader is a decoded 6-byte broker→client header.
type BrokerHeader struct {
	Kind     Kind   // byte 0: NOP, PUBLISH, MESSAGE, BROADCAST or ACK
	Len      uint32 // data length (0 for ACK and NOP)
	Realtime bool   // byte 5 of data frames
	AckID    uint32 // ACK only
	Code     Code   // ACK only
}

// DecodeBrokerHeader decodes the first 6 bytes of b: ErrShortHeader when b
// is shorter, ErrUnknownKind for a kind byte upstream clients reject.
func DecodeBrokerHeader(b []byte) (BrokerHeader, error) {
	if len(b) < BrokerHeaderSize {
		return BrokerHeader{}, ErrShortHeader
	}
	h := BrokerHeader{Kind: Kind(b[0])}
	switch h.Kind {
	case KindAck:
		h.AckID = binary.LittleEndian.Uint32(b[1:])
		h.Code = Code(b[5])
	case KindNop:
		// upstream clients ignore the length of a NOP
	case KindPublish, KindMessage, KindBroadcast:
		h.Len = binary.LittleEndian.Uint32(b[1:])
		h.Realtime = b[5] != 0
	default:
		return h, ErrUnknownKind
	}
	return h, nil
}
