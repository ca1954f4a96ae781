package netloop

import (
	"net/netip"
	"time"

	"github.com/busrt-go/busrt/bus"
	"testing"

	"github.com/busrt-go/busrt/proto"
)

func TestHandshakeOK(t *testing.T) {
	ts := startServer(t, serverOpts{})
	for _, nw := range []string{"unix", "tcp"} {
		c := ts.client(nw, "test.client."+nw)
		// the connection works: a message to itself comes back before its ACK
		id := c.message(proto.QoSProcessed, "test.client."+nw, "hi")
		c.expectDelivery(proto.KindMessage, false, "test.client."+nw, "", "hi")
		c.expectAck(id, proto.CodeOK)
	}
}

// TestHandshakeOutcomes covers every row of PROTOCOL.md §4.2 and the
// greeting failures of §4.1, over both transports.
func TestHandshakeOutcomes(t *testing.T) {
	ts := startServer(t, serverOpts{})
	holder := ts.client("unix", "taken")
	_ = holder
	for _, nw := range []string{"unix", "tcp"} {
		t.Run(nw, func(t *testing.T) {
			cases := []struct {
				name  string
				input []byte // after the greeting was accepted
				want  proto.Code
			}{
				{"empty", []byte{0, 0}, proto.CodeData},
				{"dot", append([]byte{7, 0}, ".hidden"...), proto.CodeData},
				{"not utf8", []byte{2, 0, 0xff, 0xfe}, 0},
				{"busy", append([]byte{5, 0}, "taken"...), proto.CodeBusy},
				{"secondary without primary", append([]byte{6, 0}, "app%%1"...), proto.CodeNotRegistered},
				{"empty primary", append([]byte{3, 0}, "%%x"...), proto.CodeNotRegistered},
				{"secondary", append([]byte{9, 0}, "taken%%s1"...), proto.CodeOK},
			}
			for _, tc := range cases {
				c := ts.dial(nw)
				c.expect(greetingBytes())
				c.send(greetingBytes())
				c.expect([]byte{1})
				c.send(tc.input)
				got := c.result()
				if got != tc.want {
					t.Fatalf("%s: got %v, want %v", tc.name, got, tc.want)
				}
				if tc.want != proto.CodeOK {
					c.expectClosed(waitTimeout)
				} else {
					_ = c.nc.Close()
				}
			}
			for _, g := range [][]byte{{0xEA, 1, 0}, {0xEB, 2, 0}, {0xEB, 0, 1}} {
				c := ts.dial(nw)
				c.expect(greetingBytes())
				c.send(g)
				c.expect([]byte{byte(proto.CodeNotSupported)})
				c.expectClosed(waitTimeout)
			}
		})
	}
}

// TestHandshakePipelined sends greeting, name and frames in one write.
func TestHandshakePipelined(t *testing.T) {
	ts := startServer(t, serverOpts{})
	c := ts.dial("unix")
	b := greetingBytes()
	b, _ = proto.AppendName(b, "pipe")
	b = proto.AppendMessage(b, 1, proto.QoSProcessed, []byte("pipe"), []byte("x"))
	b = proto.AppendPing(b)
	b = proto.AppendTopics(b, 2, proto.OpSubscribe, proto.QoSProcessed, []byte("t"))
	c.send(b)
	c.expect(greetingBytes())
	c.expectHex("01 01")
	c.expectDelivery(proto.KindMessage, false, "pipe", "", "x")
	c.expectAck(1, proto.CodeOK)
	c.expectAck(2, proto.CodeOK)

	// a bad greeting pipelined with a name: 75 and nothing else
	c2 := ts.dial("tcp")
	c2.send(append([]byte{0xEB, 2, 0, 3, 0}, "abc"...))
	c2.expect(greetingBytes())
	c2.expectHex("75")
	c2.expectClosed(waitTimeout)
}

// TestHandshakeByteByByte feeds the handshake and a frame one byte per
// write.
func TestHandshakeByteByByte(t *testing.T) {
	ts := startServer(t, serverOpts{})
	c := ts.dial("tcp")
	c.expect(greetingBytes())
	b := greetingBytes()
	for _, x := range b {
		c.send([]byte{x})
	}
	c.expectHex("01")
	nb, _ := proto.AppendName(nil, "slowpoke")
	for _, x := range nb {
		c.send([]byte{x})
	}
	c.expectHex("01")
	for _, x := range proto.AppendMessage(nil, 9, proto.QoSProcessed, []byte("slowpoke"), []byte("hello")) {
		c.send([]byte{x})
	}
	c.expectDelivery(proto.KindMessage, false, "slowpoke", "", "hello")
	c.expectAck(9, proto.CodeOK)
}

// TestHandshakeDeadline: each handshake step must complete within T.
func TestHandshakeDeadline(t *testing.T) {
	ts := startServer(t, serverOpts{bus: bus.Config{Timeout: 400 * time.Millisecond}})
	start := time.Now()
	c := ts.dial("unix")
	c.expect(greetingBytes())
	c.expectClosed(waitTimeout)
	if d := time.Since(start); d < 350*time.Millisecond {
		t.Fatalf("closed after %v, before T", d)
	}
	c2 := ts.dial("tcp")
	c2.expect(greetingBytes())
	c2.send(greetingBytes())
	c2.expectHex("01")
	c2.send([]byte{5, 0, 'a', 'b'}) // name length 5, only 2 bytes
	c2.expectClosed(waitTimeout)
}

// TestForceRegister: with force register a new primary replaces the old
// one, which is disconnected.
func TestForceRegister(t *testing.T) {
	ts := startServer(t, serverOpts{bus: bus.Config{ForceRegister: true}})
	old := ts.client("unix", "same")
	nw := ts.client("tcp", "same")
	old.expectClosed(waitTimeout)
	id := nw.message(proto.QoSProcessed, "same", "still")
	nw.expectDelivery(proto.KindMessage, false, "same", "", "still")
	nw.expectAck(id, proto.CodeOK)
}

// TestHandshakeAAA: with a security map on the listener, a primary name
// not in it, and a TCP peer outside the allowed networks, get 79.
func TestHandshakeAAA(t *testing.T) {
	aaa := bus.NewAAAMap()
	aaa.Set("local", bus.NewClientAAA().HostsAllow(netip.MustParsePrefix("127.0.0.0/8")))
	aaa.Set("remote", bus.NewClientAAA().HostsAllow(netip.MustParsePrefix("10.0.0.0/8")))
	dir := shortTempDir(t)
	ts := startServer(t, serverOpts{net: Config{Binds: []Listener{
		{Addr: dir + "/aaa.sock", AAA: aaa},
		{Addr: "127.0.0.1:0", AAA: aaa},
	}}})
	for _, nw := range []string{"unix", "tcp"} {
		if code := ts.dial(nw).register("stranger"); code != proto.CodeAccess {
			t.Errorf("%s stranger: %v", nw, code)
		}
		if code := ts.dial(nw).register("local%%1"); code != proto.CodeNotRegistered {
			t.Errorf("%s secondary of an absent primary: %v", nw, code)
		}
	}
	// the host rule applies to TCP peers only
	if code := ts.dial("tcp").register("remote"); code != proto.CodeAccess {
		t.Errorf("tcp remote from 127.0.0.1: %v", code)
	}
	if code := ts.dial("unix").register("remote"); code != proto.CodeOK {
		t.Errorf("unix remote: %v", code)
	}
	if code := ts.dial("tcp").register("local"); code != proto.CodeOK {
		t.Errorf("tcp local: %v", code)
	}
}
