package reliability

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/busrt-go/busrt/bus"
	"github.com/busrt-go/busrt/gen"
	"github.com/busrt-go/busrt/proto"
)

// aaaServer: two listeners with the same AAA map (UNIX and TCP on
// 127.0.0.1) and one without, for observers.
func aaaServer(t *testing.T) (*server, *bus.AAAMap) {
	m := bus.NewAAAMap()
	m.Set("lan", bus.NewClientAAA().HostsAllow(netip.MustParsePrefix("10.0.0.0/8")))
	m.Set("local", bus.NewClientAAA().HostsAllow(netip.MustParsePrefix("127.0.0.0/8")))
	m.Set("limited", bus.NewClientAAA().
		AllowP2PTo("svc.*").AllowPublishTo("news/#").AllowSubscribeTo("news/#").AllowBroadcastTo("svc.*"))
	m.Set("mute", bus.NewClientAAA().DenyP2P().DenyPublish().DenySubscribe().DenyBroadcast())
	m.Set("victim", bus.NewClientAAA())
	m.Set("victim2", bus.NewClientAAA())
	s := startServer(t, srvOpts{listeners: []lspec{
		{key: "unix-aaa", aaa: m},
		{key: "tcp-aaa", tcp: true, aaa: m},
		{key: "unix"},
	}})
	return s, m
}

// TestAAAHandshake: over real sockets, a name missing from the map gets
// 79 and is closed (its secondaries too, before the primary rule); a TCP
// client from 127.0.0.1 whose rule allows only 10.0.0.0/8 gets 79, its
// secondary as well, while the same name over UNIX (no peer address) is
// admitted; a rule allowing 127.0.0.0/8 admits TCP. Refused clients are
// never announced.
func TestAAAHandshake(t *testing.T) {
	s, _ := aaaServer(t)
	base := s.baseline(t)
	mon := s.connect(t, "unix", "mon")
	mon.subscribe(t, bus.InfoTopic)
	refuse := func(key, name string) {
		t.Helper()
		c := s.dialRaw(t, key)
		code, err := c.handshake(name)
		if err != nil || code != proto.CodeAccess {
			t.Fatalf("%s over %s: code %v, %v; expected ACCESS", name, key, code, err)
		}
		c.expectEOF(t, false)
	}
	refuse("unix-aaa", "stranger")
	refuse("tcp-aaa", "stranger")
	refuse("tcp-aaa", "stranger%%1") // AAA before the primary rule (71)
	refuse("tcp-aaa", "lan")

	lan := s.connect(t, "unix-aaa", "lan") // UNIX: no host check
	mon.expectAnnouncement(t, "reg", "lan")
	lan.roundTrip(t)
	refuse("tcp-aaa", "lan%%1") // the primary's host rule
	s.connect(t, "unix-aaa", "lan%%1").roundTrip(t)
	s.connect(t, "tcp-aaa", "local").roundTrip(t)
	mon.expectAnnouncement(t, "reg", "local") // nothing for the refused ones
	s.closeAll(t)
	s.expectBaseline(t, base, 16<<20)
}

// TestAAAOperations: a client whose rules allow MESSAGEs to `svc.*`,
// PUBLISH to `news/#`, SUBSCRIBE within `news/#` and BROADCAST to `svc.*`
// gets ACK 79 for everything else and keeps its connection; a denied
// frame reaches nobody (observers on a listener without AAA, one of them
// subscribed to `#`, see nothing before their own next frame); a QoS-0
// denied frame is dropped silently; a SUBSCRIBE with k denied topics gets
// k ACKs 79 and one ACK 01 and subscribes only the allowed topics;
// UNSUBSCRIBE, EXCLUDE and UNEXCLUDE are never checked. A client denied
// everything still has a working connection, and its denied frames are not
// counted (r_frames).
func TestAAAOperations(t *testing.T) {
	s, m := aaaServer(t)
	svc := s.connect(t, "unix", "svc.a")
	other := s.connect(t, "unix", "other")
	spy := s.connect(t, "unix", "spy")
	spy.subscribe(t, "#")
	id := spy.topicsFrame(t, proto.OpExclude, proto.QoSProcessed, ".broker/#") // announcements
	spy.expectAck(t, id, proto.CodeOK)
	lim := s.connect(t, "tcp-aaa", "limited")
	nobodyGotIt := func() {
		t.Helper()
		for _, c := range []*client{svc, other, spy} {
			c.roundTrip(t) // a leaked frame would come first
		}
	}

	// MESSAGE
	id = lim.message(t, proto.QoSProcessed, "other", []byte("denied"))
	lim.expectAck(t, id, proto.CodeAccess)
	lim.message(t, proto.QoSNo, "other", []byte("denied silently"))
	id = lim.message(t, proto.QoSProcessed, "svc.a", []byte("allowed"))
	lim.expectAck(t, id, proto.CodeOK)
	svc.expectDelivery(t, proto.KindMessage, "limited", "", []byte("allowed"))
	nobodyGotIt()

	// PUBLISH and PUBLISH_FOR: `news/#` allows news/a, not news nor secret/x
	for _, topic := range []string{"secret/x", "news"} {
		id = lim.publish(t, proto.QoSProcessed, topic, []byte("denied"))
		lim.expectAck(t, id, proto.CodeAccess)
	}
	lim.publish(t, proto.QoSRealtime, "secret/x", []byte("denied silently"))
	id = lim.nextID()
	lim.mustWrite(t, proto.AppendPublishFor(nil, id, proto.QoSProcessed, []byte("secret/x"), []byte("spy"), []byte("denied")))
	lim.expectAck(t, id, proto.CodeAccess)
	id = lim.publish(t, proto.QoSProcessed, "news/a", []byte("allowed"))
	lim.expectAck(t, id, proto.CodeOK)
	spy.expectDelivery(t, proto.KindPublish, "limited", "news/a", []byte("allowed"))
	nobodyGotIt()

	// BROADCAST: the mask itself is checked
	for _, mask := range []string{"*", "other", "svc"} {
		id = lim.nextID()
		lim.mustWrite(t, proto.AppendBroadcast(nil, id, proto.QoSProcessed, []byte(mask), []byte("denied")))
		lim.expectAck(t, id, proto.CodeAccess)
	}
	id = lim.nextID()
	lim.mustWrite(t, proto.AppendBroadcast(nil, id, proto.QoSProcessed, []byte("svc.*"), []byte("allowed")))
	lim.expectAck(t, id, proto.CodeOK)
	svc.expectDelivery(t, proto.KindBroadcast, "limited", "", []byte("allowed"))
	nobodyGotIt()

	// SUBSCRIBE: k denied topics → k ACKs 79, then one ACK 01
	id = lim.topicsFrame(t, proto.OpSubscribe, proto.QoSProcessed, "news/a", "secret/#", "x", "news/+")
	lim.expectAck(t, id, proto.CodeAccess)
	lim.expectAck(t, id, proto.CodeAccess)
	lim.expectAck(t, id, proto.CodeOK)
	lim.topicsFrame(t, proto.OpSubscribe, proto.QoSNo, "secret/#") // denied silently
	for _, topic := range []string{"secret/1", "x", "news/a", "news/b"} {
		id := spy.publish(t, proto.QoSProcessed, topic, []byte(topic))
		spy.expectDelivery(t, proto.KindPublish, "spy", topic, []byte(topic)) // spy is subscribed to #
		spy.expectAck(t, id, proto.CodeOK)
	}
	lim.expectDelivery(t, proto.KindPublish, "spy", "news/a", []byte("news/a"))
	lim.expectDelivery(t, proto.KindPublish, "spy", "news/b", []byte("news/b"))
	for _, op := range []proto.Op{proto.OpUnsubscribe, proto.OpExclude, proto.OpUnexclude} {
		id := lim.topicsFrame(t, op, proto.QoSProcessed, "secret/#")
		lim.expectAck(t, id, proto.CodeOK)
	}
	id = lim.message(t, proto.QoSProcessed, "svc.a", []byte("still open"))
	svc.expectDelivery(t, proto.KindMessage, "limited", "", []byte("still open"))
	lim.expectAck(t, id, proto.CodeOK)

	// denied everything
	mute := s.connect(t, "unix-aaa", "mute")
	id = mute.message(t, proto.QoSProcessed, "mute", []byte("x"))
	mute.expectAck(t, id, proto.CodeAccess)
	id = mute.publish(t, proto.QoSProcessed, "a", []byte("x"))
	mute.expectAck(t, id, proto.CodeAccess)
	id = mute.nextID()
	mute.mustWrite(t, proto.AppendBroadcast(nil, id, proto.QoSRealtimeProcessed, []byte("*"), []byte("x")))
	mute.expectAck(t, id, proto.CodeAccess)
	id = mute.topicsFrame(t, proto.OpSubscribe, proto.QoSProcessed, "a")
	mute.expectAck(t, id, proto.CodeAccess)
	mute.expectAck(t, id, proto.CodeOK)
	id = mute.topicsFrame(t, proto.OpUnsubscribe, proto.QoSProcessed, "a")
	mute.expectAck(t, id, proto.CodeOK)
	nobodyGotIt()
	for _, ci := range s.broker.ClientList(nil, gen.ClientList{}).Clients {
		if string(ci.Name) == "mute" && ci.RFrames != 2 { // the SUBSCRIBE (counted though denied) and the UNSUBSCRIBE
			t.Fatalf("mute: r_frames %d, expected 2", ci.RFrames)
		}
	}

	// rules are copied at registration: a change applies after a
	// force-disconnect and a new registration
	m.Set("limited", bus.NewClientAAA().DenyPublish())
	id = lim.publish(t, proto.QoSProcessed, "news/a", []byte("old rules"))
	lim.expectDelivery(t, proto.KindPublish, "limited", "news/a", []byte("old rules")) // subscribed to news/a
	lim.expectAck(t, id, proto.CodeOK)
	if err := s.broker.ForceDisconnect("limited"); err != nil {
		t.Fatal(err)
	}
	lim.expectEOF(t, true)
	lim = s.connect(t, "tcp-aaa", "limited")
	id = lim.publish(t, proto.QoSProcessed, "news/a", []byte("new rules"))
	lim.expectAck(t, id, proto.CodeAccess)
	spy.expectDelivery(t, proto.KindPublish, "limited", "news/a", []byte("old rules"))
	nobodyGotIt()
}

// TestForceDisconnect: Broker.ForceDisconnect closes the socket of a
// primary, announces its `unreg` (and nothing for its secondaries), drops
// and disconnects its secondaries, and frees the names; disconnecting a
// secondary alone leaves its primary registered and announces nothing. An
// unknown name is ErrNotRegistered, an embedded client ErrNotSupported.
func TestForceDisconnect(t *testing.T) {
	s, _ := aaaServer(t)
	base := s.baseline(t)
	mon := s.connect(t, "unix", "mon")
	mon.subscribe(t, bus.InfoTopic)
	v := s.connect(t, "tcp-aaa", "victim")
	v1 := s.connect(t, "unix-aaa", "victim%%1")
	v2 := s.connect(t, "tcp-aaa", "victim%%2")
	for _, c := range []*client{v, v1, v2} {
		c.roundTrip(t)
	}
	mon.expectAnnouncement(t, "reg", "victim")
	if err := s.broker.ForceDisconnect("victim"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*client{v, v1, v2} {
		c.expectEOF(t, false)
	}
	mon.expectAnnouncement(t, "unreg", "victim")
	id := mon.message(t, proto.QoSProcessed, "victim%%1", nil)
	mon.expectAck(t, id, proto.CodeNotRegistered)
	if err := s.broker.ForceDisconnect("victim"); !errors.Is(err, bus.ErrNotRegistered) {
		t.Fatalf("second ForceDisconnect: %v", err)
	}
	if err := s.broker.ForceDisconnect(bus.CoreName); !errors.Is(err, bus.ErrNotSupported) {
		t.Fatalf("ForceDisconnect(.broker): %v", err)
	}

	// a secondary alone
	p := s.connect(t, "unix-aaa", "victim2")
	mon.expectAnnouncement(t, "reg", "victim2")
	sec := s.connect(t, "unix-aaa", "victim2%%x")
	if err := s.broker.ForceDisconnect("victim2%%x"); err != nil {
		t.Fatal(err)
	}
	sec.expectEOF(t, false)
	p.roundTrip(t)
	waitUntil(t, "the secondary to leave client.list", func() bool {
		for _, ci := range s.broker.ClientList(nil, gen.ClientList{}).Clients {
			if string(ci.Name) == "victim2" {
				return ci.Instances == 1
			}
		}
		return false
	})

	// the name is free again
	v = s.connect(t, "tcp-aaa", "victim")
	mon.expectAnnouncement(t, "reg", "victim") // nothing was announced in between
	v.roundTrip(t)
	s.closeAll(t)
	s.expectBaseline(t, base, 16<<20)
}
