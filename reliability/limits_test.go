package reliability

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/busrt-go/busrt/bus"
	"github.com/busrt-go/busrt/gen"
	"github.com/busrt-go/busrt/proto"
)

// TestConnectionBurst: 500 clients (5 000 with BUSRT_FULL=1) connect at
// the same instant over UNIX and TCP, all register, all get a broadcast,
// then all leave at once (half of them with a TCP reset); the broker ends
// with its registry, indexes, connections, goroutines and heap back at
// the baseline. A connect the kernel refuses because the listen backlog
// is full (EAGAIN on UNIX sockets) is retried and counted.
func TestConnectionBurst(t *testing.T) {
	n := 500
	if full() {
		n = 5000
	}
	// a long T: the clients stay silent while the others connect
	s := startServer(t, srvOpts{bus: bus.Config{Timeout: time.Minute}})
	base := s.baseline(t)
	clients := make([]*client, n)
	var retries atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, n)
	gate := make(chan struct{})
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-gate
			key := []string{"unix", "tcp"}[i%2]
			deadline := time.Now().Add(3 * waitTimeout)
			for {
				c, err := s.dial(key)
				if err == nil {
					clients[i] = c
					break
				}
				if !errors.Is(err, syscall.EAGAIN) && !errors.Is(err, syscall.ECONNREFUSED) || time.Now().After(deadline) {
					errs <- fmt.Errorf("client %d: %v", i, err)
					return
				}
				retries.Add(1)
				time.Sleep(time.Millisecond) // backlog full: back off before retrying (no event to wait for)
			}
			if code, err := clients[i].handshake(fmt.Sprintf("burst.%d", i)); err != nil || code != proto.CodeOK {
				errs <- fmt.Errorf("client %d: code %v, %v", i, code, err)
			}
		}()
	}
	start := time.Now()
	close(gate)
	wg.Wait()
	close(errs)
	defer func() {
		for _, c := range clients {
			if c != nil {
				_ = c.nc.Close()
			}
		}
	}()
	for err := range errs {
		t.Fatal(err)
	}
	t.Logf("%d clients registered in %v (%d connects retried)", n, time.Since(start), retries.Load())
	if got := s.broker.ClientCount(); got != base.clients+n {
		t.Fatalf("%d clients registered, expected %d", got-base.clients, n)
	}
	ctl := s.connect(t, "unix", "ctl")
	id := ctl.nextID()
	ctl.mustWrite(t, proto.AppendBroadcast(nil, id, proto.QoSProcessed, []byte("burst.*"), []byte("hello")))
	ctl.expectAck(t, id, proto.CodeOK)
	for _, c := range clients {
		c.expectDelivery(t, proto.KindBroadcast, "ctl", "", []byte("hello"))
	}
	var cw sync.WaitGroup
	for i, c := range clients {
		cw.Add(1)
		go func() {
			defer cw.Done()
			if i%2 == 1 {
				closeAbortive(c.nc)
			} else {
				_ = c.nc.Close()
			}
		}()
	}
	cw.Wait()
	clear(clients) // the test's own buffers are not the broker's memory
	s.closeAll(t)
	s.expectBaseline(t, base, 16<<20)
}

// TestMaxConns: beyond Config.MaxConns a connection is closed at once,
// without a greeting; the clients already connected are not affected and
// a slot freed by a leaving client can be used again.
func TestMaxConns(t *testing.T) {
	const max = 20
	s := startServer(t, srvOpts{maxConns: max})
	var cs []*client
	for i := range max {
		cs = append(cs, s.connect(t, []string{"unix", "tcp"}[i%2], fmt.Sprintf("c%d", i)))
	}
	for _, key := range []string{"unix", "tcp"} {
		extra := s.dialRaw(t, key)
		extra.expectEOF(t, false)
		if extra.rd.Buffered() != 0 {
			t.Fatalf("%s: bytes before the close", key)
		}
	}
	cs[0].roundTrip(t)
	cs[max-1].roundTrip(t)
	_ = cs[0].nc.Close()
	waitUntil(t, "a free slot", func() bool { return s.srv.Conns() < max })
	s.connect(t, "tcp", "late").roundTrip(t)
}

// TestLongNames: names of 65 535 bytes (the u16 limit) register, are
// announced, address and sign MESSAGEs, and a secondary whose full name is
// 65 535 bytes counts as an instance of its primary. A 65 535-byte name
// that is not UTF-8 is closed silently, one starting with `.` gets 72, a
// duplicate 76, and a name whose bytes stop before its declared length is
// closed when the client leaves. Never a crash.
func TestLongNames(t *testing.T) {
	s := startServer(t, srvOpts{})
	base := s.baseline(t)
	mon := s.connect(t, "unix", "mon")
	mon.subscribe(t, bus.InfoTopic)

	long := strings.Repeat("n", 65535)
	c := s.connect(t, "unix", long)
	mon.expectAnnouncement(t, "reg", long)
	c.roundTrip(t)
	other := s.connect(t, "tcp", "other")
	mon.expectAnnouncement(t, "reg", "other")
	id := other.message(t, proto.QoSProcessed, long, []byte("to the long one"))
	c.expectDelivery(t, proto.KindMessage, "other", "", []byte("to the long one"))
	other.expectAck(t, id, proto.CodeOK)
	id = c.message(t, proto.QoSRealtimeProcessed, "other", []byte("from the long one"))
	other.expectDelivery(t, proto.KindMessage, long, "", []byte("from the long one"))
	c.expectAck(t, id, proto.CodeOK)
	id = other.nextID()
	other.mustWrite(t, proto.AppendBroadcast(nil, id, proto.QoSProcessed, []byte(long), []byte("b"))) // a 65 535-byte mask
	other.expectAck(t, id, proto.CodeOK)
	c.expectDelivery(t, proto.KindBroadcast, "other", "", []byte("b"))

	prim := strings.Repeat("p", 65000)
	p := s.connect(t, "tcp", prim)
	mon.expectAnnouncement(t, "reg", prim)
	sec := prim + "%%" + strings.Repeat("s", 65535-65002)
	sc := s.connect(t, "unix", sec)
	sc.roundTrip(t)
	found := false
	for _, ci := range s.broker.ClientList(nil, gen.ClientList{}).Clients {
		if string(ci.Name) == prim {
			found = true
			if ci.Instances != 2 {
				t.Fatalf("%d instances of the long primary, expected 2", ci.Instances)
			}
		}
	}
	if !found {
		t.Fatal("the long primary is not in client.list")
	}

	refused := []struct {
		name string
		code proto.Code
	}{
		{strings.Repeat("é", 32767) + "\xc3", 0}, // 65 535 bytes, the last rune cut: silent close
		{"." + strings.Repeat("d", 65534), proto.CodeData},
		{long, proto.CodeBusy},
		{strings.Repeat("q", 65533) + "%%", proto.CodeNotRegistered},
	}
	for _, r := range refused {
		x := s.dialRaw(t, "tcp")
		code, err := x.handshake(r.name)
		if err != nil || code != r.code {
			t.Fatalf("name %.20q… (%d bytes): code %v, %v; expected %v", r.name, len(r.name), code, err, r.code)
		}
		x.expectEOF(t, false)
	}
	// declared 65 535 bytes, 100 sent, then the client leaves
	x := s.dialRaw(t, "unix")
	x.mustWrite(t, append(proto.AppendGreeting(nil), append([]byte{0xff, 0xff}, bytes.Repeat([]byte{'z'}, 100)...)...))
	_ = closeWrite(x.nc)
	x.expectEOF(t, true)

	_ = p.nc.Close()
	mon.expectAnnouncement(t, "unreg", prim)
	sc.expectEOF(t, false) // dropped with its primary
	_ = c.nc.Close()
	mon.expectAnnouncement(t, "unreg", long)
	s.closeAll(t)
	s.expectBaseline(t, base, 16<<20)
}

// TestMaxFrameBoundary: with a listener limit (MaxFrame) of 1 MiB, a frame
// whose data is exactly 1 MiB is routed and delivered intact (MESSAGE and
// PUBLISH, UNIX and TCP); a ping whose length field exceeds the limit is
// still a ping (its length is ignored, PROTOCOL.md §5.4); a frame one byte
// over closes that connection right after its header, without an ACK,
// nothing of it is delivered, `unreg` is announced, and the other clients
// carry on.
func TestMaxFrameBoundary(t *testing.T) {
	const limit = 1 << 20
	s := startServer(t, srvOpts{listeners: []lspec{
		{key: "unix"},
		{key: "unix-lim", maxFrame: limit},
		{key: "tcp-lim", tcp: true, maxFrame: limit},
	}})
	base := s.baseline(t)
	mon := s.connect(t, "unix", "mon")
	mon.subscribe(t, bus.InfoTopic)
	rcv := s.connect(t, "unix", "rcv")
	rcv.subscribe(t, "big")
	for _, key := range []string{"unix-lim", "tcp-lim"} {
		name := "snd-" + key
		snd := s.connect(t, key, name)
		mon.untilAnnouncement(t, "reg", name)

		payload := bytes.Repeat([]byte("0123456789abcdef"), limit/16)[:limit-len("rcv")-1]
		f := proto.AppendMessage(nil, snd.nextID(), proto.QoSProcessed, []byte("rcv"), payload)
		if len(f) != proto.ClientHeaderSize+limit {
			t.Fatalf("frame of %d bytes", len(f))
		}
		snd.mustWrite(t, f)
		rcv.expectDelivery(t, proto.KindMessage, name, "", payload)
		snd.expectAck(t, snd.id, proto.CodeOK)

		pp := payload[:limit-len("big")-1]
		id := snd.publish(t, proto.QoSProcessed, "big", pp)
		rcv.expectDelivery(t, proto.KindPublish, name, "big", pp)
		snd.expectAck(t, id, proto.CodeOK)

		ping := append(proto.AppendPing(nil)[:5], 0xff, 0xff, 0xff, 0xff)
		snd.mustWrite(t, ping)
		snd.roundTrip(t)

		over := proto.AppendMessage(nil, snd.nextID(), proto.QoSProcessed, []byte("rcv"), append(payload, 'x'))
		_ = snd.write(over) // the broker may close before it has all of it
		snd.expectEOF(t, false)
		mon.untilAnnouncement(t, "unreg", name)
		rcv.roundTrip(t) // nothing of the oversized frame came first
	}
	s.closeAll(t)
	s.expectBaseline(t, base, 16<<20)
}

// TestManySubscriptions: one client holds 100 000 subscriptions (1 000 000
// with BUSRT_FULL=1), made in frames of 1 000 topics and one frame of
// half of them; each frame is acknowledged OK, a publication reaches the
// client exactly once, unsubscribing half in one frame halves the index,
// and when the client leaves the index and the heap return to the
// baseline.
func TestManySubscriptions(t *testing.T) {
	n := 100000
	if full() {
		n = 1000000
	}
	s := startServer(t, srvOpts{})
	base := s.baseline(t)
	subs, _ := brokerIndexes(t, s.broker)
	c := s.connect(t, "unix", "many")
	topic := func(i int) []byte { return fmt.Appendf(nil, "sub/%d/x", i) }
	start := time.Now()
	var b []byte
	var ids []uint32
	for i := 0; i < n/2; i += 1000 {
		ts := make([][]byte, 0, 1000)
		for k := i; k < i+1000 && k < n/2; k++ {
			ts = append(ts, topic(k))
		}
		id := c.nextID()
		ids = append(ids, id)
		b = proto.AppendTopics(b, id, proto.OpSubscribe, proto.QoSProcessed, ts...)
		if len(b) > 256<<10 {
			c.mustWrite(t, b)
			b = b[:0]
		}
	}
	c.mustWrite(t, b)
	for _, id := range ids {
		c.expectAck(t, id, proto.CodeOK)
	}
	half := make([][]byte, 0, n-n/2)
	for k := n / 2; k < n; k++ {
		half = append(half, topic(k))
	}
	id := c.nextID()
	c.mustWrite(t, proto.AppendTopics(nil, id, proto.OpSubscribe, proto.QoSProcessed, half...))
	c.expectAck(t, id, proto.CodeOK)
	if got := subs.Len(); got != base.subs+1+n { // +1: .broker/warn of this client
		t.Fatalf("%d subscriptions, expected %d", got-base.subs-1, n)
	}
	t.Logf("%d subscriptions in %v", n, time.Since(start))

	pub := s.connect(t, "tcp", "pub")
	for _, k := range []int{0, n / 2, n - 1} {
		id := pub.publish(t, proto.QoSProcessed, string(topic(k)), []byte("hit"))
		c.expectDelivery(t, proto.KindPublish, "pub", string(topic(k)), []byte("hit"))
		pub.expectAck(t, id, proto.CodeOK)
	}
	id = pub.publish(t, proto.QoSProcessed, "sub/x/x", []byte("miss"))
	pub.expectAck(t, id, proto.CodeOK)
	c.roundTrip(t) // one copy each, nothing for the miss

	id = c.nextID()
	c.mustWrite(t, proto.AppendTopics(nil, id, proto.OpUnsubscribe, proto.QoSProcessed, half...))
	c.expectAck(t, id, proto.CodeOK)
	if got := subs.Len(); got != base.subs+2+n/2 { // +2: .broker/warn of both clients
		t.Fatalf("%d subscriptions after unsubscribing half, expected %d", got-base.subs-1, n/2)
	}
	closeAbortive(c.nc)
	s.closeAll(t)
	s.expectBaseline(t, base, 32<<20)
}
