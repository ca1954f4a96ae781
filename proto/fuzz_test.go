package proto

import (
	"bytes"
	"errors"
	"slices"
	"testing"
	"unicode/utf8"
)

// Fuzz targets: one per decoder. Inputs are clipped (cap == len) so an
// over-read panics, and every view must lie inside the input.

func isMalformed(err error) bool {
	var me *MalformedError
	return errors.As(err, &me)
}

func seedClientFrames(f *testing.F) {
	for _, v := range clientVectors {
		f.Add(hx(f, v.hex), uint32(0))
	}
	f.Add(hx(f, "01 00 00 00 12 ff ff ff ff"), uint32(100))
	f.Add(hx(f, "07 00 00 00 40 02 00 00 00 61 00"), uint32(0))
}

func FuzzDecodeHeader(f *testing.F) {
	seedClientFrames(f)
	f.Fuzz(func(t *testing.T, in []byte, maxLen uint32) {
		in = slices.Clip(in)
		h, err := DecodeHeader(in, maxLen)
		switch {
		case len(in) < ClientHeaderSize:
			if err != ErrShortHeader {
				t.Fatalf("short input: %v", err)
			}
		case err == ErrUnknownOp:
			if h.Op.Valid() {
				t.Fatalf("valid op %v refused", h.Op)
			}
		case err == ErrFrameTooLarge:
			if maxLen == 0 || h.Len <= maxLen {
				t.Fatalf("len %d refused with limit %d", h.Len, maxLen)
			}
		case err != nil:
			t.Fatalf("unexpected error %v", err)
		case h.IsPing():
			if in[4] != 0 || h.Len != 0 || !bytes.Equal(AppendClientHeader(nil, h.ID, h.Op, h.QoS, 0)[:5], in[:5]) {
				t.Fatalf("ping %+v from %x", h, in)
			}
		default:
			if !bytes.Equal(AppendClientHeader(nil, h.ID, h.Op, h.QoS, h.Len), in[:ClientHeaderSize]) || h.Flags != in[4] {
				t.Fatalf("header %+v does not re-encode to %x", h, in[:ClientHeaderSize])
			}
		}
	})
}

func FuzzDecodeBrokerHeader(f *testing.F) {
	for _, v := range brokerVectors {
		f.Add(hx(f, v.hex))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		in = slices.Clip(in)
		h, err := DecodeBrokerHeader(in)
		switch {
		case len(in) < BrokerHeaderSize:
			if err != ErrShortHeader {
				t.Fatalf("short input: %v", err)
			}
		case err == ErrUnknownKind:
			if Kind(in[0]).Valid() {
				t.Fatalf("valid kind %v refused", Kind(in[0]))
			}
		case err != nil:
			t.Fatalf("unexpected error %v", err)
		case h.Kind == KindAck:
			if !bytes.Equal(AppendAck(nil, h.AckID, h.Code), in[:6]) {
				t.Fatalf("ack %+v from %x", h, in)
			}
		case h.Kind == KindNop:
			if h.Len != 0 || h.Realtime {
				t.Fatalf("nop %+v", h)
			}
		default:
			enc := AppendBrokerHeader(nil, h.Kind, h.Len, h.Realtime)
			if !bytes.Equal(enc[:5], in[:5]) || h.Realtime != (in[5] != 0) {
				t.Fatalf("header %+v does not re-encode to %x", h, in[:6])
			}
		}
	})
}

func FuzzNextClientFrame(f *testing.F) {
	seedClientFrames(f)
	f.Fuzz(func(t *testing.T, in []byte, maxLen uint32) {
		in = slices.Clip(in)
		for rest := in; ; {
			h, data, n, err := NextClientFrame(rest, maxLen)
			if err != nil {
				if !isMalformed(err) || n != 0 {
					t.Fatalf("error %v with n=%d", err, n)
				}
				return
			}
			if n == 0 {
				if data != nil || (len(rest) >= ClientHeaderSize && uint64(len(rest)) >= ClientHeaderSize+uint64(h.Len) && !h.IsPing()) {
					t.Fatalf("need more with %d bytes for %+v", len(rest), h)
				}
				return
			}
			if n > len(rest) {
				t.Fatalf("n=%d > %d", n, len(rest))
			}
			mustInside(t, "data", data, rest[:n])
			if h.IsPing() {
				if n != ClientHeaderSize || data != nil {
					t.Fatalf("ping n=%d", n)
				}
			} else {
				enc := AppendClientHeader(nil, h.ID, h.Op, h.QoS, h.Len)
				if !bytes.Equal(append(enc, data...), rest[:n]) {
					t.Fatalf("frame does not re-encode")
				}
			}
			rest = rest[n:]
		}
	})
}

func FuzzNextBrokerFrame(f *testing.F) {
	for _, v := range brokerVectors {
		f.Add(hx(f, v.hex), uint32(0))
	}
	f.Add(hx(f, "12 10 00 00 00 00 74"), uint32(4))
	f.Fuzz(func(t *testing.T, in []byte, maxLen uint32) {
		in = slices.Clip(in)
		for rest := in; ; {
			h, data, n, err := NextBrokerFrame(rest, maxLen)
			if err != nil {
				if !isMalformed(err) || n != 0 {
					t.Fatalf("error %v with n=%d", err, n)
				}
				return
			}
			if n == 0 {
				return
			}
			if n > len(rest) || n != BrokerHeaderSize+len(data) || uint32(len(data)) != h.Len {
				t.Fatalf("n=%d len(data)=%d header %+v with %d bytes", n, len(data), h, len(rest))
			}
			mustInside(t, "data", data, rest[:n])
			if h.Kind == KindMessage || h.Kind == KindBroadcast || h.Kind == KindPublish {
				checkDelivery(t, h.Kind, data)
			}
			rest = rest[n:]
		}
	})
}

// checkDelivery asserts SplitDelivery's views partition data exactly.
func checkDelivery(t *testing.T, kind Kind, data []byte) {
	sender, topic, payload, err := SplitDelivery(kind, data)
	if err != nil {
		if !isMalformed(err) {
			t.Fatalf("error %v", err)
		}
		return
	}
	for _, v := range [][]byte{sender, topic, payload} {
		mustInside(t, "delivery", v, data)
	}
	if !utf8.Valid(sender) || !utf8.Valid(topic) {
		t.Fatal("accepted non-UTF-8")
	}
	enc := AppendDelivery(nil, kind, false, sender, topic, payload)
	if !bytes.Equal(enc[BrokerHeaderSize:], data) {
		t.Fatalf("delivery %q %q %q does not re-encode to %x", sender, topic, payload, data)
	}
}

func FuzzSplitDelivery(f *testing.F) {
	for _, v := range brokerVectors {
		b := hx(f, v.hex)
		f.Add(b[0], b[BrokerHeaderSize:])
	}
	f.Fuzz(func(t *testing.T, kind byte, data []byte) {
		data = slices.Clip(data)
		checkDelivery(t, Kind(kind), data)
		if k := Kind(kind); k != KindMessage && k != KindBroadcast && k != KindPublish {
			if _, _, _, err := SplitDelivery(k, data); err != ErrUnknownKind {
				t.Fatalf("kind %v: %v", k, err)
			}
		}
	})
}

func FuzzSplitData(f *testing.F) {
	for _, v := range clientVectors {
		b := hx(f, v.hex)
		f.Add(b[4]&0x3f, b[ClientHeaderSize:])
	}
	f.Add(byte(OpPublishFor), []byte("t\x00r"))
	f.Add(byte(OpMessage), []byte("\xff\x00p"))
	f.Fuzz(func(t *testing.T, op byte, data []byte) {
		data = slices.Clip(data)
		d, err := SplitData(Op(op), data)
		for _, v := range [][]byte{d.Target, d.Topic, d.Receiver, d.Payload, d.Topics} {
			mustInside(t, "split", v, data)
		}
		zero := bytes.IndexByte(data, 0)
		switch o := Op(op); {
		case !o.Valid():
			if err != ErrUnknownOp {
				t.Fatalf("op %v: %v", o, err)
			}
		case err != nil:
			if !isMalformed(err) {
				t.Fatalf("error %v", err)
			}
			if err == ErrNoSeparator && zero >= 0 {
				t.Fatal("ErrNoSeparator with a 00 present")
			}
			if err == ErrInvalidUTF8 && o != OpPublishFor && utf8.Valid(data[:zero]) {
				t.Fatal("ErrInvalidUTF8 for a valid name")
			}
		case o == OpNop:
			if zero < 0 {
				t.Fatal("op 0 data without 00 accepted")
			}
		case o >= OpSubscribe && o <= OpUnexclude:
			if len(d.Topics) != len(data) {
				t.Fatal("topic list is not the whole data")
			}
		default:
			var enc []byte
			if o == OpPublishFor {
				enc = AppendPublishFor(nil, 0, 0, d.Topic, d.Receiver, d.Payload)
			} else {
				enc = AppendTargeted(nil, 0, o, 0, append(d.Target, d.Topic...), d.Payload)
			}
			if !bytes.Equal(enc[ClientHeaderSize:], data) {
				t.Fatalf("split %+v does not re-encode to %x", d, data)
			}
			if !utf8.Valid(d.Target) || !utf8.Valid(d.Topic) || !utf8.Valid(d.Receiver) {
				t.Fatal("accepted non-UTF-8")
			}
		}
	})
}

func FuzzTopics(f *testing.F) {
	for _, v := range clientVectors {
		if v.topics != nil {
			f.Add(hx(f, v.hex)[ClientHeaderSize:])
		}
	}
	f.Add([]byte("a\x00\x00b\x00"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		data = slices.Clip(data)
		var joined []byte
		count := 0
		it := Topics(data)
		for tp, ok := it.Next(); ok; tp, ok = it.Next() {
			mustInside(t, "topic", tp, data)
			if bytes.IndexByte(tp, 0) >= 0 {
				t.Fatalf("topic %q holds 00", tp)
			}
			if count > 0 {
				joined = append(joined, 0)
			}
			joined = append(joined, tp...)
			if count++; count > len(data)+1 {
				t.Fatal("iterator does not end")
			}
		}
		if count != CountTopics(data) || !bytes.Equal(joined, data) {
			t.Fatalf("%d topics joined to %x, want %x", count, joined, data)
		}
	})
}

func FuzzRPCEvent(f *testing.F) {
	for _, v := range rpcVectors {
		f.Add(hx(f, v.hex))
	}
	for _, v := range brokerVectors {
		if v.kind == KindMessage {
			f.Add(hx(f, v.payload))
		}
	}
	f.Add([]byte{0x01, 1, 0, 0, 0, 'm'})
	f.Fuzz(func(t *testing.T, in []byte) {
		in = slices.Clip(in)
		ev, err := ParseRPCEvent(in)
		if err != nil {
			if !errors.Is(err, ErrInvalidRPCFrame) {
				t.Fatalf("error %v is not ErrInvalidRPCFrame", err)
			}
			if len(in) > 0 && in[0] == 0 {
				t.Fatal("notification refused")
			}
			if len(in) >= 7 && (in[0] == 0x11 || in[0] == 0x12) {
				t.Fatal("long enough reply refused")
			}
			if len(in) >= 6 && in[0] == 1 && bytes.IndexByte(in[5:], 0) >= 0 {
				t.Fatal("valid request refused")
			}
			return
		}
		mustInside(t, "method", ev.Method, in)
		mustInside(t, "data", ev.Data, in)
		var enc []byte
		switch ev.Type {
		case RPCNotification:
			enc = AppendRPCNotification(nil, ev.Data)
		case RPCRequest:
			enc = AppendRPCRequest(nil, ev.CallID, ev.Method, ev.Data)
		case RPCReply:
			enc = AppendRPCReply(nil, ev.CallID, ev.Data)
		case RPCError:
			enc = AppendRPCError(nil, ev.CallID, ev.Code, ev.Data)
		default:
			t.Fatalf("type %v accepted", ev.Type)
		}
		if !bytes.Equal(enc, in) {
			t.Fatalf("%+v re-encodes to %x, want %x", ev, enc, in)
		}
	})
}

func FuzzRPCCode(f *testing.F) {
	for _, c := range []int16{-32113, -32120, -32255, -32001, -32700, 0} {
		f.Add(c, uint8(c))
	}
	f.Fuzz(func(t *testing.T, code int16, b uint8) {
		if c, ok := BusCodeFromRPC(code); ok {
			if RPCCodeFromBus(c) != code || !c.Known() || c == CodeOK {
				t.Fatalf("BusCodeFromRPC(%d) = %v", code, c)
			}
		}
		c := Code(b)
		back, ok := BusCodeFromRPC(RPCCodeFromBus(c))
		if ok != (c.Known() && c != CodeOK) || (ok && back != c) {
			t.Fatalf("code %v: round trip %v %v", c, back, ok)
		}
		if u := UpstreamRPCCodeFromBus(c); u != RPCCodeFromBus(c) && u != RPCCodeFromBus(CodeOther) {
			t.Fatalf("upstream code %d for %v", u, c)
		}
	})
}

func FuzzServerHandshake(f *testing.F) {
	for _, v := range handshakeVectors {
		f.Add(hx(f, v.c2b), uint8(1))
	}
	f.Add(hx(f, hsGreeting+hsName+clientVectors[1].hex), uint8(5))
	f.Fuzz(func(t *testing.T, in []byte, piece uint8) {
		in = slices.Clip(in)
		whole, wholeRest, wholeFail := runServer(t, in, len(in)+1, CodeOK)
		out, rest, fail := runServer(t, in, int(piece)+1, CodeOK)
		if !bytes.Equal(out, whole) || fail != wholeFail || !bytes.Equal(rest, wholeRest) {
			t.Fatalf("pieces of %d: %x %v %x; whole: %x %v %x", piece+1, out, fail, rest, whole, wholeFail, wholeRest)
		}
		if len(in) >= GreetingSize && (CheckGreeting(in) != nil) != (fail == ErrBadGreeting || fail == ErrBadVersion) {
			t.Fatalf("greeting %x ended with %v", in[:3], fail)
		}
		if !bytes.HasPrefix(out, AppendGreeting(nil)) || len(out) > GreetingSize+2 {
			t.Fatalf("server wrote %x", out)
		}
	})
}

func FuzzClientHandshake(f *testing.F) {
	for _, v := range handshakeVectors {
		if v.clientSide {
			f.Add(v.clientName, hx(f, v.b2c), uint8(0))
		}
	}
	f.Add("test.client", hx(f, hsGreeting+"01 01"+brokerVectors[2].hex), uint8(2))
	f.Fuzz(func(t *testing.T, name string, in []byte, piece uint8) {
		if len(name) > MaxNameLen {
			return
		}
		in = slices.Clip(in)
		whole, wholeRest, wholeFail := runClient(t, name, in, len(in)+1)
		out, rest, fail := runClient(t, name, in, int(piece)+1)
		if !bytes.Equal(out, whole) || fail != wholeFail || !bytes.Equal(rest, wholeRest) {
			t.Fatalf("pieces of %d differ from the whole", piece+1)
		}
		reg, _ := AppendName(nil, name)
		canonical := append(AppendGreeting(nil), reg...)
		if !bytes.HasPrefix(canonical, out) {
			t.Fatalf("client wrote %x, not a prefix of %x", out, canonical)
		}
		ok := len(in) >= 5 && CheckGreeting(in) == nil && in[3] == 1 && in[4] == 1
		if ok != (fail == nil && len(out) == len(canonical) && len(in)-len(rest) == 5) {
			t.Fatalf("stream %x: out %x fail %v rest %x", in, out, fail, rest)
		}
	})
}
