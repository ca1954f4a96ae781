package proto

import (
	"bytes"
	"testing"
)

func TestDecodeHeader(t *testing.T) {
	for _, v := range []struct {
		name   string
		hex    string
		maxLen uint32
		want   Header
		err    error
	}{
		{"short", "01 00 00 00 41 10 00 00", 0, Header{}, ErrShortHeader},
		{"empty", "", 0, Header{}, ErrShortHeader},
		{"ping ignores id and length", "07 00 00 00 00 05 00 00 00", 0, Header{ID: 7}, nil},
		{"op 0 with QoS is not a ping", "07 00 00 00 40 05 00 00 00", 0, Header{ID: 7, QoS: QoSProcessed, Len: 5, Flags: 0x40}, nil},
		{"unknown op 7", "01 00 00 00 07 00 00 00 00", 0, Header{ID: 1, Op: 7, Len: 0, Flags: 7}, ErrUnknownOp},
		{"unknown op 0x3f with QoS", "01 00 00 00 ff 00 00 00 00", 0, Header{ID: 1, Op: 0x3f, QoS: 3, Flags: 0xff}, ErrUnknownOp},
		{"unknown op 0x14", "01 00 00 00 14 00 00 00 00", 0, Header{ID: 1, Op: 0x14, Flags: 0x14}, ErrUnknownOp},
		{"at the limit", "01 00 00 00 12 10 00 00 00", 16, Header{ID: 1, Op: OpMessage, Len: 16, Flags: 0x12}, nil},
		{"over the limit", "01 00 00 00 12 11 00 00 00", 16, Header{ID: 1, Op: OpMessage, Len: 17, Flags: 0x12}, ErrFrameTooLarge},
		{"u32 max without a limit", "ff ff ff ff 52 ff ff ff ff", 0, Header{ID: 0xffffffff, Op: OpMessage, QoS: 1, Len: 0xffffffff, Flags: 0x52}, nil},
	} {
		h, err := DecodeHeader(hx(t, v.hex), v.maxLen)
		if err != v.err || h != v.want {
			t.Errorf("%s: got %+v, %v; want %+v, %v", v.name, h, err, v.want, v.err)
		}
	}
}

func TestNextClientFrameStream(t *testing.T) {
	// Pipelined frames arrive in one buffer: a ping whose length field lies
	// (§5.4: nothing after it is skipped), an op-0 frame with QoS, a publish.
	stream := hx(t, "00 00 00 00 00 03 00 00 00"+
		"05 00 00 00 40 02 00 00 00 61 00"+
		clientVectors[1].hex)
	var got []Header
	for rest := stream; len(rest) > 0; {
		h, data, n, err := NextClientFrame(rest, 0)
		if err != nil || n == 0 {
			t.Fatalf("n=%d err=%v at %x", n, err, rest)
		}
		if h.HasData() {
			if _, err := SplitData(h.Op, data); err != nil {
				t.Fatal(err)
			}
		}
		got = append(got, h)
		rest = rest[n:]
	}
	if len(got) != 3 || !got[0].IsPing() || got[1].IsPing() || got[1].Op != OpNop || got[2].Op != OpPublish {
		t.Fatalf("frames %+v", got)
	}

	// Every prefix short of the whole frame asks for more and consumes nothing.
	whole := hx(t, clientVectors[1].hex)
	for i := 0; i < len(whole); i++ {
		h, data, n, err := NextClientFrame(whole[:i], 0)
		if n != 0 || err != nil || data != nil {
			t.Fatalf("prefix %d: n=%d err=%v", i, n, err)
		}
		if i >= ClientHeaderSize && h.Len != 16 {
			t.Fatalf("prefix %d: header not reported: %+v", i, h)
		}
	}

	// The limit is checked as soon as the header is there.
	if _, _, _, err := NextClientFrame(whole[:ClientHeaderSize], 15); err != ErrFrameTooLarge {
		t.Fatalf("limit: %v", err)
	}
	// A huge declared length with no body is "need more", not an allocation.
	if _, _, n, err := NextClientFrame(hx(t, "01 00 00 00 12 ff ff ff ff 00"), 0); n != 0 || err != nil {
		t.Fatalf("huge length: n=%d err=%v", n, err)
	}
	if _, _, _, err := NextClientFrame(hx(t, "01 00 00 00 22 00 00 00 00"), 0); err != ErrUnknownOp {
		t.Fatalf("unknown op: %v", err)
	}
}

func TestNextBrokerFrame(t *testing.T) {
	for _, v := range []struct {
		name   string
		hex    string
		maxLen uint32
		n      int
		err    error
	}{
		{"short", "fe 01 00 00 00", 0, 0, nil},
		{"nop ignores its length", "00 05 00 00 00 00 12", 0, 6, nil},
		{"unknown kind", "02 00 00 00 00 00", 0, 0, ErrUnknownKind},
		{"0xff is not a wire kind", "ff 00 00 00 00 00", 0, 0, ErrUnknownKind},
		{"partial body", "12 10 00 00 00 00 74 65", 0, 0, nil},
		{"over the limit", "12 10 00 00 00 00", 15, 0, ErrFrameTooLarge},
		{"empty data", "13 00 00 00 00 00", 0, 6, nil},
	} {
		_, _, n, err := NextBrokerFrame(hx(t, v.hex), v.maxLen)
		if n != v.n || err != v.err {
			t.Errorf("%s: n=%d err=%v; want %d, %v", v.name, n, err, v.n, v.err)
		}
	}
	if _, err := DecodeBrokerHeader(nil); err != ErrShortHeader {
		t.Errorf("short broker header: %v", err)
	}
}

func TestSplitMalformed(t *testing.T) {
	for _, v := range []struct {
		name string
		op   Op
		data string
		err  error
	}{
		{"message without 00", OpMessage, "77 6f 72 6b", ErrNoSeparator},
		{"empty message", OpMessage, "", ErrNoSeparator},
		{"broadcast without 00", OpBroadcast, "2a", ErrNoSeparator},
		{"publish without 00", OpPublish, "74", ErrNoSeparator},
		{"target not UTF-8", OpMessage, "ff fe 00 70", ErrInvalidUTF8},
		{"topic not UTF-8", OpPublish, "c3 28 00", ErrInvalidUTF8},
		{"publish for without 00", OpPublishFor, "74 65", ErrNoSeparator},
		{"publish for without receiver 00", OpPublishFor, "74 00 77 6f", ErrNoReceiverSep},
		{"publish for receiver not UTF-8", OpPublishFor, "74 00 ff 00", ErrInvalidUTF8},
		{"publish for topic not UTF-8", OpPublishFor, "ff 00 77 00", ErrInvalidUTF8},
		{"op 0 with QoS and no 00", OpNop, "61 62", ErrNoSeparator},
		{"op 0 with QoS and a 00", OpNop, "61 00", nil},
		{"unknown op", 0x07, "00", ErrUnknownOp},
		{"empty payload is fine", OpMessage, "61 00", nil},
		{"payload may hold 00", OpPublish, "61 00 00 00", nil},
		{"empty target is fine", OpMessage, "00 01", nil},
		{"topic list is not checked here", OpSubscribe, "ff 00", nil},
	} {
		_, err := SplitData(v.op, hx(t, v.data))
		if err != v.err {
			t.Errorf("%s: %v, want %v", v.name, err, v.err)
		}
	}
	for _, v := range []struct {
		name string
		kind Kind
		data string
		err  error
	}{
		{"publish without topic 00", KindPublish, "61 00 74", ErrNoSeparator},
		{"sender not UTF-8", KindMessage, "ff 00", ErrInvalidUTF8},
		{"no sender 00", KindBroadcast, "61", ErrNoSeparator},
		{"ack has no data", KindAck, "61 00", ErrUnknownKind},
		{"nop has no data", KindNop, "61 00", ErrUnknownKind},
	} {
		if _, _, _, err := SplitDelivery(v.kind, hx(t, v.data)); err != v.err {
			t.Errorf("%s: %v, want %v", v.name, err, v.err)
		}
	}
}

// Views are capped: appending to a name cannot overwrite what follows it.
func TestViewsCapped(t *testing.T) {
	data := []byte("target\x00payload")
	target, payload, _ := SplitTarget(data)
	_ = append(target, 'X')
	if string(payload) != "payload" {
		t.Fatal("append to the target view overwrote the payload")
	}
	topic, receiver, payload, _ := SplitPublishFor([]byte("t\x00r\x00p"))
	_ = append(topic, 'X')
	_ = append(receiver, 'X')
	if string(receiver) != "r" || string(payload) != "p" {
		t.Fatal("append to a view overwrote its neighbour")
	}
}

func TestTopics(t *testing.T) {
	for _, v := range []struct {
		data string
		want []string
	}{
		{"", []string{""}},
		{"a", []string{"a"}},
		{"a\x00", []string{"a", ""}},
		{"\x00", []string{"", ""}},
		{"a\x00\x00b", []string{"a", "", "b"}},
		{"a/+\x00b/#", []string{"a/+", "b/#"}},
	} {
		var got []string
		it := Topics([]byte(v.data))
		for tp, ok := it.Next(); ok; tp, ok = it.Next() {
			got = append(got, string(tp))
		}
		if _, ok := it.Next(); ok {
			t.Errorf("%q: iterator restarted", v.data)
		}
		if len(got) != len(v.want) || CountTopics([]byte(v.data)) != len(v.want) {
			t.Errorf("%q: got %q want %q", v.data, got, v.want)
			continue
		}
		for i := range got {
			if got[i] != v.want[i] {
				t.Errorf("%q: got %q want %q", v.data, got, v.want)
			}
		}
	}
	var zero TopicIter
	if tp, ok := zero.Next(); !ok || len(tp) != 0 {
		t.Error("zero TopicIter must yield one empty topic")
	}
	if ValidTopics([]byte("a\x00\xff")) || !ValidTopics([]byte("a\x00é")) {
		t.Error("ValidTopics")
	}
	// An empty topic list encodes as empty data: one empty topic (§5.2).
	if got := AppendSubscribe(nil, 1, QoSNo); !bytes.Equal(got, hx(t, "01 00 00 00 02 00 00 00 00")) {
		t.Errorf("empty subscribe %x", got)
	}
}

func TestNames(t *testing.T) {
	for _, v := range []struct {
		name  string
		code  Code
		reply bool
	}{
		{"test.client", CodeOK, true},
		{"", CodeData, true},
		{".hidden", CodeData, true},
		{"a.b", CodeOK, true},
		{"sp ace/*?+#", CodeOK, true},
		{"\xff", 0, false},
		{".\xff", 0, false}, // UTF-8 is checked first (§4.2 row 1)
	} {
		code, reply := CheckName([]byte(v.name))
		if code != v.code || reply != v.reply {
			t.Errorf("CheckName(%q) = %v, %v", v.name, code, reply)
		}
	}
	for _, v := range []struct{ name, primary string }{
		{"a%%b%%c", "a"}, {"%%x", ""}, {"app", "app"}, {"a%b", "a%b"},
	} {
		if got := PrimaryName([]byte(v.name)); string(got) != v.primary {
			t.Errorf("PrimaryName(%q) = %q", v.name, got)
		}
		if IsSecondary([]byte(v.name)) != (v.name != v.primary) {
			t.Errorf("IsSecondary(%q)", v.name)
		}
	}
}
