//go:build !race

package proto

import (
	"runtime"
	"testing"
)

// Allocation guards (STYLE.md, DECISIONS.md): every hot path must allocate
// nothing. testing.AllocsPerRun rounds down, so each case is also run many
// times between two runtime.MemStats readings whose Mallocs must not move.
// The race detector allocates, hence the build tag.

type allocCase struct {
	name string
	f    func()
}

func assertNoAllocs(t *testing.T, cases []allocCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if n := testing.AllocsPerRun(1000, c.f); n != 0 {
				t.Fatalf("AllocsPerRun = %v, want 0", n)
			}
			// Same conditions as AllocsPerRun: one P, so nothing else runs.
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			for range 20000 {
				c.f()
			}
			runtime.ReadMemStats(&after)
			if d := after.Mallocs - before.Mallocs; d != 0 {
				t.Fatalf("%d mallocs over 20000 runs, want 0", d)
			}
		})
	}
}

func TestAllocDecode(t *testing.T) {
	publish := hx(t, clientVectors[1].hex)
	publishFor := hx(t, clientVectors[9].hex)
	subscribe := hx(t, clientVectors[2].hex)
	delivery := hx(t, brokerVectors[1].hex)
	ack := hx(t, brokerVectors[2].hex)
	bad := hx(t, "01 00 00 00 3f 00 00 00 00")
	// Inputs live outside the closures: a literal inside would escape into
	// the sinks and be counted against the code under test.
	badTarget := []byte{'a', 0xff, 0, 'p'}
	secondary := []byte("app%%1")
	assertNoAllocs(t, []allocCase{
		{"DecodeHeader", func() { sinkHeader, sinkErr = DecodeHeader(publish, 1<<20) }},
		{"DecodeHeader error", func() { sinkHeader, sinkErr = DecodeHeader(bad, 0) }},
		{"DecodeBrokerHeader", func() { sinkBroker, sinkErr = DecodeBrokerHeader(ack) }},
		{"NextClientFrame", func() { sinkHeader, sinkBytes, sinkInt, sinkErr = NextClientFrame(publish, 0) }},
		{"NextBrokerFrame", func() { sinkBroker, sinkBytes, sinkInt, sinkErr = NextBrokerFrame(delivery, 0) }},
		{"SplitData publish", func() { sinkData, sinkErr = SplitData(OpPublish, publish[9:]) }},
		{"SplitData publish for", func() { sinkData, sinkErr = SplitData(OpPublishFor, publishFor[9:]) }},
		{"SplitData error", func() { sinkData, sinkErr = SplitData(OpMessage, badTarget) }},
		{"SplitTarget", func() { sinkBytes, sinkBytes, sinkErr = SplitTarget(publish[9:]) }},
		{"SplitPublishFor", func() { sinkBytes, sinkBytes, sinkBytes, sinkErr = SplitPublishFor(publishFor[9:]) }},
		{"SplitDelivery", func() { sinkBytes, sinkBytes, sinkBytes, sinkErr = SplitDelivery(KindPublish, delivery[6:]) }},
		{"CheckNopData", func() { sinkErr = CheckNopData(publish[9:]) }},
		{"Topics", func() {
			it := Topics(subscribe[9:])
			for tp, ok := it.Next(); ok; tp, ok = it.Next() {
				sinkBytes = tp
			}
		}},
		{"CountTopics", func() { sinkInt = CountTopics(subscribe[9:]) }},
		{"ValidTopics", func() { sinkBool = ValidTopics(subscribe[9:]) }},
		{"PrimaryName", func() { sinkBytes = PrimaryName(secondary); sinkBool = IsSecondary(sinkBytes) }},
		{"CheckName", func() { _, sinkBool = CheckName(delivery[6:17]) }},
		{"Code.Err", func() { sinkErr = CodeTimeout.Err() }},
	})
}

func TestAllocEncode(t *testing.T) {
	buf := make([]byte, 0, 4096)
	name := []byte("worker.1")
	topic := []byte("test/topic")
	payload := make([]byte, 100)
	t1, t2 := []byte("a/+"), []byte("b/#")
	assertNoAllocs(t, []allocCase{
		{"AppendClientHeader", func() { sinkBytes = AppendClientHeader(buf[:0], 1, OpMessage, QoSProcessed, 5) }},
		{"AppendPing", func() { sinkBytes = AppendPing(buf[:0]) }},
		{"AppendTargetedHeader", func() { sinkBytes = AppendTargetedHeader(buf[:0], 1, OpMessage, QoSNo, name, 100) }},
		{"AppendTargeted", func() { sinkBytes = AppendTargeted(buf[:0], 1, OpMessage, QoSNo, name, payload) }},
		{"AppendMessage", func() { sinkBytes = AppendMessage(buf[:0], 1, QoSProcessed, name, payload) }},
		{"AppendBroadcast", func() { sinkBytes = AppendBroadcast(buf[:0], 1, QoSProcessed, name, payload) }},
		{"AppendPublish", func() { sinkBytes = AppendPublish(buf[:0], 1, QoSProcessed, topic, payload) }},
		{"AppendPublishFor", func() { sinkBytes = AppendPublishFor(buf[:0], 1, QoSProcessed, topic, name, payload) }},
		{"AppendTopics", func() { sinkBytes = AppendTopics(buf[:0], 1, OpSubscribe, QoSProcessed, t1, t2) }},
		{"AppendSubscribe", func() { sinkBytes = AppendSubscribe(buf[:0], 1, QoSProcessed, t1, t2) }},
		{"AppendUnsubscribe", func() { sinkBytes = AppendUnsubscribe(buf[:0], 1, QoSProcessed, t1) }},
		{"AppendExclude", func() { sinkBytes = AppendExclude(buf[:0], 1, QoSProcessed, t1) }},
		{"AppendUnexclude", func() { sinkBytes = AppendUnexclude(buf[:0], 1, QoSProcessed, t1) }},
		{"AppendBrokerHeader", func() { sinkBytes = AppendBrokerHeader(buf[:0], KindMessage, 5, true) }},
		{"AppendDeliveryHeader", func() { sinkBytes = AppendDeliveryHeader(buf[:0], KindPublish, false, name, topic, 100) }},
		{"AppendDelivery", func() { sinkBytes = AppendDelivery(buf[:0], KindPublish, false, name, topic, payload) }},
		{"AppendAck", func() { sinkBytes = AppendAck(buf[:0], 7, CodeNotRegistered) }},
		{"AppendBrokerPing", func() { sinkBytes = AppendBrokerPing(buf[:0]) }},
		{"AppendGreeting", func() { sinkBytes = AppendGreeting(buf[:0]) }},
		{"AppendName", func() { sinkBytes, sinkErr = AppendName(buf[:0], "test.client") }},
	})
}

func TestAllocRPC(t *testing.T) {
	buf := make([]byte, 0, 4096)
	method := []byte("benchmark.test")
	params := make([]byte, 100)
	request := AppendRPCRequest(nil, 1, method, params)
	errReply := hx(t, rpcVectors[2].hex)
	assertNoAllocs(t, []allocCase{
		{"ParseRPCEvent request", func() { sinkEvent, sinkErr = ParseRPCEvent(request) }},
		{"ParseRPCEvent error", func() { sinkEvent, sinkErr = ParseRPCEvent(errReply) }},
		{"ParseRPCEvent invalid", func() { sinkEvent, sinkErr = ParseRPCEvent(request[:5]) }},
		{"AppendRPCNotification", func() { sinkBytes = AppendRPCNotification(buf[:0], params) }},
		{"AppendRPCRequestHeader", func() { sinkBytes = AppendRPCRequestHeader(buf[:0], 1, method) }},
		{"AppendRPCRequest", func() { sinkBytes = AppendRPCRequest(buf[:0], 1, method, params) }},
		{"AppendRPCReplyHeader", func() { sinkBytes = AppendRPCReplyHeader(buf[:0], 1) }},
		{"AppendRPCReply", func() { sinkBytes = AppendRPCReply(buf[:0], 1, params) }},
		{"AppendRPCErrorHeader", func() { sinkBytes = AppendRPCErrorHeader(buf[:0], 1, RPCErrInternal) }},
		{"AppendRPCError", func() { sinkBytes = AppendRPCError(buf[:0], 1, RPCErrInternal, params) }},
		{"RPCCodeFromBus", func() {
			sinkCode = RPCCodeFromBus(CodeTimeout) + UpstreamRPCCodeFromBus(CodeTimeout)
			_, sinkBool = BusCodeFromRPC(sinkCode)
		}},
	})
}

func TestAllocHandshake(t *testing.T) {
	c2b := hx(t, hsGreeting+hsName+clientVectors[1].hex)
	b2c := hx(t, hsGreeting+"01 01")
	out := make([]byte, 0, 64)
	badVersion := []byte{0xeb, 2, 0}
	busy := []byte{0x76}
	assertNoAllocs(t, []allocCase{
		{"ServerHandshake", func() {
			var hs ServerHandshake
			in := c2b
			for {
				n, ev, name := hs.Feed(in)
				if ev == ServerNeedMore || ev == ServerDone || ev == ServerRejected {
					break
				}
				sinkBytes = name
				in = in[n:]
			}
			sinkInt = len(in)
		}},
		{"ServerHandshake rejected", func() {
			var hs ServerHandshake
			_, ev, _ := hs.Feed(badVersion)
			sinkBool, sinkErr = ev == ServerRejected, hs.Err()
		}},
		{"ClientHandshake", func() {
			hs, _ := NewClientHandshake("test.client")
			in, o := b2c, out[:0]
			for !hs.Done() {
				n, o2, err := hs.Feed(in, o)
				if err != nil || n == 0 {
					break
				}
				in, o = in[n:], o2
			}
			sinkBytes = o
		}},
		{"ClientHandshake failed", func() {
			hs, _ := NewClientHandshake("test.client")
			_, sinkBytes, _ = hs.Feed(b2c[:3], out[:0])
			_, sinkBytes, sinkErr = hs.Feed(busy, out[:0])
		}},
	})
}
