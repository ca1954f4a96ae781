package netloop

import (
	"bytes"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/busrt-go/busrt/bus"
	"github.com/busrt-go/busrt/proto"
)

// TestOverflowQueueSizeOne pins upstream's edge (overflow.json): with a
// queue of one frame, the frame being written does not count, the next one
// fills the queue, the one after is refused (ACK 77) and the receiver is
// dropped, on the same loop and across loops.
func TestOverflowQueueSizeOne(t *testing.T) {
	for _, loops := range []int{1, 2} {
		t.Run(fmt.Sprintf("loops=%d", loops), func(t *testing.T) {
			ts := startServer(t, serverOpts{bus: bus.Config{QueueSize: 1}, net: Config{Loops: loops}})
			mon := ts.client("unix", "mon")
			mon.subscribe(".broker/info")
			_ = ts.client("unix", "slow") // never reads
			mon.expectAnnouncement("reg", "slow")
			fast := ts.client("tcp", "fast")
			mon.expectAnnouncement("reg", "fast")

			big := bytes.Repeat([]byte{'x'}, 4<<20)
			fast.send(proto.AppendMessage(nil, 1, proto.QoSProcessed, []byte("slow"), big))
			fast.expectAck(1, proto.CodeOK)
			id := fast.message(proto.QoSProcessed, "slow", "second")
			fast.expectAck(id, proto.CodeOK)
			id = fast.message(proto.QoSProcessed, "slow", "third")
			fast.expectAck(id, proto.CodeNotDelivered)
			mon.expectAnnouncement("unreg", "slow")
			id = fast.message(proto.QoSProcessed, "slow", "fourth")
			fast.expectAck(id, proto.CodeNotRegistered)
		})
	}
}

// TestSlowReaderDropped: a subscriber that stops reading is dropped once
// its queue is full; the publisher and a reading subscriber carry on and
// the reading one gets every frame in order.
func TestSlowReaderDropped(t *testing.T) {
	// the slow reader connects to a listener with a small queue; the
	// others use the TCP listener with the default 8192 frames, so a
	// reader slowed by the race detector is not mistaken for a dead one
	dir := shortTempDir(t)
	ts := startServer(t, serverOpts{net: Config{Binds: []Listener{
		{Addr: dir + "/small.sock", QueueSize: 64},
		{Addr: "127.0.0.1:0"},
	}}})
	mon := ts.client("tcp", "mon")
	mon.subscribe(".broker/info")
	slow := ts.client("unix", "slow")
	mon.expectAnnouncement("reg", "slow")
	slow.subscribe("flood")
	good := ts.client("tcp", "good")
	mon.expectAnnouncement("reg", "good")
	good.subscribe("flood")
	pub := ts.client("tcp", "pub")
	mon.expectAnnouncement("reg", "pub")

	const n = 5000 // 5 MB: far beyond the kernel buffers and 64 frames, within 8192 frames
	payload := bytes.Repeat([]byte{'p'}, 1000)
	got := make(chan error, 1)
	go func() {
		for i := range n {
			if err := good.fill(proto.BrokerHeaderSize, waitTimeout); err != nil {
				got <- err
				return
			}
			h, err := proto.DecodeBrokerHeader(good.buf)
			if err != nil {
				got <- err
				return
			}
			good.buf = good.buf[proto.BrokerHeaderSize:]
			if h.Kind == proto.KindNop {
				continue
			}
			if err := good.fill(int(h.Len), waitTimeout); err != nil {
				got <- err
				return
			}
			_, _, p, _ := proto.SplitDelivery(h.Kind, good.buf[:h.Len])
			if want := fmt.Sprintf("%08d", i); string(p[:8]) != want {
				got <- fmt.Errorf("frame %d: got %q", i, p[:8])
				return
			}
			good.buf = good.buf[h.Len:]
		}
		got <- nil
	}()
	var batch []byte
	for i := range n {
		copy(payload, fmt.Sprintf("%08d", i))
		batch = proto.AppendPublish(batch, uint32(i+1), proto.QoSNo, []byte("flood"), payload)
		if len(batch) > 256<<10 || i == n-1 {
			pub.send(batch)
			batch = batch[:0]
		}
	}
	mon.expectAnnouncement("unreg", "slow")
	if err := <-got; err != nil {
		t.Fatal(err)
	}
	id := pub.publish(proto.QoSProcessed, "flood", "end")
	pub.expectAck(id, proto.CodeOK)
}

// TestSenderNotReadingIsDropped: a client that floods QoS-1 frames and
// never reads its ACKs stops being read once its own queue is full (as
// upstream's sender blocks); it is dropped at the next broker ping, which
// finds the queue full, or at the latest when its output stalls for T.
// Its unread input stays in the kernel: the broker does not buffer it.
func TestSenderNotReadingIsDropped(t *testing.T) {
	ts := startServer(t, serverOpts{bus: bus.Config{Timeout: shortT, QueueSize: 16}})
	mon := ts.client("tcp", "mon")
	mon.subscribe(".broker/info")
	keepAlive(t, mon)
	c := ts.dial("unix")
	_ = c.nc.(*net.UnixConn).SetReadBuffer(4096)
	if code := c.register("deaf"); code != proto.CodeOK {
		t.Fatal(code)
	}
	mon.expectAnnouncement("reg", "deaf")
	var b []byte
	for i := range 200000 {
		b = proto.AppendPublish(b, uint32(i+1), proto.QoSProcessed, []byte("void"), nil)
	}
	go func() { _, _ = c.nc.Write(b) }() // blocks once the broker stops reading
	start := time.Now()
	mon.expectAnnouncement("unreg", "deaf")
	t.Logf("dropped after %v", time.Since(start))
	id := mon.message(proto.QoSProcessed, "mon", "alive")
	mon.expectDelivery(proto.KindMessage, false, "mon", "", "alive")
	mon.expectAck(id, proto.CodeOK)
}
