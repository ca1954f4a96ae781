package proto

import "testing"

// Benchmarks for a frame with a 100-byte payload: decode and encode in both
// directions, the RPC layer on top, and the handshake. All must report
// 0 B/op, 0 allocs/op.

var (
	benchSender  = []byte("test.client")
	benchTarget  = []byte("worker.1")
	benchTopic   = []byte("test/topic")
	benchPayload = make([]byte, 100)
	benchMethod  = []byte("benchmark.test")
)

func BenchmarkDecodeClientFrame(b *testing.B) {
	frame := AppendPublish(nil, 1, QoSProcessed, benchTopic, benchPayload)
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	for b.Loop() {
		h, data, n, err := NextClientFrame(frame, 0)
		if err != nil || n != len(frame) {
			b.Fatal(err)
		}
		sinkData, sinkErr = SplitData(h.Op, data)
	}
}

func BenchmarkEncodeClientFrame(b *testing.B) {
	buf := make([]byte, 0, 256)
	b.SetBytes(int64(len(AppendPublish(nil, 1, QoSProcessed, benchTopic, benchPayload))))
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendPublish(buf[:0], 1, QoSProcessed, benchTopic, benchPayload)
	}
	sinkBytes = buf
}

func BenchmarkDecodeBrokerFrame(b *testing.B) {
	frame := AppendDelivery(nil, KindPublish, false, benchSender, benchTopic, benchPayload)
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	for b.Loop() {
		h, data, n, err := NextBrokerFrame(frame, 0)
		if err != nil || n != len(frame) {
			b.Fatal(err)
		}
		sinkBytes, sinkBytes, sinkBytes, sinkErr = SplitDelivery(h.Kind, data)
	}
}

func BenchmarkEncodeBrokerFrame(b *testing.B) {
	buf := make([]byte, 0, 256)
	b.SetBytes(int64(len(AppendDelivery(nil, KindPublish, false, benchSender, benchTopic, benchPayload))))
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendDelivery(buf[:0], KindPublish, false, benchSender, benchTopic, benchPayload)
	}
	sinkBytes = buf
}

func BenchmarkEncodeRPCRequest(b *testing.B) {
	buf := make([]byte, 0, 256)
	n := RPCRequestHeaderLen(benchMethod) + len(benchPayload)
	b.SetBytes(int64(ClientHeaderSize + len(benchTarget) + 1 + n))
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendTargetedHeader(buf[:0], 1, OpMessage, QoSProcessed, benchTarget, n)
		buf = AppendRPCRequest(buf, 1, benchMethod, benchPayload)
	}
	sinkBytes = buf
}

func BenchmarkDecodeRPCRequest(b *testing.B) {
	frame := AppendDelivery(nil, KindMessage, false, benchSender, nil, AppendRPCRequest(nil, 1, benchMethod, benchPayload))
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	for b.Loop() {
		h, data, _, _ := NextBrokerFrame(frame, 0)
		_, _, payload, _ := SplitDelivery(h.Kind, data)
		sinkEvent, sinkErr = ParseRPCEvent(payload)
	}
}

func BenchmarkTopics(b *testing.B) {
	data := []byte("a/+\x00b/#\x00c/d/e\x00f")
	b.ReportAllocs()
	for b.Loop() {
		it := Topics(data)
		for tp, ok := it.Next(); ok; tp, ok = it.Next() {
			sinkBytes = tp
		}
	}
}

func BenchmarkServerHandshake(b *testing.B) {
	c2b := append(AppendGreeting(nil), 11, 0)
	c2b = append(c2b, benchSender...)
	b.ReportAllocs()
	for b.Loop() {
		var hs ServerHandshake
		n, _, _ := hs.Feed(c2b)
		_, _, sinkBytes = hs.Feed(c2b[n:])
	}
}
