package proto

import (
	"errors"
	"testing"
)

// PROTOCOL.md §3.1–3.5: every constant has the table's value.
func TestConstants(t *testing.T) {
	if GreetingByte != 0xEB || ProtocolVersion != 1 || CodeOK != 0x01 {
		t.Fatal("handshake constants")
	}
	if string(AppendGreeting(nil)) != "\xeb\x01\x00" {
		t.Fatal("greeting bytes")
	}
	ops := map[Op]byte{OpNop: 0x00, OpPublish: 0x01, OpSubscribe: 0x02, OpUnsubscribe: 0x03, OpExclude: 0x04,
		OpUnexclude: 0x05, OpPublishFor: 0x06, OpMessage: 0x12, OpBroadcast: 0x13}
	for op, v := range ops {
		if byte(op) != v || !op.Valid() {
			t.Errorf("op %v = %#x", op, byte(op))
		}
	}
	for v := 0; v < 64; v++ {
		if _, ok := ops[Op(v)]; !ok && Op(v).Valid() {
			t.Errorf("op %#x must be invalid", v)
		}
	}
	kinds := map[Kind]byte{KindNop: 0x00, KindPublish: 0x01, KindMessage: 0x12, KindBroadcast: 0x13, KindAck: 0xFE}
	for k, v := range kinds {
		if byte(k) != v || !k.Valid() {
			t.Errorf("kind %v = %#x", k, byte(k))
		}
	}
	for v := 0; v < 256; v++ {
		if _, ok := kinds[Kind(v)]; !ok && Kind(v).Valid() {
			t.Errorf("kind %#x must be invalid", v)
		}
	}
	for _, q := range []struct {
		q             QoS
		ack, realtime bool
		name          string
	}{
		{QoSNo, false, false, "No"},
		{QoSProcessed, true, false, "Processed"},
		{QoSRealtime, false, true, "Realtime"},
		{QoSRealtimeProcessed, true, true, "RealtimeProcessed"},
	} {
		if q.q.NeedsAck() != q.ack || q.q.IsRealtime() != q.realtime || q.q.String() != q.name {
			t.Errorf("QoS %d", q.q)
		}
	}
	if Flags(OpMessage, QoSRealtimeProcessed) != 0xd2 || Flags(OpPublish, QoSProcessed) != 0x41 {
		t.Error("flags")
	}
	codes := []struct {
		c    Code
		v    byte
		name string
	}{
		{CodeOK, 0x01, "OK"}, {CodeNotRegistered, 0x71, "NOT_REGISTERED"}, {CodeData, 0x72, "DATA"},
		{CodeIO, 0x73, "IO"}, {CodeOther, 0x74, "OTHER"}, {CodeNotSupported, 0x75, "NOT_SUPPORTED"},
		{CodeBusy, 0x76, "BUSY"}, {CodeNotDelivered, 0x77, "NOT_DELIVERED"}, {CodeTimeout, 0x78, "TIMEOUT"},
		{CodeAccess, 0x79, "ACCESS"}, {CodeEOF, 0xFF, "EOF"},
	}
	known := 0
	for v := 0; v < 256; v++ {
		if Code(v).Known() {
			known++
		}
	}
	if known != len(codes) {
		t.Errorf("%d known codes, want %d", known, len(codes))
	}
	for _, c := range codes {
		if byte(c.c) != c.v || c.c.String() != c.name || !c.c.Known() {
			t.Errorf("code %v", c.c)
		}
		err := c.c.Err()
		if c.c == CodeOK {
			if err != nil {
				t.Error("CodeOK.Err() != nil")
			}
			continue
		}
		var pe *Error
		if !errors.As(err, &pe) || pe.Code != c.c || !errors.Is(err, &Error{Code: c.c}) {
			t.Errorf("code %v: error %v", c.c, err)
		}
	}
	if Code(0x42).String() != "code(0x42)" || Op(0x3f).String() != "op(0x3f)" || Kind(0x42).String() != "kind(0x42)" {
		t.Error("names of unknown values")
	}
	if CodeTimeout.Err().Error() != "busrt: timeout (0x78)" {
		t.Errorf("error text %q", CodeTimeout.Err().Error())
	}
}

// Every malformed-input error is a *MalformedError, the one class a broker
// answers by closing the connection.
func TestMalformedClass(t *testing.T) {
	for _, err := range []error{
		ErrShortHeader, ErrUnknownOp, ErrUnknownKind, ErrNoSeparator, ErrNoReceiverSep, ErrInvalidUTF8,
		ErrFrameTooLarge, ErrShortFrame, ErrBadGreeting, ErrBadVersion, ErrNameTooLong, ErrInvalidRPCFrame,
		ErrRPCEmpty, ErrRPCUnknownType, ErrRPCShortRequest, ErrRPCNoMethodEnd, ErrRPCShortReply, ErrRPCShortError,
	} {
		var me *MalformedError
		if !errors.As(err, &me) || err.Error() == "" {
			t.Errorf("%v is not a *MalformedError", err)
		}
	}
	if errors.Is(ErrRPCEmpty, ErrUnknownOp) || !errors.Is(ErrRPCShortError, ErrInvalidRPCFrame) {
		t.Error("RPC error classes")
	}
}
