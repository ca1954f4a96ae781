package bus

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/busrt-go/busrt/proto"
)

func recv(t *testing.T, e *EmbeddedClient) *Delivery {
	t.Helper()
	select {
	case d := <-e.Frames():
		return d
	case <-time.After(2 * time.Second):
		t.Fatalf("%s: nothing received", e.Name())
		return nil
	}
}

func TestEmbeddedClients(t *testing.T) {
	b := newBroker(t, Config{})
	a, err := b.Register("emb.a")
	if err != nil {
		t.Fatal(err)
	}
	z, err := b.Register(".hidden") // leading dots allowed for embedded clients
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Register("emb.a"); !errors.Is(err, ErrBusy) {
		t.Fatalf("duplicate: %v", err)
	}
	s := connect(t, b, "sock")
	s.subscribe("t/#")
	if err := a.Subscribe("t/+"); err != nil {
		t.Fatal(err)
	}
	if err := a.Publish("t/1", []byte("hi"), proto.QoSRealtime); err != nil {
		t.Fatal(err)
	}
	s.expect(proto.AppendDelivery(nil, proto.KindPublish, true, []byte("emb.a"), []byte("t/1"), []byte("hi")))
	d := recv(t, a)
	if d.Kind != proto.KindPublish || string(d.Sender) != "emb.a" || string(d.Topic) != "t/1" || string(d.Payload) != "hi" || !d.Realtime {
		t.Fatalf("self publication: %+v", d)
	}
	d.Release()
	id := s.send(proto.QoSProcessed, "emb.a", "direct")
	s.expect(ack(id, proto.CodeOK))
	d = recv(t, a)
	if d.Kind != proto.KindMessage || string(d.Sender) != "sock" || string(d.Payload) != "direct" {
		t.Fatalf("message: %+v", d)
	}
	d.Release()
	if err := a.Send("nobody", nil, proto.QoSProcessed); !errors.Is(err, proto.CodeNotRegistered.Err()) {
		t.Fatalf("unknown target: %v", err)
	}
	if err := z.Broadcast("emb.*", []byte("b"), proto.QoSNo); err != nil {
		t.Fatal(err)
	}
	d = recv(t, a)
	if d.Kind != proto.KindBroadcast || string(d.Sender) != ".hidden" {
		t.Fatalf("broadcast: %+v", d)
	}
	d.Release()
	sec, err := a.RegisterSecondary()
	if err != nil || sec.Name() != "emb.a%%0" {
		t.Fatalf("secondary: %v %v", sec, err)
	}
	if err := a.PublishFor("t/2", "emb.a", []byte("pf"), proto.QoSNo); err != nil {
		t.Fatal(err)
	}
	d = recv(t, a)
	if string(d.Topic) != "t/2" {
		t.Fatalf("publish-for: %+v", d)
	}
	// closing the primary removes its secondaries and closes both queues
	a.Close()
	if _, ok := <-sec.Frames(); ok {
		t.Fatal("secondary queue still open")
	}
	if err := sec.Subscribe("x"); !errors.Is(err, proto.CodeNotRegistered.Err()) {
		t.Fatalf("subscribe after close: %v", err)
	}
	if _, err := b.Register("emb.a"); err != nil { // the name is free again (upstream's leak not reproduced)
		t.Fatal(err)
	}
}

// A full embedded queue blocks a socket sender up to the timeout, then 78.
func TestEmbeddedFullQueueTimesOut(t *testing.T) {
	b := newBroker(t, Config{Timeout: 50 * time.Millisecond, QueueSize: 1})
	e, _ := b.Register("e")
	s := connect(t, b, "s")
	s.send(proto.QoSProcessed, "e", "1")
	s.expect(ack(1, proto.CodeOK))
	start := time.Now()
	s.send(proto.QoSProcessed, "e", "2")
	s.expect(ack(2, proto.CodeTimeout))
	if time.Since(start) < 50*time.Millisecond {
		t.Fatal("did not wait for the timeout")
	}
	if !e.c.Registered() {
		t.Fatal("an embedded receiver is never kicked")
	}
	// an embedded sender waits without limit: it gets through once read
	other, _ := b.Register("o")
	done := make(chan error)
	go func() { done <- other.Send("e", []byte("3"), proto.QoSProcessed) }()
	recv(t, e).Release()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestConcurrentRegistrationNoLeaks(t *testing.T) {
	b := newBroker(t, Config{})
	base := b.ClientCount()
	g0 := runtime.NumGoroutine()
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				name := fmt.Sprintf("w%d.c%d", w, i%5)
				s := newRecSink()
				c, code := b.RegisterSocket([]byte(name), ConnInfo{Kind: KindTCP}, s)
				if code != proto.CodeOK {
					continue // the same name may still be held by this worker's previous round
				}
				e, err := b.Register(name + "%%e")
				h, _ := proto.DecodeHeader(proto.AppendTopics(nil, 1, proto.OpSubscribe, proto.QoSNo, []byte("a/#"), []byte("+/b")), 0)
				_ = c.Process(s, h, []byte("a/#\x00+/b"))
				pf := proto.AppendPublish(nil, 2, proto.QoSProcessed, []byte("a/b"), []byte("x"))
				h, _ = proto.DecodeHeader(pf, 0)
				_ = c.Process(s, h, pf[9:])
				bf := proto.AppendBroadcast(nil, 3, proto.QoSNo, []byte("w*"), []byte("y"))
				h, _ = proto.DecodeHeader(bf, 0)
				_ = c.Process(s, h, bf[9:])
				if err == nil && i%2 == 0 {
					e.Close()
				}
				c.Disconnected()
			}
		}(w)
	}
	wg.Wait()
	if n := b.ClientCount(); n != base {
		t.Fatalf("registry holds %d clients, want %d", n, base)
	}
	if m := b.subs.Match([]byte("a/b"), newScratchForTest(), nil); len(m) != 0 {
		t.Fatalf("leaked subscriptions: %v", m)
	}
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > g0 && time.Now().Before(deadline) {
		runtime.Gosched()
	}
	if g := runtime.NumGoroutine(); g > g0 {
		t.Fatalf("goroutines: %d > %d", g, g0)
	}
}
