package rtclient_test

import (
	"context"
	"testing"

	"github.com/busrt-go/busrt/proto"
	"github.com/busrt-go/busrt/rtclient"
)

// Benchmarks against a broker in a child process (UNIX, TCP) and in-process
// (embedded); payload 100 bytes as upstream's benchmark. Run with
// -benchmem.

const benchPayload = 100

// recvWindow bounds the frames in flight of BenchmarkSendRecvQoSNo.
const recvWindow = 2048

// benchClients returns a connected client per transport, named name.
func benchClients(b *testing.B, names ...string) map[string][]rtclient.Client {
	b.Helper()
	bp := startBrokerProcess(b)
	tb := startBroker(b, "embedded")
	out := map[string][]rtclient.Client{}
	for _, kind := range transports {
		for _, n := range names {
			var c rtclient.Client
			var err error
			switch kind {
			case "embedded":
				c, err = tb.tryConnect(n, rtclient.Config{})
			case "unix":
				c, err = rtclient.Dial(context.Background(), bp.unix, rtclient.Config{Name: n + ".unix"})
			case "tcp":
				c, err = rtclient.Dial(context.Background(), bp.tcp, rtclient.Config{Name: n + ".tcp"})
			}
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = c.Close() })
			out[kind] = append(out[kind], c)
		}
	}
	return out
}

func benchOp(b *testing.B, op func(c rtclient.Client) error) {
	clients := benchClients(b, "bench")
	for _, kind := range transports {
		c := clients[kind][0]
		c.SetHandler(func(f *rtclient.Frame) { f.Release() })
		b.Run(kind, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(benchPayload)
			for b.Loop() {
				if err := op(c); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkSendQoSNo(b *testing.B) {
	payload := make([]byte, benchPayload)
	benchOp(b, func(c rtclient.Client) error {
		return c.Send(context.Background(), "bench.absent", payload, proto.QoSNo)
	})
}

// BenchmarkSendProcessed waits for every ACK (upstream's send.qos.processed:
// RealtimeProcessed to an absent target, ACK 71 ignored).
func BenchmarkSendProcessed(b *testing.B) {
	payload := make([]byte, benchPayload)
	benchOp(b, func(c rtclient.Client) error {
		_ = c.Send(context.Background(), "bench.absent", payload, proto.QoSRealtimeProcessed)
		return nil
	})
}

func BenchmarkPublishQoSNo(b *testing.B) {
	payload := make([]byte, benchPayload)
	benchOp(b, func(c rtclient.Client) error {
		return c.Publish(context.Background(), "bench/topic", payload, proto.QoSNo)
	})
}

func BenchmarkPublishProcessed(b *testing.B) {
	payload := make([]byte, benchPayload)
	benchOp(b, func(c rtclient.Client) error {
		return c.Publish(context.Background(), "bench/topic", payload, proto.QoSRealtimeProcessed)
	})
}

// BenchmarkSendRecvQoSNo sends to itself and receives every frame
// (upstream's send+recv.qos.no). At most recvWindow frames are in flight:
// a sender that outruns its own reader fills the broker's queue for it,
// and the broker then disconnects it (ROUTING.md §9).
func BenchmarkSendRecvQoSNo(b *testing.B) {
	payload := make([]byte, benchPayload)
	clients := benchClients(b, "bench.self")
	for _, kind := range transports {
		c := clients[kind][0]
		b.Run(kind, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(benchPayload)
			done := make(chan struct{})
			window := make(chan struct{}, recvWindow)
			n := b.N
			go func() {
				defer close(done)
				for range n {
					f, ok := <-c.Frames()
					if !ok {
						b.Error(c.Err())
						return
					}
					f.Release()
					<-window
				}
			}()
			for range n {
				window <- struct{}{}
				if err := c.Send(context.Background(), c.Name(), payload, proto.QoSNo); err != nil {
					b.Fatal(err)
				}
			}
			<-done
		})
	}
}

// BenchmarkRPCCall measures call round trips with QoS RealtimeProcessed, as
// upstream's rpc.call (to `.broker` benchmark.test) and rpc.call+handle (to
// an rtclient handler that echoes) stages do.
func BenchmarkRPCCall(b *testing.B) {
	params := make([]byte, benchPayload)
	clients := benchClients(b, "bench.caller", "bench.callee")
	for _, kind := range transports {
		caller := rtclient.NewRPC(clients[kind][0], rtclient.RPCConfig{})
		callee := rtclient.NewRPC(clients[kind][1], rtclient.RPCConfig{})
		callee.Handle("benchmark.selftest", echo)
		for _, target := range []struct{ name, to, method string }{
			{"broker", rtclient.BrokerTarget, "benchmark.test"},
			{"handler", callee.Client().Name(), "benchmark.selftest"},
		} {
			b.Run(kind+"/"+target.name, func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(benchPayload)
				for b.Loop() {
					rep, err := caller.Call(context.Background(), target.to, target.method, params, proto.QoSRealtimeProcessed)
					if err != nil {
						b.Fatal(err)
					}
					rep.Release()
				}
			})
			b.Run(kind+"/"+target.name+"/parallel", func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(benchPayload)
				b.SetParallelism(8)
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						rep, err := caller.Call(context.Background(), target.to, target.method, params, proto.QoSRealtimeProcessed)
						if err != nil {
							b.Error(err)
							return
						}
						rep.Release()
					}
				})
			})
		}
	}
}

// BenchmarkRPCCall0 is upstream's rpc.call0: call id 0 to an absent target,
// waiting for each ACK (71, ignored).
func BenchmarkRPCCall0(b *testing.B) {
	params := make([]byte, benchPayload)
	clients := benchClients(b, "bench.call0")
	for _, kind := range transports {
		r := rtclient.NewRPC(clients[kind][0], rtclient.RPCConfig{})
		b.Run(kind, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(benchPayload)
			for b.Loop() {
				_ = r.Call0(context.Background(), "bench.absent", "test", params, proto.QoSRealtimeProcessed)
			}
		})
	}
}
