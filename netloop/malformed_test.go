package netloop

import (
	"fmt"
	"testing"

	"github.com/busrt-go/busrt/proto"
)

// expectAnnouncement reads the next `.broker/info` publication and checks
// its subject and client name (the map is {s, d, t}).
func (c *rawConn) expectAnnouncement(subject, name string) {
	c.t.Helper()
	h, d := c.frameSkipPings()
	sender, topic, payload, err := proto.SplitDelivery(h.Kind, d)
	if err != nil || h.Kind != proto.KindPublish || string(sender) != ".broker" || string(topic) != ".broker/info" {
		c.t.Fatalf("expected an announcement, got %+v %q", h, d)
	}
	// fixmap 3: a1 's' <str subject> a1 'd' <str name> ...
	want := append([]byte{0x83, 0xa1, 's', 0xa0 | byte(len(subject))}, subject...)
	want = append(want, 0xa1, 'd', 0xa0|byte(len(name)))
	want = append(want, name...)
	if len(payload) < len(want) || string(payload[:len(want)]) != string(want) {
		c.t.Fatalf("expected %s %s, got %x", subject, name, payload)
	}
}

// TestMalformedInput sends every malformed input of PROTOCOL.md §9; each
// closes only its own connection (announced as unreg), and the broker
// keeps serving the others.
func TestMalformedInput(t *testing.T) {
	const maxFrame = 1024
	ts := startServer(t, serverOpts{maxFrame: maxFrame})
	mon := ts.client("unix", "mon")
	mon.subscribe(".broker/info")
	peer := ts.client("tcp", "peer")
	mon.expectAnnouncement("reg", "peer")

	hdr := func(op proto.Op, qos proto.QoS, n int) []byte {
		return proto.AppendClientHeader(nil, 7, op, qos, uint32(n))
	}
	frame := func(op proto.Op, qos proto.QoS, data string) []byte {
		return append(hdr(op, qos, len(data)), data...)
	}
	cases := []struct {
		name  string
		input []byte
		eof   bool // close the client side after sending
	}{
		{"unknown op 0x07", frame(7, proto.QoSProcessed, "x\x00y"), false},
		{"unknown op 0x11", frame(0x11, proto.QoSNo, "x\x00y"), false},
		{"unknown op 0x3f", frame(0x3f, proto.QoSRealtime, ""), false},
		{"message without 00", frame(proto.OpMessage, proto.QoSProcessed, "peer"), false},
		{"broadcast without 00", frame(proto.OpBroadcast, proto.QoSProcessed, "p*"), false},
		{"publish without 00", frame(proto.OpPublish, proto.QoSProcessed, "a/b"), false},
		{"publish_for without 00", frame(proto.OpPublishFor, proto.QoSProcessed, "a/b"), false},
		{"publish_for without second 00", frame(proto.OpPublishFor, proto.QoSProcessed, "a/b\x00peer"), false},
		{"message target not utf8", frame(proto.OpMessage, proto.QoSProcessed, "pe\xffer\x00x"), false},
		{"publish topic not utf8", frame(proto.OpPublish, proto.QoSProcessed, "a\xc3\x00x"), false},
		{"broadcast mask not utf8", frame(proto.OpBroadcast, proto.QoSNo, "\xfe*\x00x"), false},
		{"publish_for topic not utf8", frame(proto.OpPublishFor, proto.QoSProcessed, "\xff\x00peer\x00x"), false},
		{"publish_for receiver not utf8", frame(proto.OpPublishFor, proto.QoSProcessed, "a\x00p\xff\x00x"), false},
		{"subscribe not utf8", frame(proto.OpSubscribe, proto.QoSProcessed, "ok\x00\xff"), false},
		{"unsubscribe not utf8", frame(proto.OpUnsubscribe, proto.QoSProcessed, "\xff"), false},
		{"exclude not utf8", frame(proto.OpExclude, proto.QoSProcessed, "\xff"), false},
		{"unexclude not utf8", frame(proto.OpUnexclude, proto.QoSProcessed, "\xff"), false},
		{"op 0 with qos and no 00", frame(proto.OpNop, proto.QoSProcessed, "ab"), false},
		{"frame over the listener limit", hdr(proto.OpPublish, proto.QoSNo, maxFrame+1), false},
		{"frame of 4 GiB declared", hdr(proto.OpMessage, proto.QoSNo, 1<<32-1), false},
		{"eof mid-header", []byte{1, 0, 0, 0, 0x41}, true},
		{"eof mid-body", append(hdr(proto.OpPublish, proto.QoSProcessed, 10), "ab"...), true},
		{"eof at frame boundary", nil, true},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			name := fmt.Sprintf("victim%d", i)
			nw := []string{"unix", "tcp"}[i%2]
			v := ts.client(nw, name)
			mon.expectAnnouncement("reg", name)
			// a valid frame first, answered, then the bad input
			id := v.publish(proto.QoSProcessed, "x", "ok")
			v.expectAck(id, proto.CodeOK)
			if len(tc.input) > 0 {
				v.send(tc.input)
			}
			if tc.eof {
				_ = v.nc.Close()
			} else {
				v.expectClosed(waitTimeout)
			}
			mon.expectAnnouncement("unreg", name)
			// the broker still serves the others
			id = peer.message(proto.QoSProcessed, "mon", "alive")
			mon.expectDelivery(proto.KindMessage, false, "peer", "", "alive")
			peer.expectAck(id, proto.CodeOK)
		})
	}
}

// TestDeclaredLengthNoAllocation: a frame that declares 4 GiB and sends a
// few bytes costs only the bytes that arrived.
func TestDeclaredLengthNoAllocation(t *testing.T) {
	ts := startServer(t, serverOpts{})
	v := ts.client("unix", "liar")
	v.send(append(proto.AppendClientHeader(nil, 1, proto.OpPublish, proto.QoSNo, 1<<32-1), "t\x00abc"...))
	// the broker keeps the connection (the body may still come) and serves
	// the next client normally
	other := ts.client("tcp", "other")
	id := other.message(proto.QoSProcessed, "other", "x")
	other.expectDelivery(proto.KindMessage, false, "other", "", "x")
	other.expectAck(id, proto.CodeOK)
	v.expectNothing(0)
}
