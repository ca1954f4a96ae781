package netloop

import (
	"io"
	"net"
	"testing"
	"time"

	"github.com/busrt-go/busrt/bus"
	"github.com/busrt-go/busrt/proto"
)

// pathCase is one hot path pushed through a real connection pair: the
// sender writes frame, the receiver reads rcvLen bytes, the sender reads
// ackLen bytes (its ACK).
type pathCase struct {
	name   string
	frame  []byte
	rcvLen int
	ackLen int
}

// pathPairLife bounds a pathPair's round trips: far above what a test or
// benchmark needs, well below go test's timeout.
const pathPairLife = 3 * time.Minute

// pathPair is a sender and a receiver registered on a fresh server.
type pathPair struct {
	ts       *testServer
	snd, rcv net.Conn
	cases    []pathCase
	buf      []byte
}

func newPathPair(t testing.TB, loops int, network string) *pathPair {
	ts := startServer(t, serverOpts{
		bus: bus.Config{Timeout: time.Hour}, // no broker pings during measurements
		net: Config{Loops: loops},
	})
	snd := ts.client(network, "snd")
	rcv := ts.client(network, "rcv")
	rcv.subscribe("bench/#")
	payload := make([]byte, 64)
	msg := proto.AppendMessage(nil, 1, proto.QoSProcessed, []byte("rcv"), payload)
	pub := proto.AppendPublish(nil, 2, proto.QoSNo, []byte("bench/x"), payload)
	ack := proto.AppendPublish(nil, 3, proto.QoSProcessed, []byte("nobody/x"), payload)
	p := &pathPair{ts: ts, snd: snd.nc, rcv: rcv.nc, buf: make([]byte, 4096)}
	// registering and subscribing left waitTimeout deadlines on both
	// connections; the round trips below (thousands, slow ones with two
	// loops under AllocsPerRun's GOMAXPROCS=1) must not run into them.
	// One generous deadline for the pair's life, not one per frame: a
	// deadline change would be measured with the frame.
	for _, nc := range []net.Conn{p.snd, p.rcv} {
		if err := nc.SetDeadline(time.Now().Add(pathPairLife)); err != nil {
			t.Fatal(err)
		}
	}
	p.cases = []pathCase{
		{"message", msg, proto.BrokerHeaderSize + proto.DeliveryLen(proto.KindMessage, []byte("snd"), nil, len(payload)), proto.BrokerHeaderSize},
		{"publish", pub, proto.BrokerHeaderSize + proto.DeliveryLen(proto.KindPublish, []byte("snd"), []byte("bench/x"), len(payload)), 0},
		{"ack", ack, 0, proto.BrokerHeaderSize},
	}
	// warm up every path (pools, buffers, doorbells)
	for _, c := range p.cases {
		for range 2000 {
			p.roundTrip(t, c)
		}
	}
	return p
}

func (p *pathPair) roundTrip(t testing.TB, c pathCase) {
	if _, err := p.snd.Write(c.frame); err != nil {
		t.Fatal(err)
	}
	if c.rcvLen > 0 {
		if _, err := io.ReadFull(p.rcv, p.buf[:c.rcvLen]); err != nil {
			t.Fatal(err)
		}
	}
	if c.ackLen > 0 {
		if _, err := io.ReadFull(p.snd, p.buf[:c.ackLen]); err != nil {
			t.Fatal(err)
		}
	}
}

// BenchmarkPath measures one frame's round trip through the broker for
// the message, publish and ack paths, with sender and receiver on the
// same loop (loops=1) or on different loops (loops=2, the doorbell path).
func BenchmarkPath(b *testing.B) {
	for _, loops := range []int{1, 2} {
		for _, nw := range []string{"unix", "tcp"} {
			p := newPathPair(b, loops, nw)
			for _, c := range p.cases {
				b.Run(nw+"/loops="+string(rune('0'+loops))+"/"+c.name, func(b *testing.B) {
					b.ReportAllocs()
					for b.Loop() {
						p.roundTrip(b, c)
					}
				})
			}
			p.ts.stop()
		}
	}
}

// BenchmarkWake compares the two ways to wake another loop, through the
// cross-loop message and publish paths: the doorbell (a byte on an
// enrolled socketpair) and gnet's EventLoop.Execute (a closure per wake).
func BenchmarkWake(b *testing.B) {
	for _, mode := range []string{"doorbell", "execute"} {
		doorbellsEnabled = mode == "doorbell"
		p := newPathPair(b, 2, "unix")
		doorbellsEnabled = true
		for _, c := range p.cases[:2] {
			b.Run(mode+"/"+c.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					p.roundTrip(b, c)
				}
			})
		}
		pipelined(b, p, mode+"/pipelined")
		p.ts.stop()
	}
}

// BenchmarkPipelined measures throughput: batches of 256 messages in one
// write, read back in bulk, sender and receiver on different loops.
func BenchmarkPipelined(b *testing.B) {
	p := newPathPair(b, 2, "unix")
	pipelined(b, p, "unix/loops=2")
}

func pipelined(b *testing.B, p *pathPair, name string) {
	c := p.cases[0]
	var batch []byte
	for i := range 256 {
		batch = proto.AppendMessage(batch, uint32(i+1), proto.QoSNo, []byte("rcv"), make([]byte, 64))
	}
	rcvBuf := make([]byte, 256*c.rcvLen)
	b.Run(name, func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(batch)))
		for b.Loop() {
			if _, err := p.snd.Write(batch); err != nil {
				b.Fatal(err)
			}
			if _, err := io.ReadFull(p.rcv, rcvBuf); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*256), "ns/frame")
	})
}
