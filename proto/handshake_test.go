package proto

import (
	"bytes"
	"errors"
	"slices"
	"testing"
)

const (
	hsGreeting = "eb 01 00 "
	hsName     = "0b 00 74 65 73 74 2e 63 6c 69 65 6e 74 " // "test.client"
)

// PROTOCOL.md §4.3, written as the whole byte streams of each side.
var handshakeVectors = []struct {
	name       string
	clientName string
	c2b, b2c   string
	registry   Code  // the registry's verdict for a name CheckName passes
	fail       error // how the handshake ends, nil for success
	clientSide bool  // false where our client cannot produce c2b (a bad version)
}{
	{name: "success", clientName: "test.client", c2b: hsGreeting + hsName, b2c: hsGreeting + "01 01",
		registry: CodeOK, clientSide: true},
	{name: "wrong version", c2b: "eb 02 00", b2c: hsGreeting + "75", fail: ErrBadVersion},
	{name: "wrong greeting byte", c2b: "ec 01 00", b2c: hsGreeting + "75", fail: ErrBadGreeting},
	{name: "dot name", clientName: ".hidden", c2b: hsGreeting + "07 00 2e 68 69 64 64 65 6e", b2c: hsGreeting + "01 72",
		registry: CodeOK, fail: CodeData.Err(), clientSide: true},
	{name: "empty name", clientName: "", c2b: hsGreeting + "00 00", b2c: hsGreeting + "01 72",
		registry: CodeOK, fail: CodeData.Err(), clientSide: true},
	{name: "duplicate name", clientName: "test.client", c2b: hsGreeting + hsName, b2c: hsGreeting + "01 76",
		registry: CodeBusy, fail: CodeBusy.Err(), clientSide: true},
	{name: "secondary without primary", clientName: "app%%1", c2b: hsGreeting + "06 00 61 70 70 25 25 31", b2c: hsGreeting + "01 71",
		registry: CodeNotRegistered, fail: CodeNotRegistered.Err(), clientSide: true},
}

// runServer plays the broker over the client's stream, given in pieces of
// the given size, and returns what the broker wrote and how it ended.
func runServer(t *testing.T, c2b []byte, piece int, registry Code) (out, rest []byte, fail error) {
	t.Helper()
	var hs ServerHandshake
	out = AppendGreeting(nil)
	var buf []byte // what arrived and was not consumed yet
	for fed := 0; ; {
		n, ev, name := hs.Feed(buf)
		if n > len(buf) || (ev == ServerNeedMore) != (n == 0) {
			t.Fatalf("Feed: n=%d ev=%v with %d bytes", n, ev, len(buf))
		}
		switch ev {
		case ServerNeedMore:
			if need := hs.Need(buf); need <= len(buf) {
				t.Fatalf("NeedMore with %d bytes but Need says %d", len(buf), need)
			}
			if fed == len(c2b) {
				return out, buf, nil
			}
			k := min(piece, len(c2b)-fed)
			buf = append(buf, c2b[fed:fed+k]...)
			fed += k
			continue
		case ServerGreetingOK:
			out = append(out, byte(CodeOK))
		case ServerRejected:
			return append(out, byte(CodeNotSupported)), nil, hs.Err()
		case ServerName:
			mustInside(t, "name", name, buf)
			code, reply := CheckName(name)
			if !reply {
				return out, nil, ErrInvalidUTF8
			}
			if code == CodeOK {
				code = registry
			}
			out = append(out, byte(code))
			if !hs.Done() || hs.Need(nil) != 0 {
				t.Fatal("not done after the name")
			}
			if n2, ev2, _ := hs.Feed(buf[n:]); n2 != 0 || ev2 != ServerDone {
				t.Fatalf("after the name: %d %v", n2, ev2)
			}
			return out, append(buf[n:], c2b[fed:]...), code.Err()
		}
		buf = buf[n:]
	}
}

// runClient plays the client over the broker's stream, in pieces, until it
// is registered, fails or runs out of bytes.
func runClient(t *testing.T, name string, b2c []byte, piece int) (out, rest []byte, fail error) {
	t.Helper()
	hs, err := NewClientHandshake(name)
	if err != nil {
		t.Fatal(err)
	}
	var buf []byte
	for fed := 0; !hs.Done(); {
		n, o, err := hs.Feed(buf, out)
		out = o
		if err != nil {
			if hs.Want() != 0 || hs.Err() != err {
				t.Fatal("failed handshake must stay failed")
			}
			if n2, _, err2 := hs.Feed(buf[n:], nil); n2 != 0 || err2 != err {
				t.Fatal("a failed handshake must repeat its error")
			}
			return out, nil, err
		}
		if n == 0 {
			if fed == len(b2c) {
				return out, buf, nil // the broker's bytes ran out mid-handshake
			}
			k := min(piece, len(b2c)-fed)
			buf = append(buf, b2c[fed:fed+k]...)
			fed += k
			continue
		}
		buf = buf[n:]
		if hs.Done() {
			return out, append(buf, b2c[fed:]...), nil
		}
	}
	return out, nil, nil
}

func TestHandshakeVectors(t *testing.T) {
	for _, v := range handshakeVectors {
		for _, piece := range []int{1, 2, 3, 1 << 20} {
			c2b, b2c := hx(t, v.c2b), hx(t, v.b2c)
			out, _, fail := runServer(t, c2b, piece, v.registry)
			if !bytes.Equal(out, b2c) || fail != v.fail {
				t.Errorf("%s/server/piece %d: wrote %x, ended %v; want %x, %v", v.name, piece, out, fail, b2c, v.fail)
			}
			if !v.clientSide {
				continue
			}
			out, _, fail = runClient(t, v.clientName, b2c, piece)
			if !bytes.Equal(out, c2b) || fail != v.fail {
				t.Errorf("%s/client/piece %d: wrote %x, ended %v; want %x, %v", v.name, piece, out, fail, c2b, v.fail)
			}
			var pe *Error
			if v.fail != nil && (!errors.As(fail, &pe) || pe.Code != v.fail.(*Error).Code) {
				t.Errorf("%s: client error %v does not carry the code", v.name, fail)
			}
		}
	}
}

func TestClientHandshakeFailures(t *testing.T) {
	for _, v := range []struct {
		name string
		b2c  string
		fail error
		step ClientStep
		out  string
	}{
		{"bad greeting byte", "ec 01 00", ErrBadGreeting, ClientAwaitGreeting, ""},
		{"bad version", "eb 02 00", ErrBadVersion, ClientAwaitGreeting, ""},
		{"greeting not supported", "eb 01 00 75", CodeNotSupported.Err(), ClientAwaitGreetingOK, "eb 01 00"},
		{"greeting response 00", "eb 01 00 00", Code(0).Err(), ClientAwaitGreetingOK, "eb 01 00"},
		{"access denied", "eb 01 00 01 79", CodeAccess.Err(), ClientAwaitRegistration, hsGreeting + "01 00 61"},
	} {
		hs, _ := NewClientHandshake("a")
		var out []byte
		var err error
		in := hx(t, v.b2c)
		for err == nil && len(in) > 0 {
			var n int
			n, out, err = hs.Feed(in, out)
			in = in[n:]
		}
		if err != v.fail || hs.Step() != v.step || !bytes.Equal(out, hx(t, v.out)) {
			t.Errorf("%s: err %v step %v out %x", v.name, err, hs.Step(), out)
		}
	}
	if _, err := NewClientHandshake(string(make([]byte, MaxNameLen+1))); err != ErrNameTooLong {
		t.Errorf("long name: %v", err)
	}
	if _, err := NewClientHandshake(string(make([]byte, MaxNameLen))); err != nil {
		t.Errorf("longest name: %v", err)
	}
	if _, err := AppendName(nil, string(make([]byte, MaxNameLen+1))); err != ErrNameTooLong {
		t.Errorf("AppendName long name: %v", err)
	}
	if CheckGreeting([]byte{0xeb, 1}) != ErrShortHeader {
		t.Error("short greeting")
	}
}

// The longest name (65535 bytes) travels through both machines.
func TestHandshakeLongestName(t *testing.T) {
	name := string(bytes.Repeat([]byte{'n'}, MaxNameLen))
	reg, _ := AppendName(nil, name)
	c2b := append(AppendGreeting(nil), reg...)
	out, _, fail := runServer(t, c2b, 4096, CodeOK)
	if fail != nil || !bytes.Equal(out, hx(t, hsGreeting+"01 01")) {
		t.Fatalf("server: %x %v", out, fail)
	}
	out, _, fail = runClient(t, name, hx(t, hsGreeting+"01 01"), 1)
	if fail != nil || !bytes.Equal(out, c2b) {
		t.Fatalf("client: %v", fail)
	}
}

// PROTOCOL.md §13: the whole session, both directions, through the
// handshake machines, the frame readers and the encoders.
func TestSessionVector(t *testing.T) {
	const (
		c2bHex = hsGreeting + hsName +
			"01 00 00 00 42 06 00 00 00 74 65 73 74 2f 23" +
			"02 00 00 00 41 10 00 00 00 74 65 73 74 2f 74 6f 70 69 63 00 68 65 6c 6c 6f" +
			"00 00 00 00 00 00 00 00 00"
		b2cHex = hsGreeting + "01 01" +
			"fe 01 00 00 00 01" +
			"01 1c 00 00 00 00 74 65 73 74 2e 63 6c 69 65 6e 74 00 74 65 73 74 2f 74 6f 70 69 63 00 68 65 6c 6c 6f" +
			"fe 02 00 00 00 01" +
			"00 00 00 00 00 00"
	)
	c2b, b2c := hx(t, c2bHex), hx(t, b2cHex)
	sender := []byte("test.client")

	// Broker side: the client pipelined everything in one write.
	out, frames, fail := runServer(t, c2b, len(c2b), CodeOK)
	if fail != nil {
		t.Fatal(fail)
	}
	var subscribed []byte
	for len(frames) > 0 {
		h, data, n, err := NextClientFrame(frames, 0)
		if err != nil || n == 0 {
			t.Fatalf("frame: n=%d err=%v", n, err)
		}
		frames = frames[n:]
		if h.IsPing() {
			out = AppendBrokerPing(out)
			continue
		}
		d, err := SplitData(h.Op, data)
		if err != nil {
			t.Fatal(err)
		}
		switch h.Op {
		case OpSubscribe:
			it := Topics(d.Topics)
			subscribed, _ = it.Next()
		case OpPublish:
			if string(subscribed) != "test/#" {
				t.Fatalf("subscribed to %q", subscribed)
			}
			out = AppendDelivery(out, KindPublish, h.QoS.IsRealtime(), sender, d.Topic, d.Payload)
		}
		if h.QoS.NeedsAck() {
			out = AppendAck(out, h.ID, CodeOK)
		}
	}
	if !bytes.Equal(out, b2c) {
		t.Fatalf("broker wrote\n %x\nwant\n %x", out, b2c)
	}

	// Client side: the broker's bytes arrive one at a time.
	out, rest, fail := runClient(t, "test.client", b2c, 1)
	if fail != nil {
		t.Fatal(fail)
	}
	out = AppendSubscribe(out, 1, QoSProcessed, []byte("test/#"))
	out = AppendPublish(out, 2, QoSProcessed, []byte("test/topic"), []byte("hello"))
	out = AppendPing(out)
	if !bytes.Equal(out, c2b) {
		t.Fatalf("client wrote\n %x\nwant\n %x", out, c2b)
	}
	var kinds []Kind
	for len(rest) > 0 {
		h, data, n, err := NextBrokerFrame(rest, 0)
		if err != nil || n == 0 {
			t.Fatalf("frame: n=%d err=%v", n, err)
		}
		rest = rest[n:]
		kinds = append(kinds, h.Kind)
		if h.Kind == KindPublish {
			s, tp, p, err := SplitDelivery(h.Kind, data)
			if err != nil || string(s) != "test.client" || string(tp) != "test/topic" || string(p) != "hello" {
				t.Fatalf("delivery %q %q %q %v", s, tp, p, err)
			}
		}
		if h.Kind == KindAck && h.Code.Err() != nil {
			t.Fatalf("ack %+v", h)
		}
	}
	if want := []Kind{KindAck, KindPublish, KindAck, KindNop}; !slices.Equal(kinds, want) {
		t.Fatalf("kinds %v", kinds)
	}
}
