package bus

import (
	"testing"

	"github.com/busrt-go/busrt/proto"
)

func TestMessageQoSAndSelfOrder(t *testing.T) {
	b := newBroker(t, Config{})
	a, w := connect(t, b, "test.client"), connect(t, b, "worker.1")
	// PROTOCOL.md §5.3 / §6.5 vectors
	if err := a.do(unhex(t, "03 00 00 00 52 0d 00 00 00 77 6f 72 6b 65 72 2e 31 00 70 69 6e 67")); err != nil {
		t.Fatal(err)
	}
	w.expect(unhex(t, "12 10 00 00 00 00 74 65 73 74 2e 63 6c 69 65 6e 74 00 70 69 6e 67"))
	a.expect(unhex(t, "fe 03 00 00 00 01"))
	if err := a.do(unhex(t, "03 00 00 00 d2 0d 00 00 00 77 6f 72 6b 65 72 2e 31 00 70 69 6e 67")); err != nil {
		t.Fatal(err)
	}
	w.expect(unhex(t, "12 10 00 00 00 01 74 65 73 74 2e 63 6c 69 65 6e 74 00 70 69 6e 67"))
	a.expect(unhex(t, "fe 03 00 00 00 01"))
	for _, q := range []proto.QoS{proto.QoSNo, proto.QoSRealtime} {
		a.send(q, "worker.1", "x")
		w.expect(msg(q.IsRealtime(), "test.client", "x"))
		a.expectNothing()
	}
	// unknown and non-exact targets: 71
	id := a.send(proto.QoSProcessed, "worker", "x")
	a.expect(ack(id, proto.CodeNotRegistered))
	id = a.send(proto.QoSProcessed, "worker.*", "x")
	a.expect(ack(id, proto.CodeNotRegistered))
	w.expectNothing()
	// self-delivery precedes the ACK (PROTOCOL.md §7.5)
	id = a.send(proto.QoSProcessed, "test.client", "me")
	a.expect(cat(msg(false, "test.client", "me"), ack(id, proto.CodeOK)))
}

// ROUTING.md §16.1: `a/#` does not match `a`; `#` needs at least one segment.
func TestRule1TailWildcardNeedsSegment(t *testing.T) {
	b := newBroker(t, Config{})
	s, p := connect(t, b, "s"), connect(t, b, "p")
	s.subscribe("a/#")
	p.publish(proto.QoSNo, "a", "no")
	p.publish(proto.QoSNo, "a/b", "yes")
	p.publish(proto.QoSNo, "a/b/c", "yes2")
	s.expect(cat(pub("p", "a/b", "yes"), pub("p", "a/b/c", "yes2")))
}

// ROUTING.md §16.2: broadcast `*` needs at least one chunk and cuts the mask.
func TestRule2BroadcastStar(t *testing.T) {
	b := newBroker(t, Config{})
	names := []string{"this.is.a", "this.is.b", "this.is", "this", "that.is.a", "app.x", "single"}
	peers := map[string]*peer{}
	for _, n := range names {
		peers[n] = connect(t, b, n)
	}
	peers["app.x%%1"] = connect(t, b, "app.x%%1")
	snd := connect(t, b, "snd.x")
	cases := []struct {
		mask string
		want []string
	}{
		{"this.*", []string{"this.is", "this.is.a", "this.is.b"}},
		{"this.is.*", []string{"this.is.a", "this.is.b"}},
		{"this.?", []string{"this.is"}},
		{"this.?.?", []string{"this.is.a", "this.is.b"}},
		{"?.is.a", []string{"this.is.a", "that.is.a"}},
		{"this.is", []string{"this.is"}},
		{"?", []string{"this", "single"}},
		{"this.*.b", []string{"this.is", "this.is.a", "this.is.b"}},
		{"this.is.a.*", nil},
		{"app.*", []string{"app.x", "app.x%%1"}},
		{"app.?", []string{"app.x", "app.x%%1"}},
		{"app.x", []string{"app.x"}},
	}
	for _, tc := range cases {
		id := snd.broadcast(proto.QoSProcessed, tc.mask, tc.mask)
		snd.expect(ack(id, proto.CodeOK))
		want := map[string]bool{}
		for _, n := range tc.want {
			want[n] = true
		}
		for n, p := range peers {
			if want[n] {
				p.expect(bcast("snd.x", tc.mask))
			} else if got := p.sink.take(); got != nil {
				t.Errorf("mask %q: %s got %x", tc.mask, n, got)
			}
		}
	}
	// `*` reaches everyone, the sender and .broker included (no error)
	id := snd.broadcast(proto.QoSProcessed, "*", "all")
	snd.expect(cat(bcast("snd.x", "all"), ack(id, proto.CodeOK)))
	for _, p := range peers {
		p.expect(bcast("snd.x", "all"))
	}
}

// ROUTING.md §16.3: every client is subscribed to .broker/warn.
func TestRule3WarnAutoSubscription(t *testing.T) {
	b := newBroker(t, Config{})
	a := connect(t, b, "a")
	b.Shutdown()
	got := a.sink.waitLen(t, 1)
	sender, topic, payload, err := proto.SplitDelivery(proto.KindPublish, got[6:])
	if err != nil || string(sender) != ".broker" || string(topic) != ".broker/warn" {
		t.Fatalf("got %x", got)
	}
	want := unhex(t, "82 a1 73 a8 73 68 75 74 64 6f 77 6e a1 74 cf")
	if string(payload[:len(want)]) != string(want) || len(payload) != len(want)+8 {
		t.Fatalf("shutdown payload %x", payload)
	}
}

// ROUTING.md §16.4: a full socket queue kicks the receiver (77 to a MESSAGE
// sender, silent for publications); the sender is never blocked.
func TestRule4SocketOverflowKicksReceiver(t *testing.T) {
	b := newBroker(t, Config{})
	mon := connect(t, b, "mon")
	mon.subscribe(InfoTopic)
	slow, fast := connect(t, b, "slow"), connect(t, b, "fast")
	mon.sink.take() // two reg announcements
	slow.sink.limit = 1
	id := fast.send(proto.QoSProcessed, "slow", "one")
	fast.expect(ack(id, proto.CodeOK))
	id = fast.send(proto.QoSProcessed, "slow", "two")
	fast.expect(ack(id, proto.CodeNotDelivered))
	if slow.sink.disconnected() != 1 || !slow.sink.flushed {
		t.Fatal("slow receiver not disconnected with flush")
	}
	if slow.c.Registered() {
		t.Fatal("slow receiver still registered")
	}
	got := mon.sink.waitLen(t, 1)
	if _, _, p, _ := proto.SplitDelivery(proto.KindPublish, got[6:]); string(p[:9]) != "\x83\xa1s\xa5unreg" {
		t.Fatalf("no unreg: %x", got)
	}
	id = fast.send(proto.QoSProcessed, "slow", "three")
	fast.expect(ack(id, proto.CodeNotRegistered))
}

// ROUTING.md §16.5 and PROTOCOL.md §7.4: k denied topics yield k+1 ACKs.
func TestRule5PartiallyDeniedSubscribe(t *testing.T) {
	b := newBroker(t, Config{})
	m := NewAAAMap()
	m.Set("c", NewClientAAA().AllowSubscribeTo("news/#"))
	c, code := tryConnect(t, b, "c", ConnInfo{Kind: KindTCP, PeerIP: tcpPeer, AAA: m, Source: "127.0.0.1:1", Port: "x"})
	if code != proto.CodeOK {
		t.Fatal(code)
	}
	id := c.topics(proto.OpSubscribe, proto.QoSProcessed, "news/a", "sport", "news", "news/+")
	c.expect(cat(ack(id, proto.CodeAccess), ack(id, proto.CodeAccess), ack(id, proto.CodeOK)))
	p := connect(t, b, "p")
	p.publish(proto.QoSNo, "news/a", "1")
	p.publish(proto.QoSNo, "sport", "2")
	p.publish(proto.QoSNo, "news/b", "3")
	c.expect(cat(pub("p", "news/a", "1"), pub("p", "news/b", "3")))
}

// ROUTING.md §16.6: empty SUBSCRIBE/EXCLUDE data is the empty topic.
func TestRule6EmptyTopicData(t *testing.T) {
	b := newBroker(t, Config{})
	s, p := connect(t, b, "s"), connect(t, b, "p")
	s.topics(proto.OpSubscribe, proto.QoSNo)
	p.publish(proto.QoSNo, "", "empty")
	p.publish(proto.QoSNo, "x", "no")
	s.expect(pub("p", "", "empty"))
	s.subscribe("#")
	s.topics(proto.OpExclude, proto.QoSNo)
	p.publish(proto.QoSNo, "", "excluded")
	p.publish(proto.QoSNo, "y", "yes")
	s.expect(pub("p", "y", "yes"))
	// a trailing 00 adds the empty topic too
	h, _ := proto.DecodeHeader(proto.AppendClientHeader(nil, 9, proto.OpUnexclude, proto.QoSNo, 2), 0)
	if err := s.c.Process(s, h, []byte("q\x00")); err != nil {
		t.Fatal(err)
	}
	p.publish(proto.QoSNo, "", "back")
	s.expect(pub("p", "", "back"))
}

// ROUTING.md §16.7: the default AAA host rule is IPv4-only.
func TestRule7DefaultHostsIPv4Only(t *testing.T) {
	b := newBroker(t, Config{})
	m := NewAAAMap()
	m.Set("v", NewClientAAA())
	info := func(ip string) ConnInfo {
		return ConnInfo{Kind: KindTCP, PeerIP: netipMust(ip), AAA: m}
	}
	if _, code := tryConnect(t, b, "v", info("10.1.2.3")); code != proto.CodeOK {
		t.Fatalf("ipv4: %v", code)
	}
	b2 := newBroker(t, Config{})
	if _, code := tryConnect(t, b2, "v", info("::1")); code != proto.CodeAccess {
		t.Fatalf("ipv6: %v", code)
	}
	if _, code := tryConnect(t, b2, "v", info("::ffff:10.1.2.3")); code != proto.CodeAccess {
		t.Fatalf("v4-mapped: %v", code)
	}
	if _, code := tryConnect(t, b2, "nobody", info("10.1.2.3")); code != proto.CodeAccess {
		t.Fatalf("not in map: %v", code)
	}
	// UNIX peers skip the host check
	if _, code := tryConnect(t, b2, "v", ConnInfo{Kind: KindLocalIPC, AAA: m}); code != proto.CodeOK {
		t.Fatalf("unix: %v", code)
	}
}

// ROUTING.md §16.8: PUBLISH_FOR selects by primary name, OK for unknowns.
func TestRule8PublishFor(t *testing.T) {
	b := newBroker(t, Config{})
	w := connect(t, b, "worker.1")
	ws := connect(t, b, "worker.1%%0")
	o := connect(t, b, "other")
	snd := connect(t, b, "test.client")
	for _, p := range []*peer{w, ws, o} {
		p.subscribe("test/#")
	}
	if err := snd.do(unhex(t, "05 00 00 00 46 19 00 00 00 74 65 73 74 2f 74 6f 70 69 63 00 77 6f 72 6b 65 72 2e 31 00 68 65 6c 6c 6f")); err != nil {
		t.Fatal(err)
	}
	want := unhex(t, "01 1c 00 00 00 00 74 65 73 74 2e 63 6c 69 65 6e 74 00 74 65 73 74 2f 74 6f 70 69 63 00 68 65 6c 6c 6f")
	w.expect(want)
	ws.expect(want)
	o.expectNothing()
	snd.expect(ack(5, proto.CodeOK))
	for _, r := range []string{"nobody", "worker.1%%0", "worker"} {
		id := snd.next()
		if err := snd.do(proto.AppendPublishFor(nil, id, proto.QoSProcessed, []byte("test/x"), []byte(r), nil)); err != nil {
			t.Fatal(err)
		}
		snd.expect(ack(id, proto.CodeOK))
	}
	w.expectNothing()
	ws.expectNothing()
}

func TestPublishOneCopyAndExclusions(t *testing.T) {
	b := newBroker(t, Config{})
	s, p := connect(t, b, "s"), connect(t, b, "p")
	s.subscribe("a/+", "a/#", "#", "a/b")
	p.publish(proto.QoSNo, "a/b", "1")
	s.expect(pub("p", "a/b", "1"))
	s.topics(proto.OpExclude, proto.QoSNo, "a/+")
	p.publish(proto.QoSNo, "a/b", "2")
	p.publish(proto.QoSNo, "a/b/c", "3")
	s.expect(pub("p", "a/b/c", "3"))
	// exclusions do not affect broadcasts or messages
	p.broadcast(proto.QoSNo, "s", "b")
	p.send(proto.QoSNo, "s", "m")
	s.expect(cat(bcast("p", "b"), msg(false, "p", "m")))
	id := s.topics(proto.OpUnexclude, proto.QoSProcessed, "a/+", "never")
	s.expect(ack(id, proto.CodeOK))
	p.publish(proto.QoSNo, "a/b", "4")
	s.expect(pub("p", "a/b", "4"))
	id = s.topics(proto.OpUnsubscribe, proto.QoSRealtimeProcessed, "a/+", "a/#", "#", "a/b", "zzz")
	s.expect(proto.AppendAck(nil, id, proto.CodeOK))
	p.publish(proto.QoSNo, "a/b", "5")
	s.expectNothing()
	// own publications
	p.subscribe("own")
	id = p.publish(proto.QoSProcessed, "own", "x")
	p.expect(cat(pub("p", "own", "x"), ack(id, proto.CodeOK)))
}

func TestMalformedFrames(t *testing.T) {
	b := newBroker(t, Config{})
	a := connect(t, b, "a")
	bad := [][]byte{
		proto.AppendClientHeader(nil, 1, proto.OpMessage, proto.QoSProcessed, 3), // no 00
		proto.AppendClientHeader(nil, 1, proto.OpPublishFor, proto.QoSNo, 3),
		proto.AppendClientHeader(nil, 1, proto.OpNop, proto.QoSProcessed, 2),
	}
	datas := [][]byte{[]byte("abc"), []byte("t\x00r"), []byte("xx")}
	for i, f := range bad {
		h, _ := proto.DecodeHeader(f, 0)
		if err := a.c.Process(a, h, datas[i]); err == nil {
			t.Errorf("case %d: no error", i)
		}
	}
	h, _ := proto.DecodeHeader(proto.AppendClientHeader(nil, 1, proto.OpSubscribe, proto.QoSProcessed, 5), 0)
	if err := a.c.Process(a, h, []byte("ok\x00\xff\xfe")); err == nil {
		t.Error("invalid UTF-8 subscribe accepted")
	}
	h, _ = proto.DecodeHeader(proto.AppendClientHeader(nil, 1, proto.OpNop, proto.QoSProcessed, 2), 0)
	if err := a.c.Process(a, h, []byte("x\x00")); err != nil {
		t.Errorf("op 0 with QoS and a 00: %v", err)
	}
	a.expectNothing()
}

func TestHandshakeOutcomes(t *testing.T) {
	b := newBroker(t, Config{})
	info := ConnInfo{Kind: KindLocalIPC}
	for name, want := range map[string]proto.Code{
		"\xff\xfe": 0, "": proto.CodeData, ".hidden": proto.CodeData, "app%%1": proto.CodeNotRegistered, "%%x": proto.CodeNotRegistered,
	} {
		if _, code := tryConnect(t, b, name, info); code != want {
			t.Errorf("%q: got %v want %v", name, code, want)
		}
	}
	connect(t, b, "test.client")
	if _, code := tryConnect(t, b, "test.client", info); code != proto.CodeBusy {
		t.Errorf("duplicate: %v", code)
	}
	if _, code := tryConnect(t, b, ".broker", info); code != proto.CodeData {
		t.Errorf(".broker: %v", code)
	}
	for _, n := range []string{"with space", "a/b", "*", "?", "+", "#"} {
		connect(t, b, n)
	}
}

func TestSecondariesLifecycle(t *testing.T) {
	b := newBroker(t, Config{})
	mon := connect(t, b, "mon")
	mon.subscribe(InfoTopic)
	app := connect(t, b, "app")
	regLen := len(mon.sink.waitLen(t, 1))
	s0 := connect(t, b, "app%%0")
	s1 := connect(t, b, "app%%1")
	if _, code := tryConnect(t, b, "app%%1", ConnInfo{}); code != proto.CodeBusy {
		t.Fatalf("duplicate secondary: %v", code)
	}
	mon.expectNothing() // secondaries are never announced
	s0.c.Disconnected()
	mon.expectNothing()
	if !app.c.Registered() || s0.c.Registered() {
		t.Fatal("secondary removal")
	}
	app.c.Disconnected()
	if s1.c.Registered() || s1.sink.disconnected() != 1 {
		t.Fatal("secondary must go with its primary")
	}
	if got := mon.sink.waitLen(t, 1); len(got) != regLen+2 {
		t.Fatalf("one unreg expected, got %x", got)
	}
	if _, code := tryConnect(t, b, "app%%2", ConnInfo{}); code != proto.CodeNotRegistered {
		t.Fatalf("secondary without primary: %v", code)
	}
}

func TestForceRegister(t *testing.T) {
	b := newBroker(t, Config{ForceRegister: true})
	mon := connect(t, b, "mon")
	mon.subscribe(InfoTopic)
	old := connect(t, b, "x")
	oldSec := connect(t, b, "x%%0")
	mon.sink.waitLen(t, 1)
	nu := connect(t, b, "x")
	if old.sink.disconnected() != 1 || oldSec.sink.disconnected() != 1 || old.c.Registered() {
		t.Fatal("old instance not replaced")
	}
	got := mon.sink.waitLen(t, 1) // only `reg`, no `unreg` for the displaced one
	if _, _, p, _ := proto.SplitDelivery(proto.KindPublish, got[6:]); string(p[:7]) != "\x83\xa1s\xa3reg" {
		t.Fatalf("got %x", got)
	}
	mon.expectNothing()
	if _, code := tryConnect(t, b, "x%%1", ConnInfo{}); code != proto.CodeOK {
		t.Fatal(code)
	}
	if _, code := tryConnect(t, b, "x%%1", ConnInfo{}); code != proto.CodeBusy {
		t.Fatal("secondaries are never force-registered")
	}
	_ = nu
}
