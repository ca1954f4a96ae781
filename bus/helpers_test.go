package bus

import (
	"bytes"
	"encoding/hex"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/busrt-go/busrt/proto"
	"github.com/busrt-go/busrt/topictrie"
)

// recSink records the wire bytes of every frame queued to a client, with an
// optional frame limit that makes Enqueue report a full queue.
type recSink struct {
	mu        sync.Mutex
	buf       []byte
	frames    int
	limit     int // 0 = unlimited
	discon    int
	flushed   bool
	signalled chan struct{}
}

func newRecSink() *recSink { return &recSink{signalled: make(chan struct{}, 1)} }

func (s *recSink) Enqueue(_ any, f Frame) proto.Code {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.discon > 0 {
		return proto.CodeEOF
	}
	if f.Kind != proto.KindAck && s.limit > 0 && s.frames >= s.limit {
		return proto.CodeNotDelivered
	}
	s.buf = f.AppendTo(s.buf)
	s.frames++
	select {
	case s.signalled <- struct{}{}:
	default:
	}
	return proto.CodeOK
}

func (s *recSink) Disconnect(flush bool) {
	s.mu.Lock()
	s.discon++
	s.flushed = flush
	s.mu.Unlock()
}

func (s *recSink) Queued() int { return 0 }

func (s *recSink) disconnected() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.discon
}

// take removes and returns everything recorded so far.
func (s *recSink) take() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.buf
	s.buf = nil
	s.frames = 0
	return b
}

// waitLen waits until at least n bytes are recorded.
func (s *recSink) waitLen(t *testing.T, n int) []byte {
	t.Helper()
	deadline := time.After(2 * time.Second)
	for {
		s.mu.Lock()
		l := len(s.buf)
		s.mu.Unlock()
		if l >= n {
			return s.take()
		}
		select {
		case <-s.signalled:
		case <-deadline:
			t.Fatalf("timed out waiting for %d bytes, have %d: %x", n, l, s.take())
		}
	}
}

type peer struct {
	t    *testing.T
	c    *Client
	sink *recSink
	id   uint32
}

func newBroker(t *testing.T, cfg Config) *Broker {
	t.Helper()
	b := New(cfg)
	t.Cleanup(func() {
		if core := b.core.Load(); core != nil {
			core.Close()
		}
	})
	return b
}

func connect(t *testing.T, b *Broker, name string) *peer {
	t.Helper()
	p, code := tryConnect(t, b, name, ConnInfo{Kind: KindLocalIPC, Port: "/tmp/test.sock"})
	if code != proto.CodeOK {
		t.Fatalf("register %q: %v", name, code)
	}
	return p
}

func tryConnect(t *testing.T, b *Broker, name string, info ConnInfo) (*peer, proto.Code) {
	t.Helper()
	s := newRecSink()
	c, code := b.RegisterSocket([]byte(name), info, s)
	return &peer{t: t, c: c, sink: s}, code
}

// do sends one frame built by proto's encoder through Process.
func (p *peer) do(frame []byte) error {
	p.t.Helper()
	h, err := proto.DecodeHeader(frame, 0)
	if err != nil {
		p.t.Fatalf("bad test frame: %v", err)
	}
	return p.c.Process(p, h, frame[proto.ClientHeaderSize:])
}

func (p *peer) next() uint32 { p.id++; return p.id }

func (p *peer) send(qos proto.QoS, target, payload string) uint32 {
	id := p.next()
	if err := p.do(proto.AppendMessage(nil, id, qos, []byte(target), []byte(payload))); err != nil {
		p.t.Fatal(err)
	}
	return id
}

func (p *peer) publish(qos proto.QoS, topic, payload string) uint32 {
	id := p.next()
	if err := p.do(proto.AppendPublish(nil, id, qos, []byte(topic), []byte(payload))); err != nil {
		p.t.Fatal(err)
	}
	return id
}

func (p *peer) broadcast(qos proto.QoS, mask, payload string) uint32 {
	id := p.next()
	if err := p.do(proto.AppendBroadcast(nil, id, qos, []byte(mask), []byte(payload))); err != nil {
		p.t.Fatal(err)
	}
	return id
}

func (p *peer) topics(op proto.Op, qos proto.QoS, topics ...string) uint32 {
	id := p.next()
	ts := make([][]byte, len(topics))
	for i, t := range topics {
		ts[i] = []byte(t)
	}
	if err := p.do(proto.AppendTopics(nil, id, op, qos, ts...)); err != nil {
		p.t.Fatal(err)
	}
	return id
}

func (p *peer) subscribe(topics ...string) {
	p.topics(proto.OpSubscribe, proto.QoSNo, topics...)
}

// expect checks the next recorded bytes.
func (p *peer) expect(want []byte) {
	p.t.Helper()
	got := p.sink.take()
	if !bytes.Equal(got, want) {
		p.t.Fatalf("%s received\n got %x\nwant %x", p.c.Name(), got, want)
	}
}

func (p *peer) expectNothing() { p.t.Helper(); p.expect(nil) }

func ack(id uint32, code proto.Code) []byte { return proto.AppendAck(nil, id, code) }

func msg(rt bool, sender, payload string) []byte {
	return proto.AppendDelivery(nil, proto.KindMessage, rt, []byte(sender), nil, []byte(payload))
}

func pub(sender, topic, payload string) []byte {
	return proto.AppendDelivery(nil, proto.KindPublish, false, []byte(sender), []byte(topic), []byte(payload))
}

func bcast(sender, payload string) []byte {
	return proto.AppendDelivery(nil, proto.KindBroadcast, false, []byte(sender), nil, []byte(payload))
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var tcpPeer = netip.MustParseAddr("127.0.0.1")

func netipMust(s string) netip.Addr { return netip.MustParseAddr(s) }

func newScratchForTest() *topictrie.Scratch { return topictrie.NewScratch() }
