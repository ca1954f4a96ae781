package netloop

import (
	"fmt"
	"sync"
	"testing"

	"github.com/busrt-go/busrt/proto"
)

var allQoS = []proto.QoS{proto.QoSNo, proto.QoSProcessed, proto.QoSRealtime, proto.QoSRealtimeProcessed}

// TestOpsEveryQoS sends every op with every QoS from a UNIX client to a
// TCP client (and back) and checks deliveries, realtime flags and ACKs.
// Each step ends with a sentinel MESSAGE so "nothing else arrived" is
// checked without sleeping.
func TestOpsEveryQoS(t *testing.T) {
	ts := startServer(t, serverOpts{})
	a := ts.client("unix", "a")
	b := ts.client("tcp", "b")
	b.subscribe("t/#")
	// bSync makes sure b's earlier frames were processed (ACK order)
	bSync := func() {
		t.Helper()
		id := b.message(proto.QoSProcessed, "b", "sync")
		b.expectDelivery(proto.KindMessage, false, "b", "", "sync")
		b.expectAck(id, proto.CodeOK)
	}
	sentinel := func() {
		t.Helper()
		id := a.message(proto.QoSProcessed, "b", "sentinel")
		b.expectDelivery(proto.KindMessage, false, "a", "", "sentinel")
		a.expectAck(id, proto.CodeOK)
	}
	for _, q := range allQoS {
		rt := q.IsRealtime()
		ack := func(id uint32, code proto.Code) {
			t.Helper()
			if q.NeedsAck() {
				a.expectAck(id, code)
			}
		}
		t.Run(q.String(), func(t *testing.T) {
			id := a.publish(q, "t/x", "pub")
			b.expectDelivery(proto.KindPublish, rt, "a", "t/x", "pub")
			ack(id, proto.CodeOK)

			id = a.message(q, "b", "msg")
			b.expectDelivery(proto.KindMessage, rt, "a", "", "msg")
			ack(id, proto.CodeOK)

			id = a.message(q, "nobody", "msg")
			ack(id, proto.CodeNotRegistered)

			id = a.nextID()
			a.send(proto.AppendBroadcast(nil, id, q, []byte("?"), []byte("bc")))
			b.expectDelivery(proto.KindBroadcast, rt, "a", "", "bc")
			a.expectDelivery(proto.KindBroadcast, rt, "a", "", "bc")
			ack(id, proto.CodeOK)

			id = a.nextID()
			a.send(proto.AppendPublishFor(nil, id, q, []byte("t/y"), []byte("b"), []byte("pf")))
			b.expectDelivery(proto.KindPublish, rt, "a", "t/y", "pf")
			ack(id, proto.CodeOK)

			// exclusion hides t/z from b, then un-exclusion shows it again
			eid := b.topics(proto.OpExclude, q, "t/z")
			if q.NeedsAck() {
				b.expectAck(eid, proto.CodeOK)
			}
			bSync()
			id = a.publish(q, "t/z", "hidden")
			ack(id, proto.CodeOK)
			sentinel()
			eid = b.topics(proto.OpUnexclude, q, "t/z")
			if q.NeedsAck() {
				b.expectAck(eid, proto.CodeOK)
			}
			bSync()
			id = a.publish(q, "t/z", "shown")
			b.expectDelivery(proto.KindPublish, rt, "a", "t/z", "shown")
			ack(id, proto.CodeOK)

			// subscribe / unsubscribe with this QoS
			sid := b.topics(proto.OpSubscribe, q, "s/"+q.String())
			if q.NeedsAck() {
				b.expectAck(sid, proto.CodeOK)
			}
			bSync()
			id = a.publish(q, "s/"+q.String(), "sub")
			b.expectDelivery(proto.KindPublish, rt, "a", "s/"+q.String(), "sub")
			ack(id, proto.CodeOK)
			sid = b.topics(proto.OpUnsubscribe, q, "s/"+q.String())
			if q.NeedsAck() {
				b.expectAck(sid, proto.CodeOK)
			}
			bSync()
			id = a.publish(q, "s/"+q.String(), "unsub")
			ack(id, proto.CodeOK)
			sentinel()
		})
	}
	a.expectNothing(0)
	b.expectNothing(0)
}

// TestPublishAcrossLoops: subscribers spread over every loop, on both
// transports, all get every publication from publishers on every loop, in
// each publisher's order.
func TestPublishAcrossLoops(t *testing.T) {
	ts := startServer(t, serverOpts{net: Config{Loops: 4}})
	const subs, pubs, per = 12, 4, 200
	subscribers := make([]*rawConn, subs)
	for i := range subscribers {
		nw := []string{"unix", "tcp"}[i%2]
		subscribers[i] = ts.client(nw, fmt.Sprintf("sub%d", i))
		subscribers[i].subscribe("fan/#")
	}
	publishers := make([]*rawConn, pubs)
	for i := range publishers {
		publishers[i] = ts.client([]string{"tcp", "unix"}[i%2], fmt.Sprintf("pub%d", i))
	}
	var wg sync.WaitGroup
	for i, p := range publishers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var b []byte
			for n := range per {
				b = proto.AppendPublish(b, uint32(n+1), proto.QoSNo, []byte(fmt.Sprintf("fan/%d", i)), []byte(fmt.Sprint(n)))
			}
			_, _ = p.nc.Write(b)
		}()
	}
	wg.Wait()
	for _, s := range subscribers {
		next := make([]int, pubs)
		for range pubs * per {
			h, d := s.frameSkipPings()
			sender, topic, payload, err := proto.SplitDelivery(h.Kind, d)
			if err != nil || h.Kind != proto.KindPublish {
				t.Fatalf("bad delivery %+v %q", h, d)
			}
			var pi, n int
			fmt.Sscanf(string(sender), "pub%d", &pi)
			fmt.Sscan(string(payload), &n)
			if string(topic) != fmt.Sprintf("fan/%d", pi) || n != next[pi] {
				t.Fatalf("publisher %d: got #%d on %s, want #%d", pi, n, topic, next[pi])
			}
			next[pi]++
		}
	}
	if len(ts.srv.loopList()) < 2 {
		t.Fatalf("connections used %d loops only", len(ts.srv.loopList()))
	}
}

// TestOneWakePerBatch: 1 000 frames routed in one read batch to a client
// on another loop wake that loop about once, not once per frame.
func TestOneWakePerBatch(t *testing.T) {
	ts := startServer(t, serverOpts{net: Config{Loops: 2}})
	snd := ts.client("unix", "snd")
	rcv := ts.client("unix", "rcv") // round robin: the other loop
	wakes := func() (n uint64) {
		for _, lp := range ts.srv.loopList() {
			n += lp.wakes.Load()
		}
		return n
	}
	const frames = 1000
	var b []byte
	for i := range frames {
		b = proto.AppendMessage(b, uint32(i+1), proto.QoSNo, []byte("rcv"), []byte("x"))
	}
	before := wakes()
	snd.send(b)
	for range frames {
		rcv.expectDelivery(proto.KindMessage, false, "snd", "", "x")
	}
	d := wakes() - before
	t.Logf("%d wake-ups for %d frames (ticker sweeps included)", d, frames)
	if d > 50 {
		t.Fatalf("%d wake-ups for %d frames", d, frames)
	}
}
