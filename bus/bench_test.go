package bus

import (
	"fmt"
	"testing"

	"github.com/busrt-go/busrt/proto"
)

func benchRoute(b *testing.B, subscribers int, frame []byte) {
	rb := newRouteBench(b, subscribers)
	h, d := frameOf(frame)
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := rb.sender.Process(rb.origin, h, d); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	delivered := 0
	for _, s := range rb.sinks {
		delivered += s.frames
	}
	b.ReportMetric(float64(delivered)/b.Elapsed().Seconds(), "frames/s")
}

func BenchmarkPublishFanout(b *testing.B) {
	payload := make([]byte, 100)
	for _, n := range []int{1, 10, 1000} {
		b.Run(fmt.Sprintf("subs=%d", n), func(b *testing.B) {
			benchRoute(b, n, proto.AppendPublish(nil, 1, proto.QoSNo, []byte("bench/a/b"), payload))
		})
	}
}

func BenchmarkDirectMessage(b *testing.B) {
	benchRoute(b, 2, proto.AppendMessage(nil, 1, proto.QoSProcessed, []byte("bench.r1"), make([]byte, 100)))
}

func BenchmarkBroadcast100(b *testing.B) {
	benchRoute(b, 100, proto.AppendBroadcast(nil, 1, proto.QoSNo, []byte("bench.*"), make([]byte, 100)))
}

// BenchmarkPublishParallel routes publications from one sender per
// goroutine to 10 shared subscribers.
func BenchmarkPublishParallel(b *testing.B) {
	rb := newRouteBench(b, 0)
	var code proto.Code
	for i := 0; i < 10; i++ {
		c, _ := rb.b.RegisterSocket([]byte(fmt.Sprintf("sub%d", i)), ConnInfo{}, nullSink{})
		h, d := frameOf(proto.AppendTopics(nil, 1, proto.OpSubscribe, proto.QoSNo, []byte("p/#")))
		_ = c.Process(nil, h, d)
	}
	h, d := frameOf(proto.AppendPublish(nil, 1, proto.QoSNo, []byte("p/x"), make([]byte, 100)))
	n := 0
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		var c *Client
		for c == nil {
			n++
			c, code = rb.b.RegisterSocket([]byte(fmt.Sprintf("par%d-%p", n, pb)), ConnInfo{}, nullSink{})
			_ = code
		}
		origin := NewScratch(nil)
		for pb.Next() {
			_ = c.Process(origin, h, d)
		}
	})
	b.ReportMetric(float64(b.N)*10/b.Elapsed().Seconds(), "frames/s")
}

type nullSink struct{}

func (nullSink) Enqueue(any, Frame) proto.Code { return proto.CodeOK }
func (nullSink) Disconnect(bool)               {}
func (nullSink) Queued() int                   { return 0 }

// BenchmarkCoreBenchmarkTest measures `.broker` `benchmark.test` round trips
// from an embedded caller.
func BenchmarkCoreBenchmarkTest(b *testing.B) {
	br := New(Config{})
	e, _ := br.Register("caller")
	req := proto.AppendRPCRequest(nil, 1, []byte("benchmark.test"), make([]byte, 100))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := e.Send(CoreName, req, proto.QoSRealtimeProcessed); err != nil {
			b.Fatal(err)
		}
		(<-e.Frames()).Release()
	}
}

// countSink is a Sink that encodes every frame into one reused buffer, like
// a transport whose pending buffer has reached its steady-state size.
type countSink struct {
	buf    []byte
	frames int
}

func (s *countSink) Enqueue(_ any, f Frame) proto.Code {
	if len(s.buf) > 1<<16 {
		s.buf = s.buf[:0]
	}
	s.buf = f.AppendTo(s.buf)
	s.frames++
	return proto.CodeOK
}
func (s *countSink) Disconnect(bool) {}
func (s *countSink) Queued() int     { return 0 }

type routeBench struct {
	b      *Broker
	sender *Client
	sink   *countSink
	origin *Scratch
	sinks  []*countSink
}

// newRouteBench registers a sender and n receivers subscribed to "bench/#".
func newRouteBench(tb testing.TB, n int) *routeBench {
	tb.Helper()
	rb := &routeBench{b: New(Config{NoCoreService: true}), sink: &countSink{buf: make([]byte, 0, 1<<17)}}
	rb.origin = NewScratch(nil)
	var code proto.Code
	rb.sender, code = rb.b.RegisterSocket([]byte("bench.sender"), ConnInfo{Kind: KindLocalIPC}, rb.sink)
	if code != proto.CodeOK {
		tb.Fatal(code)
	}
	for i := 0; i < n; i++ {
		s := &countSink{buf: make([]byte, 0, 1<<17)}
		c, code := rb.b.RegisterSocket([]byte(fmt.Sprintf("bench.r%d", i)), ConnInfo{Kind: KindLocalIPC}, s)
		if code != proto.CodeOK {
			tb.Fatal(code)
		}
		h, _ := proto.DecodeHeader(proto.AppendTopics(nil, 1, proto.OpSubscribe, proto.QoSNo, []byte("bench/#")), 0)
		if err := c.Process(s, h, []byte("bench/#")); err != nil {
			tb.Fatal(err)
		}
		rb.sinks = append(rb.sinks, s)
	}
	return rb
}

func frameOf(b []byte) (proto.Header, []byte) {
	h, _ := proto.DecodeHeader(b, 0)
	return h, b[proto.ClientHeaderSize:]
}
