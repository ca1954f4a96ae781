package reliability

import (
	"encoding/binary"
	"fmt"
	"net"
	"sync"
	"testing"

	"github.com/busrt-go/busrt/bus"
	"github.com/busrt-go/busrt/proto"
)

// TestSlowConsumer: a client that stops reading (a primary and its
// secondary, both subscribed to the feed) is dropped by upstream's rule
// (ROUTING.md §9.1): once its queue is full the next delivery fails, the
// client is unregistered (`unreg` announced, secondary dropped), what it
// had queued is still written and its connection ends. Meanwhile three
// publishers keep publishing and three reading subscribers get every
// frame of every publisher, in order; a sender of MESSAGEs to the slow
// client sees OK, then at most one NOT_DELIVERED (77), then
// NOT_REGISTERED (71). Nobody else is dropped. No rate is asserted.
func TestSlowConsumer(t *testing.T) {
	s := startServer(t, srvOpts{listeners: []lspec{
		{key: "slow", queue: 64}, // the slow client's listener: a small queue
		{key: "unix"}, {key: "tcp", tcp: true},
	}})
	base := s.baseline(t)
	mon := s.connect(t, "tcp", "mon")
	mon.subscribe(t, bus.InfoTopic)

	slow := s.dialRaw(t, "slow")
	slowSec := s.dialRaw(t, "slow")
	for _, c := range []*client{slow, slowSec} {
		_ = c.nc.(*net.UnixConn).SetReadBuffer(4096) // let the queue, not the kernel, hold the backlog
	}
	register(t, slow, "slow")
	register(t, slowSec, "slow%%1")
	slow.subscribe(t, "feed/#")
	slowSec.subscribe(t, "feed/#")

	const pubs, readers, n, window = 3, 3, 3000, 2048
	good := make([]*client, readers)
	for i := range good {
		good[i] = s.connect(t, []string{"unix", "tcp"}[i%2], fmt.Sprintf("good.%d", i))
		good[i].subscribe(t, "feed/#")
	}
	msgr := s.connect(t, "unix", "msgr")

	// flow control: a publisher stays at most `window` frames ahead of the
	// slowest reading subscriber, as a client must to stay within the
	// reader's 8192-frame queue
	var mu sync.Mutex
	cond := sync.NewCond(&mu)
	progress := make([][pubs]int, readers) // frames each reader got from each publisher
	stopped := false
	minProgress := func(p int) int {
		m := n
		for r := range progress {
			m = min(m, progress[r][p])
		}
		return m
	}

	// MESSAGEs to the slow client, one at a time, until it is gone; the
	// first one before the publishers start
	var codes []proto.Code
	toSlow := func() {
		id := msgr.message(t, proto.QoSProcessed, "slow", []byte("are you there"))
		h, _ := msgr.mustFrame(t)
		if h.Kind != proto.KindAck || h.AckID != id {
			t.Fatalf("msgr: %+v", h)
		}
		codes = append(codes, h.Code)
	}
	toSlow()

	errs := make(chan error, pubs+readers+1)
	var wg sync.WaitGroup
	for r, c := range good {
		wg.Add(1)
		go func() {
			defer wg.Done()
			next := [pubs]uint32{}
			for total := 0; total < pubs*n; {
				h, d, err := c.frame(waitTimeout)
				if err != nil {
					errs <- fmt.Errorf("%s: %v after %d frames", c.name, err, total)
					break
				}
				_, topic, p, err := proto.SplitDelivery(h.Kind, d)
				if err != nil || len(p) < 8 {
					errs <- fmt.Errorf("%s: %+v %q", c.name, h, d)
					break
				}
				pi, seq := binary.LittleEndian.Uint32(p), binary.LittleEndian.Uint32(p[4:])
				if pi >= pubs || string(topic) != fmt.Sprintf("feed/%d", pi) || seq != next[pi] {
					errs <- fmt.Errorf("%s: got %s seq %d from publisher %d, expected seq %d", c.name, topic, seq, pi, next[pi])
					break
				}
				next[pi]++
				total++
				if seq%64 == 63 || int(seq) == n-1 {
					mu.Lock()
					progress[r][pi] = int(seq) + 1
					cond.Broadcast()
					mu.Unlock()
				}
			}
			mu.Lock()
			stopped = stopped || progress[r] != [pubs]int{n, n, n}
			cond.Broadcast()
			mu.Unlock()
		}()
	}
	for p := range pubs {
		pub := s.connect(t, []string{"tcp", "unix"}[p%2], fmt.Sprintf("pub.%d", p))
		wg.Add(1)
		go func() {
			defer wg.Done()
			payload := make([]byte, 1000)
			var b []byte
			acks := 0
			for i := range n {
				mu.Lock()
				for !stopped && minProgress(p) < i-window {
					cond.Wait()
				}
				quit := stopped
				mu.Unlock()
				if quit {
					return
				}
				binary.LittleEndian.PutUint32(payload, uint32(p))
				binary.LittleEndian.PutUint32(payload[4:], uint32(i))
				qos := proto.QoSNo
				if i%256 == 255 {
					qos = proto.QoSProcessed
					acks++
				}
				b = proto.AppendPublish(b[:0], uint32(i+1), qos, []byte(fmt.Sprintf("feed/%d", p)), payload)
				if err := pub.write(b); err != nil {
					errs <- fmt.Errorf("%s: %v", pub.name, err)
					return
				}
			}
			for range acks {
				h, _, err := pub.frame(waitTimeout)
				if err != nil || h.Kind != proto.KindAck || h.Code != proto.CodeOK {
					errs <- fmt.Errorf("%s: ACK %+v %v", pub.name, h, err)
					return
				}
			}
		}()
	}

	for codes[len(codes)-1] != proto.CodeNotRegistered {
		toSlow()
		if len(codes) > 100000 {
			t.Fatal("the slow client was never dropped")
		}
	}
	checkKickCodes(t, "slow", codes)

	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		return
	}
	// the monitor saw `unreg slow` and no other departure
	mon.untilAnnouncement(t, "unreg", "slow")
	// what was queued to the slow client is written, then its connection
	// ends; its secondary is gone too
	slow.expectEOF(t, true)
	slowSec.expectEOF(t, true)
	for _, c := range good {
		c.roundTrip(t)
	}
	msgr.roundTrip(t)
	if id := msgr.message(t, proto.QoSProcessed, "slow%%1", nil); true {
		msgr.expectAck(t, id, proto.CodeNotRegistered)
	}

	// A client that is only a MESSAGE target and stops reading: its
	// sender gets OK until the queue is full, then 77 (the broker kicks
	// it on that delivery) and 71.
	target := s.dialRaw(t, "slow")
	_ = target.nc.(*net.UnixConn).SetReadBuffer(4096)
	register(t, target, "slow.target")
	mon.untilAnnouncement(t, "reg", "slow.target")
	big := make([]byte, 64<<10)
	codes = codes[:0]
	for len(codes) == 0 || codes[len(codes)-1] == proto.CodeOK || codes[len(codes)-1] == proto.CodeNotDelivered {
		id := msgr.message(t, proto.QoSProcessed, "slow.target", big)
		h, _ := msgr.mustFrame(t)
		if h.Kind != proto.KindAck || h.AckID != id {
			t.Fatalf("msgr: %+v", h)
		}
		codes = append(codes, h.Code)
		if len(codes) > 10000 {
			t.Fatal("slow.target was never dropped")
		}
	}
	checkKickCodes(t, "slow.target", codes)
	mon.expectAnnouncement(t, "unreg", "slow.target")
	target.expectEOF(t, true)

	s.closeAll(t)
	s.expectBaseline(t, base, 16<<20)
}

// checkKickCodes: the ACKs of MESSAGEs sent one at a time to a client
// that stopped reading are OK (at least once), then NOT_DELIVERED when
// the delivery finds its queue full (absent when another sender's
// delivery or a broker ping found it full first), then NOT_REGISTERED.
func checkKickCodes(t *testing.T, name string, codes []proto.Code) {
	t.Helper()
	ok := 0
	for ok < len(codes) && codes[ok] == proto.CodeOK {
		ok++
	}
	rest := codes[ok:]
	if len(rest) == 2 && rest[0] == proto.CodeNotDelivered {
		rest = rest[1:]
	}
	if ok == 0 || len(rest) != 1 || rest[0] != proto.CodeNotRegistered {
		t.Fatalf("MESSAGE codes to %s: %d OK then %v; expected OK+, at most one 77, then 71", name, ok, codes[ok:])
	}
	t.Logf("MESSAGEs to %s: %d OK, then %v", name, ok, codes[ok:])
}
