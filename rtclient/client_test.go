package rtclient_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/busrt-go/busrt/proto"
	"github.com/busrt-go/busrt/rtclient"
)

var allQoS = []proto.QoS{proto.QoSNo, proto.QoSProcessed, proto.QoSRealtime, proto.QoSRealtimeProcessed}

// settle makes sure the broker has processed every frame c sent before:
// it processes a connection's frames in order, so the ACK of a message to
// c itself comes after them (frames of other connections have no order
// relative to c's, which matters for QoS without ACK).
func settle(t *testing.T, c rtclient.Client) {
	t.Helper()
	if err := c.Send(ctxT(t), c.Name(), []byte("settle"), proto.QoSProcessed); err != nil {
		t.Fatalf("settle %s: %v", c.Name(), err)
	}
	expectFrame(t, c, proto.KindMessage, c.Name(), "", "settle", false)
}

// ackRecorder is an AckHandler that records what it gets.
type ackRecorder struct{ codes chan string }

func (a *ackRecorder) HandleAck(tag uint32, code proto.Code) {
	a.codes <- fmt.Sprint(tag, " ", code)
}

// expectFrame receives the next frame of c and checks it.
func expectFrame(t *testing.T, c rtclient.Client, kind proto.Kind, sender, topic, payload string, realtime bool) {
	t.Helper()
	f := recvFrame(t, c)
	defer f.Release()
	if f.Kind != kind || string(f.Sender) != sender || string(f.Topic) != topic ||
		string(f.Payload) != payload || f.Realtime != realtime {
		t.Fatalf("%s got %v from %q topic %q payload %q realtime %v; want %v from %q topic %q payload %q realtime %v",
			c.Name(), f.Kind, f.Sender, f.Topic, f.Payload, f.Realtime, kind, sender, topic, payload, realtime)
	}
	if kind == proto.KindPublish && f.Topic == nil {
		t.Fatal("publication without topic")
	}
}

func TestOperationsEveryQoS(t *testing.T) {
	forEachTransport(t, func(t *testing.T, tb *testBroker) {
		a := tb.connect(t, "ops.a")
		b := tb.connect(t, "ops.b")
		ctx := ctxT(t)
		for _, q := range allQoS {
			rt := q.IsRealtime()
			p := "p-" + q.String()
			if err := a.Send(ctx, "ops.b", []byte(p), q); err != nil {
				t.Fatalf("send %v: %v", q, err)
			}
			expectFrame(t, b, proto.KindMessage, "ops.a", "", p, rt)
			if err := a.SendZC(ctx, "ops.b", []byte("hdr:"), []byte(p), q); err != nil {
				t.Fatalf("send zc %v: %v", q, err)
			}
			expectFrame(t, b, proto.KindMessage, "ops.a", "", "hdr:"+p, rt)
			acks := &ackRecorder{codes: make(chan string, 2)}
			if err := a.SendAsync(ctx, "ops.b", []byte("async:"), []byte(p), q, acks, 7); err != nil {
				t.Fatalf("send async %v: %v", q, err)
			}
			expectFrame(t, b, proto.KindMessage, "ops.a", "", "async:"+p, rt)
			if err := a.SendAsync(ctx, "nobody", nil, []byte(p), q, acks, 8); err != nil {
				t.Fatalf("send async %v: %v", q, err)
			}
			if err := a.SendAsync(ctx, "ops.b", nil, []byte("no handler"), q, nil, 9); err != nil {
				t.Fatalf("send async %v: %v", q, err)
			}
			expectFrame(t, b, proto.KindMessage, "ops.a", "", "no handler", rt)
			if q.NeedsAck() {
				for _, want := range []string{"7 OK", "8 NOT_REGISTERED"} {
					select {
					case got := <-acks.codes:
						if got != want {
							t.Fatalf("async ACK %q, want %q", got, want)
						}
					case <-ctx.Done():
						t.Fatal("async ACK not handled")
					}
				}
			}
			if err := a.Broadcast(ctx, "ops.*", []byte(p), q); err != nil {
				t.Fatalf("broadcast %v: %v", q, err)
			}
			expectFrame(t, a, proto.KindBroadcast, "ops.a", "", p, rt)
			expectFrame(t, b, proto.KindBroadcast, "ops.a", "", p, rt)

			topic := "t/" + q.String()
			if err := b.Subscribe(ctx, q, topic, "other/+"); err != nil {
				t.Fatalf("subscribe %v: %v", q, err)
			}
			settle(t, b)
			if err := a.Publish(ctx, topic, []byte(p), q); err != nil {
				t.Fatalf("publish %v: %v", q, err)
			}
			expectFrame(t, b, proto.KindPublish, "ops.a", topic, p, rt)
			if err := a.PublishFor(ctx, topic, "ops.b", []byte("for-"+p), q); err != nil {
				t.Fatalf("publish-for %v: %v", q, err)
			}
			expectFrame(t, b, proto.KindPublish, "ops.a", topic, "for-"+p, rt)
			// PUBLISH_FOR to a receiver that is not subscribed reaches nobody;
			// the marker that follows on the same connection proves it.
			if err := a.PublishFor(ctx, topic, "ops.a", []byte("nobody"), q); err != nil {
				t.Fatalf("publish-for other %v: %v", q, err)
			}
			if err := b.Exclude(ctx, q, topic); err != nil {
				t.Fatalf("exclude %v: %v", q, err)
			}
			settle(t, b)
			if err := a.Publish(ctx, topic, []byte("excluded"), q); err != nil {
				t.Fatal(err)
			}
			settle(t, a)
			if err := b.Unexclude(ctx, q, topic); err != nil {
				t.Fatalf("unexclude %v: %v", q, err)
			}
			settle(t, b)
			if err := a.Publish(ctx, topic, []byte("back"), q); err != nil {
				t.Fatal(err)
			}
			expectFrame(t, b, proto.KindPublish, "ops.a", topic, "back", rt)
			if err := b.Unsubscribe(ctx, q, topic, "other/+"); err != nil {
				t.Fatalf("unsubscribe %v: %v", q, err)
			}
			settle(t, b)
			if err := a.Publish(ctx, topic, []byte("gone"), q); err != nil {
				t.Fatal(err)
			}
			if err := a.Send(ctx, "ops.b", []byte("marker"), q); err != nil {
				t.Fatal(err)
			}
			expectFrame(t, b, proto.KindMessage, "ops.a", "", "marker", rt)
			if err := a.Ping(ctx); err != nil {
				t.Fatalf("ping: %v", err)
			}
		}
	})
}

func TestAckErrors(t *testing.T) {
	forEachTransport(t, func(t *testing.T, tb *testBroker) {
		a := tb.connect(t, "ack.a")
		ctx := ctxT(t)
		for _, q := range allQoS {
			err := a.Send(ctx, "nobody", []byte("x"), q)
			if q.NeedsAck() {
				if !errors.Is(err, proto.CodeNotRegistered.Err()) {
					t.Fatalf("%v: send to unknown target: %v, want NOT_REGISTERED", q, err)
				}
				var pe *proto.Error
				if !errors.As(err, &pe) || pe.Code != proto.CodeNotRegistered {
					t.Fatalf("%v: error %T %v is not a *proto.Error 0x71", q, err, err)
				}
			} else if err != nil {
				t.Fatalf("%v: send to unknown target without ACK: %v, want nil", q, err)
			}
		}
		// Broadcasts and publications nobody receives are still OK.
		if err := a.Broadcast(ctx, "none.*", nil, proto.QoSProcessed); err != nil {
			t.Fatal(err)
		}
		if err := a.Publish(ctx, "no/subscribers", nil, proto.QoSProcessed); err != nil {
			t.Fatal(err)
		}
	})
}

func TestEmptyTopicListAndPayloads(t *testing.T) {
	forEachTransport(t, func(t *testing.T, tb *testBroker) {
		a := tb.connect(t, "empty.a")
		ctx := ctxT(t)
		// No topics: one frame with empty data, which is the empty topic.
		if err := a.Subscribe(ctx, proto.QoSProcessed); err != nil {
			t.Fatal(err)
		}
		if err := a.Publish(ctx, "", nil, proto.QoSProcessed); err != nil {
			t.Fatal(err)
		}
		expectFrame(t, a, proto.KindPublish, "empty.a", "", "", false)
		if err := a.Exclude(ctx, proto.QoSProcessed); err != nil {
			t.Fatal(err)
		}
		if err := a.Publish(ctx, "", []byte("x"), proto.QoSProcessed); err != nil {
			t.Fatal(err)
		}
		if err := a.Send(ctx, "empty.a", []byte("zero\x00bytes"), proto.QoSProcessed); err != nil {
			t.Fatal(err)
		}
		expectFrame(t, a, proto.KindMessage, "empty.a", "", "zero\x00bytes", false)
	})
}

func TestLargePayloads(t *testing.T) {
	forEachTransport(t, func(t *testing.T, tb *testBroker) {
		a := tb.connect(t, "large.a")
		b := tb.connect(t, "large.b")
		ctx := ctxT(t)
		for _, n := range []int{rtclient.DefaultBufSize - 20, rtclient.DefaultBufSize, 100 << 10, 3 << 20} {
			p := bytes.Repeat([]byte{byte(n)}, n)
			p[0], p[n-1] = 'S', 'E'
			if err := a.Send(ctx, "large.b", p, proto.QoSProcessed); err != nil {
				t.Fatalf("%d bytes: %v", n, err)
			}
			f := recvFrame(t, b)
			if !bytes.Equal(f.Payload, p) {
				t.Fatalf("%d bytes: payload of %d bytes differs", n, len(f.Payload))
			}
			f.Release()
		}
	})
}

// TestOrderUnderLoad sends many frames of every QoS from two goroutines
// and checks that every frame arrives, in per-sender order.
func TestOrderUnderLoad(t *testing.T) {
	const n = 5000
	forEachTransport(t, func(t *testing.T, tb *testBroker) {
		r := tb.connect(t, "load.r")
		s1 := tb.connect(t, "load.s1")
		s2 := tb.connect(t, "load.s2")
		ctx := ctxT(t)
		errc := make(chan error, 2)
		for _, s := range []rtclient.Client{s1, s2} {
			go func() {
				for i := range n {
					if err := s.Send(ctx, "load.r", []byte(fmt.Sprint(i)), allQoS[i%4]); err != nil {
						errc <- err
						return
					}
				}
				errc <- nil
			}()
		}
		next := map[string]int{}
		for range 2 * n {
			f := recvFrame(t, r)
			if want := fmt.Sprint(next[string(f.Sender)]); string(f.Payload) != want {
				t.Fatalf("from %s got %s, want %s", f.Sender, f.Payload, want)
			}
			next[string(f.Sender)]++
			f.Release()
		}
		for range 2 {
			if err := <-errc; err != nil {
				t.Fatal(err)
			}
		}
	})
}

func TestSecondary(t *testing.T) {
	forEachTransport(t, func(t *testing.T, tb *testBroker) {
		p := tb.connect(t, "prim")
		ctx := ctxT(t)
		s0, err := p.RegisterSecondary(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer s0.Close()
		s1, err := p.RegisterSecondary(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer s1.Close()
		if s0.Name() != "prim%%0" || s1.Name() != "prim%%1" {
			t.Fatalf("secondary names %q %q", s0.Name(), s1.Name())
		}
		if _, err := s0.RegisterSecondary(ctx); !errors.Is(err, rtclient.ErrNotPrimary) {
			t.Fatalf("secondary of a secondary: %v", err)
		}
		if err := p.Send(ctx, "prim%%1", []byte("to-sec"), proto.QoSProcessed); err != nil {
			t.Fatal(err)
		}
		f := recvFrame(t, s1)
		if string(f.Payload) != "to-sec" || string(f.PrimarySender()) != "prim" {
			t.Fatalf("secondary got %q from %q", f.Payload, f.Sender)
		}
		f.Release()
		if err := s1.Send(ctx, "prim", []byte("from-sec"), proto.QoSProcessed); err != nil {
			t.Fatal(err)
		}
		f = recvFrame(t, p)
		if string(f.Sender) != "prim%%1" || string(f.PrimarySender()) != "prim" {
			t.Fatalf("sender %q primary %q", f.Sender, f.PrimarySender())
		}
		f.Release()
	})
}

func TestHandlerAndBacklog(t *testing.T) {
	forEachTransport(t, func(t *testing.T, tb *testBroker) {
		a := tb.connect(t, "hb.a")
		ctx := ctxT(t)
		// Queued before the handler is set: handed to it first, in order.
		for i := range 3 {
			if err := a.Send(ctx, "hb.a", []byte{byte('0' + i)}, proto.QoSProcessed); err != nil {
				t.Fatal(err)
			}
		}
		got := make(chan string, 10)
		a.SetHandler(func(f *rtclient.Frame) {
			got <- string(f.Payload)
			f.Release()
		})
		if err := a.Send(ctx, "hb.a", []byte("3"), proto.QoSProcessed); err != nil {
			t.Fatal(err)
		}
		for i := range 4 {
			select {
			case s := <-got:
				if s != fmt.Sprint(i) {
					t.Fatalf("frame %d: %q", i, s)
				}
			case <-ctx.Done():
				t.Fatal("handler got nothing")
			}
		}
		a.SetHandler(nil)
		if err := a.Send(ctx, "hb.a", []byte("q"), proto.QoSProcessed); err != nil {
			t.Fatal(err)
		}
		expectFrame(t, a, proto.KindMessage, "hb.a", "", "q", false)
	})
}

func TestClose(t *testing.T) {
	forEachTransport(t, func(t *testing.T, tb *testBroker) {
		a := tb.connect(t, "close.a")
		b := tb.connect(t, "close.b")
		ctx := ctxT(t)
		if !a.IsConnected() || a.Err() != nil {
			t.Fatal("not connected")
		}
		// Frames buffered without ACK are written by Close.
		if err := a.Send(ctx, "close.b", []byte("last"), proto.QoSNo); err != nil {
			t.Fatal(err)
		}
		if err := a.Close(); err != nil {
			t.Fatal(err)
		}
		expectFrame(t, b, proto.KindMessage, "close.a", "", "last", false)
		waitClosed(t, "done", a.Done())
		if a.IsConnected() || !errors.Is(a.Err(), rtclient.ErrClosed) {
			t.Fatalf("after close: connected %v err %v", a.IsConnected(), a.Err())
		}
		for _, err := range []error{
			a.Send(ctx, "close.b", nil, proto.QoSNo),
			a.Send(ctx, "close.b", nil, proto.QoSProcessed),
			a.Subscribe(ctx, proto.QoSProcessed, "x"),
			a.Ping(ctx),
		} {
			if !errors.Is(err, rtclient.ErrClosed) {
				t.Fatalf("operation after close: %v", err)
			}
		}
		if _, ok := <-a.Frames(); ok {
			t.Fatal("frame queue open after close")
		}
		if err := a.Close(); err != nil {
			t.Fatal("second close:", err)
		}
		// The name is free again once the broker has noticed.
		var c rtclient.Client
		var err error
		for range 1000 {
			if c, err = tb.tryConnect("close.a", rtclient.Config{}); !errors.Is(err, proto.CodeBusy.Err()) {
				break
			}
		}
		if err != nil {
			t.Fatal("reconnect:", err)
		}
		_ = c.Close()
	})
}

func TestRegistrationErrors(t *testing.T) {
	for _, kind := range []string{"unix", "tcp"} {
		t.Run(kind, func(t *testing.T) {
			tb := startBroker(t, kind)
			tb.connect(t, "dup")
			cases := []struct {
				name string
				code proto.Code
			}{
				{"dup", proto.CodeBusy},
				{".hidden", proto.CodeData},
				{"", proto.CodeData},
				{"absent%%1", proto.CodeNotRegistered},
			}
			for _, c := range cases {
				_, err := tb.tryConnect(c.name, rtclient.Config{})
				if !errors.Is(err, c.code.Err()) {
					t.Fatalf("register %q: %v, want %v", c.name, err, c.code)
				}
				if !strings.Contains(err.Error(), "register") {
					t.Fatalf("error does not say what failed: %v", err)
				}
			}
		})
	}
}
