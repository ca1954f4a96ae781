package proto

import (
	"bytes"
	"errors"
	"testing"
)

// Test vectors from PROTOCOL.md §3.6, §5.3, §13 and RPC.md §9 (C→B frames).
var clientVectors = []struct {
	name                    string
	hex                     string
	id                      uint32
	op                      Op
	qos                     QoS
	target, topic, receiver string
	payload                 string // hex
	topics                  []string
}{
	{name: "§3.6 ping", hex: "00 00 00 00 00 00 00 00 00", op: OpNop},
	{name: "§5.3 publish", hex: "01 00 00 00 41 10 00 00 00 74 65 73 74 2f 74 6f 70 69 63 00 68 65 6c 6c 6f",
		id: 1, op: OpPublish, qos: QoSProcessed, topic: "test/topic", payload: "68 65 6c 6c 6f"},
	{name: "§5.3 subscribe two", hex: "02 00 00 00 42 07 00 00 00 61 2f 2b 00 62 2f 23",
		id: 2, op: OpSubscribe, qos: QoSProcessed, topics: []string{"a/+", "b/#"}},
	{name: "§5.3 unsubscribe", hex: "06 00 00 00 03 03 00 00 00 61 2f 2b",
		id: 6, op: OpUnsubscribe, qos: QoSNo, topics: []string{"a/+"}},
	{name: "§5.3 exclude", hex: "07 00 00 00 44 03 00 00 00 62 2f 78",
		id: 7, op: OpExclude, qos: QoSProcessed, topics: []string{"b/x"}},
	{name: "§5.3 unexclude", hex: "08 00 00 00 45 03 00 00 00 62 2f 78",
		id: 8, op: OpUnexclude, qos: QoSProcessed, topics: []string{"b/x"}},
	{name: "§5.3 message", hex: "03 00 00 00 52 0d 00 00 00 77 6f 72 6b 65 72 2e 31 00 70 69 6e 67",
		id: 3, op: OpMessage, qos: QoSProcessed, target: "worker.1", payload: "70 69 6e 67"},
	{name: "§5.3 message realtime", hex: "03 00 00 00 d2 0d 00 00 00 77 6f 72 6b 65 72 2e 31 00 70 69 6e 67",
		id: 3, op: OpMessage, qos: QoSRealtimeProcessed, target: "worker.1", payload: "70 69 6e 67"},
	{name: "§5.3 broadcast", hex: "04 00 00 00 13 0b 00 00 00 77 6f 72 6b 65 72 2e 2a 00 68 69",
		id: 4, op: OpBroadcast, qos: QoSNo, target: "worker.*", payload: "68 69"},
	{name: "§5.3 publish for", hex: "05 00 00 00 46 19 00 00 00 74 65 73 74 2f 74 6f 70 69 63 00 77 6f 72 6b 65 72 2e 31 00 68 65 6c 6c 6f",
		id: 5, op: OpPublishFor, qos: QoSProcessed, topic: "test/topic", receiver: "worker.1", payload: "68 65 6c 6c 6f"},
	{name: "§13 subscribe", hex: "01 00 00 00 42 06 00 00 00 74 65 73 74 2f 23",
		id: 1, op: OpSubscribe, qos: QoSProcessed, topics: []string{"test/#"}},
	{name: "§13 publish", hex: "02 00 00 00 41 10 00 00 00 74 65 73 74 2f 74 6f 70 69 63 00 68 65 6c 6c 6f",
		id: 2, op: OpPublish, qos: QoSProcessed, topic: "test/topic", payload: "68 65 6c 6c 6f"},
	{name: "RPC §9 call .broker test", hex: "09 00 00 00 52 12 00 00 00 2e 62 72 6f 6b 65 72 00 01 01 00 00 00 74 65 73 74 00",
		id: 9, op: OpMessage, qos: QoSProcessed, target: ".broker", payload: "01 01 00 00 00 74 65 73 74 00"},
	{name: "RPC §9 notification", hex: "0a 00 00 00 52 0f 00 00 00 77 6f 72 6b 65 72 2e 31 00 00 68 65 6c 6c 6f",
		id: 10, op: OpMessage, qos: QoSProcessed, target: "worker.1", payload: "00 68 65 6c 6c 6f"},
	{name: "RPC §9 call0", hex: "0b 00 00 00 52 15 00 00 00 77 6f 72 6b 65 72 2e 31 00 01 00 00 00 00 64 6f 00 81 a1 78 01",
		id: 11, op: OpMessage, qos: QoSProcessed, target: "worker.1", payload: "01 00 00 00 00 64 6f 00 81 a1 78 01"},
}

func TestClientVectors(t *testing.T) {
	for _, v := range clientVectors {
		t.Run(v.name, func(t *testing.T) {
			wire := hx(t, v.hex)
			payload := hx(t, v.payload)
			h, data, n, err := NextClientFrame(wire, 0)
			if err != nil || n != len(wire) {
				t.Fatalf("NextClientFrame: n=%d err=%v, want n=%d", n, err, len(wire))
			}
			if h.ID != v.id && !h.IsPing() || h.Op != v.op || h.QoS != v.qos {
				t.Fatalf("header %+v, want id %d op %v qos %v", h, v.id, v.op, v.qos)
			}
			d, err := SplitData(h.Op, data)
			if h.IsPing() {
				if data != nil {
					t.Fatalf("ping has data %x", data)
				}
			} else if err != nil {
				t.Fatalf("SplitData: %v", err)
			}
			if string(d.Target) != v.target || string(d.Topic) != v.topic || string(d.Receiver) != v.receiver || !bytes.Equal(d.Payload, payload) {
				t.Fatalf("split %+v, want target %q topic %q receiver %q payload %x", d, v.target, v.topic, v.receiver, payload)
			}
			var topics [][]byte
			if v.topics != nil {
				for it := Topics(d.Topics); ; {
					tp, ok := it.Next()
					if !ok {
						break
					}
					topics = append(topics, tp)
				}
				if len(topics) != len(v.topics) || CountTopics(d.Topics) != len(v.topics) {
					t.Fatalf("topics %q, want %q", topics, v.topics)
				}
				for i := range topics {
					if string(topics[i]) != v.topics[i] {
						t.Fatalf("topic %d = %q, want %q", i, topics[i], v.topics[i])
					}
				}
			}
			// Round trip: the encoder rebuilds the vector from the decoded views.
			var enc []byte
			switch h.Op {
			case OpNop:
				enc = AppendPing(nil)
			case OpPublish:
				enc = AppendPublish(nil, h.ID, h.QoS, d.Topic, d.Payload)
			case OpMessage:
				enc = AppendMessage(nil, h.ID, h.QoS, d.Target, d.Payload)
			case OpBroadcast:
				enc = AppendBroadcast(nil, h.ID, h.QoS, d.Target, d.Payload)
			case OpPublishFor:
				enc = AppendPublishFor(nil, h.ID, h.QoS, d.Topic, d.Receiver, d.Payload)
			case OpSubscribe:
				enc = AppendSubscribe(nil, h.ID, h.QoS, topics...)
			case OpUnsubscribe:
				enc = AppendUnsubscribe(nil, h.ID, h.QoS, topics...)
			case OpExclude:
				enc = AppendExclude(nil, h.ID, h.QoS, topics...)
			case OpUnexclude:
				enc = AppendUnexclude(nil, h.ID, h.QoS, topics...)
			}
			if !bytes.Equal(enc, wire) {
				t.Fatalf("re-encoded\n %x\nwant\n %x", enc, wire)
			}
		})
	}
}

// Test vectors from PROTOCOL.md §3.6, §6.5, §13 and RPC.md §9 (B→C frames).
var brokerVectors = []struct {
	name          string
	hex           string
	kind          Kind
	realtime      bool
	ackID         uint32
	code          Code
	sender, topic string
	payload       string // hex
}{
	{name: "§6.5 broker ping", hex: "00 00 00 00 00 00", kind: KindNop},
	{name: "§6.5 publish delivery", hex: "01 1c 00 00 00 00 74 65 73 74 2e 63 6c 69 65 6e 74 00 74 65 73 74 2f 74 6f 70 69 63 00 68 65 6c 6c 6f",
		kind: KindPublish, sender: "test.client", topic: "test/topic", payload: "68 65 6c 6c 6f"},
	{name: "§6.5 ack 1", hex: "fe 01 00 00 00 01", kind: KindAck, ackID: 1, code: CodeOK},
	{name: "§6.5 ack 2", hex: "fe 02 00 00 00 01", kind: KindAck, ackID: 2, code: CodeOK},
	{name: "§6.5 message delivery", hex: "12 10 00 00 00 00 74 65 73 74 2e 63 6c 69 65 6e 74 00 70 69 6e 67",
		kind: KindMessage, sender: "test.client", payload: "70 69 6e 67"},
	{name: "§6.5 message delivery realtime", hex: "12 10 00 00 00 01 74 65 73 74 2e 63 6c 69 65 6e 74 00 70 69 6e 67",
		kind: KindMessage, realtime: true, sender: "test.client", payload: "70 69 6e 67"},
	{name: "§6.5 ack 3 ok", hex: "fe 03 00 00 00 01", kind: KindAck, ackID: 3, code: CodeOK},
	{name: "§6.5 ack 3 not registered", hex: "fe 03 00 00 00 71", kind: KindAck, ackID: 3, code: CodeNotRegistered},
	{name: "§6.5 broadcast delivery", hex: "13 0e 00 00 00 00 74 65 73 74 2e 63 6c 69 65 6e 74 00 68 69",
		kind: KindBroadcast, sender: "test.client", payload: "68 69"},
	{name: "RPC §9 ack 9", hex: "fe 09 00 00 00 01", kind: KindAck, ackID: 9, code: CodeOK},
	{name: "RPC §9 reply", hex: "12 12 00 00 00 00 2e 62 72 6f 6b 65 72 00 11 01 00 00 00 81 a2 6f 6b c3",
		kind: KindMessage, sender: ".broker", payload: "11 01 00 00 00 81 a2 6f 6b c3"},
	{name: "RPC §9 error reply", hex: "12 0f 00 00 00 00 2e 62 72 6f 6b 65 72 00 12 02 00 00 00 a7 80",
		kind: KindMessage, sender: ".broker", payload: "12 02 00 00 00 a7 80"},
}

func TestBrokerVectors(t *testing.T) {
	for _, v := range brokerVectors {
		t.Run(v.name, func(t *testing.T) {
			wire := hx(t, v.hex)
			payload := hx(t, v.payload)
			h, data, n, err := NextBrokerFrame(wire, 0)
			if err != nil || n != len(wire) {
				t.Fatalf("NextBrokerFrame: n=%d err=%v, want n=%d", n, err, len(wire))
			}
			if h.Kind != v.kind || h.Realtime != v.realtime || h.AckID != v.ackID || h.Code != v.code {
				t.Fatalf("header %+v", h)
			}
			var enc []byte
			switch h.Kind {
			case KindNop:
				enc = AppendBrokerPing(nil)
			case KindAck:
				enc = AppendAck(nil, h.AckID, h.Code)
			default:
				sender, topic, p, err := SplitDelivery(h.Kind, data)
				if err != nil {
					t.Fatal(err)
				}
				if string(sender) != v.sender || string(topic) != v.topic || !bytes.Equal(p, payload) {
					t.Fatalf("split sender %q topic %q payload %x", sender, topic, p)
				}
				enc = AppendDelivery(nil, h.Kind, h.Realtime, sender, topic, p)
			}
			if !bytes.Equal(enc, wire) {
				t.Fatalf("re-encoded\n %x\nwant\n %x", enc, wire)
			}
		})
	}
}

// PROTOCOL.md §6.5: a PUBLISH_FOR is delivered with exactly the bytes of the
// PUBLISH delivery; the receiver is not forwarded.
func TestPublishForDelivery(t *testing.T) {
	_, data, _, _ := NextClientFrame(hx(t, clientVectors[9].hex), 0)
	topic, _, payload, err := SplitPublishFor(data)
	if err != nil {
		t.Fatal(err)
	}
	got := AppendDelivery(nil, KindPublish, false, []byte("test.client"), topic, payload)
	if want := hx(t, brokerVectors[1].hex); !bytes.Equal(got, want) {
		t.Fatalf("got %x want %x", got, want)
	}
}

// RPC.md §9 event payloads, and the error-code bytes of the §3 tables.
var rpcVectors = []struct {
	name   string
	hex    string
	typ    RPCType
	callID uint32
	method string
	data   string // hex
	code   int16
}{
	{name: "request test", hex: "01 01 00 00 00 74 65 73 74 00", typ: RPCRequest, callID: 1, method: "test"},
	{name: "reply ok", hex: "11 01 00 00 00 81 a2 6f 6b c3", typ: RPCReply, callID: 1, data: "81 a2 6f 6b c3"},
	{name: "error method not found", hex: "12 02 00 00 00 a7 80", typ: RPCError, callID: 2, code: RPCErrMethodNotFound},
	{name: "notification", hex: "00 68 65 6c 6c 6f", typ: RPCNotification, data: "68 65 6c 6c 6f"},
	{name: "call0", hex: "01 00 00 00 00 64 6f 00 81 a1 78 01", typ: RPCRequest, method: "do", data: "81 a1 78 01"},
	{name: "empty reply", hex: "11 07 00 00 00", typ: RPCReply, callID: 7},
	{name: "error with data", hex: "12 03 00 00 00 a5 80 62 6f 6f6d", typ: RPCError, callID: 3, code: RPCErrInternal, data: "62 6f 6f 6d"},
	{name: "request empty method", hex: "01 05 00 00 00 00", typ: RPCRequest, callID: 5},
	{name: "params with 00", hex: "01 05 00 00 00 6d 00 00 01 00", typ: RPCRequest, callID: 5, method: "m", data: "00 01 00"},
}

func TestRPCVectors(t *testing.T) {
	for _, v := range rpcVectors {
		t.Run(v.name, func(t *testing.T) {
			wire := hx(t, v.hex)
			data := hx(t, v.data)
			ev, err := ParseRPCEvent(wire)
			if err != nil {
				t.Fatal(err)
			}
			if ev.Type != v.typ || ev.CallID != v.callID || string(ev.Method) != v.method || ev.Code != v.code || !bytes.Equal(ev.Data, data) {
				t.Fatalf("got %+v", ev)
			}
			if ev.NeedsReply() != (v.typ == RPCRequest && v.callID != 0) {
				t.Fatalf("NeedsReply = %v", ev.NeedsReply())
			}
			var enc []byte
			switch ev.Type {
			case RPCNotification:
				enc = AppendRPCNotification(nil, ev.Data)
			case RPCRequest:
				enc = AppendRPCRequest(nil, ev.CallID, ev.Method, ev.Data)
				if RPCRequestHeaderLen(ev.Method) != len(wire)-len(ev.Data) {
					t.Fatalf("RPCRequestHeaderLen = %d", RPCRequestHeaderLen(ev.Method))
				}
			case RPCReply:
				enc = AppendRPCReply(nil, ev.CallID, ev.Data)
			case RPCError:
				enc = AppendRPCError(nil, ev.CallID, ev.Code, ev.Data)
			}
			if !bytes.Equal(enc, wire) {
				t.Fatalf("re-encoded %x want %x", enc, wire)
			}
		})
	}
}

// RPC.md §2 validation: each rule is its own error, all of class
// ErrInvalidRPCFrame.
func TestRPCInvalid(t *testing.T) {
	for _, v := range []struct {
		hex  string
		want error
	}{
		{"", ErrRPCEmpty},
		{"02", ErrRPCUnknownType},
		{"ff 00 00 00 00 00 00", ErrRPCUnknownType},
		{"01", ErrRPCShortRequest},
		{"01 01 00 00 00", ErrRPCShortRequest},
		{"01 01 00 00 00 74", ErrRPCNoMethodEnd},
		{"01 01 00 00 00 74 65 73 74", ErrRPCNoMethodEnd},
		{"00 00 00 00 00 01 01 00 00 00 74", nil}, // a notification may hold anything
		{"11 01 00 00", ErrRPCShortReply},
		{"12 01 00 00 00 a7", ErrRPCShortError},
	} {
		_, err := ParseRPCEvent(hx(t, v.hex))
		if err != v.want {
			t.Errorf("%q: err = %v, want %v", v.hex, err, v.want)
		}
		if v.want != nil && !errors.Is(err, ErrInvalidRPCFrame) {
			t.Errorf("%q: %v is not ErrInvalidRPCFrame", v.hex, err)
		}
	}
}

func TestRPCCodeTables(t *testing.T) {
	// RPC.md §3.1: JSON-RPC-like codes and their i16 LE bytes.
	for _, v := range []struct {
		code int16
		hex  string
	}{
		{RPCErrParse, "44 80"}, {RPCErrInvalidRequest, "a8 80"}, {RPCErrMethodNotFound, "a7 80"},
		{RPCErrInvalidParams, "a6 80"}, {RPCErrInternal, "a5 80"}, {RPCErrNotFound, "ff 82"},
	} {
		if got := AppendRPCErrorHeader(nil, 0, v.code)[5:]; !bytes.Equal(got, hx(t, v.hex)) {
			t.Errorf("code %d encodes as %x, want %s", v.code, got, v.hex)
		}
		if c, ok := BusCodeFromRPC(v.code); ok {
			t.Errorf("BusCodeFromRPC(%d) = %v, true; want false", v.code, c)
		}
	}
	// RPC.md §3.2: bus-derived codes, ours and upstream Rust's.
	for _, v := range []struct {
		bus      Code
		rpc      int16
		hex      string
		upstream int16
	}{
		{CodeNotRegistered, -32113, "8f 82", -32113},
		{CodeData, -32114, "8e 82", -32114},
		{CodeIO, -32115, "8d 82", -32115},
		{CodeOther, -32116, "8c 82", -32116},
		{CodeNotSupported, -32117, "8b 82", -32117},
		{CodeBusy, -32118, "8a 82", -32118},
		{CodeNotDelivered, -32119, "89 82", -32119},
		{CodeTimeout, -32120, "88 82", -32116}, // upstream quirk
		{CodeAccess, -32121, "87 82", -32121},
		{CodeEOF, -32255, "01 82", -32116}, // upstream quirk
	} {
		if got := RPCCodeFromBus(v.bus); got != v.rpc {
			t.Errorf("RPCCodeFromBus(%v) = %d, want %d", v.bus, got, v.rpc)
		}
		if got := UpstreamRPCCodeFromBus(v.bus); got != v.upstream {
			t.Errorf("UpstreamRPCCodeFromBus(%v) = %d, want %d", v.bus, got, v.upstream)
		}
		if got := AppendRPCErrorHeader(nil, 0, v.rpc)[5:]; !bytes.Equal(got, hx(t, v.hex)) {
			t.Errorf("code %d encodes as %x, want %s", v.rpc, got, v.hex)
		}
		if c, ok := BusCodeFromRPC(v.rpc); !ok || c != v.bus {
			t.Errorf("BusCodeFromRPC(%d) = %v, %v; want %v", v.rpc, c, ok, v.bus)
		}
	}
	for _, c := range []Code{0x00, CodeOK, 0x02, 0x70, 0x7a, 0xfe} {
		if got := UpstreamRPCCodeFromBus(c); got != -32116 {
			t.Errorf("UpstreamRPCCodeFromBus(%#x) = %d, want -32116 (Other)", uint8(c), got)
		}
	}
	for _, code := range []int16{-32000, -32001, -32112, -32122, -32254, -32256, 0, 32767, -32768} {
		if c, ok := BusCodeFromRPC(code); ok {
			t.Errorf("BusCodeFromRPC(%d) = %v, true; want false", code, c)
		}
	}
}
