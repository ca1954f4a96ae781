package netloop

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/busrt-go/busrt/bus"
	"github.com/busrt-go/busrt/proto"
)

// TestOrdering100k: 100 000 frames from one sender to one receiver arrive
// complete and in order, over both transports and across loops. The
// sender keeps at most 4096 frames ahead of the reader, as a client must
// to stay within the broker's 8192-frame queue.
func TestOrdering100k(t *testing.T) {
	ts := startServer(t, serverOpts{net: Config{Loops: 2}})
	for _, pair := range [][2]string{{"unix", "tcp"}, {"tcp", "unix"}} {
		t.Run(pair[0]+"-"+pair[1], func(t *testing.T) {
			snd := ts.client(pair[0], "snd-"+pair[0])
			rcv := ts.client(pair[1], "rcv-"+pair[1])
			const n, window = 100000, 4096
			var consumed atomic.Int64
			var stop atomic.Bool
			t.Cleanup(func() { stop.Store(true) })
			sendErr := make(chan error, 1)
			go func() {
				var b []byte
				var p [8]byte
				for i := range n {
					for int64(i)-consumed.Load() >= window {
						if stop.Load() {
							sendErr <- nil
							return
						}
						runtimeYield() // flow control: wait for the reader
					}
					binary.LittleEndian.PutUint64(p[:], uint64(i))
					qos := allQoS[i%4] &^ proto.QoSProcessed
					b = proto.AppendMessage(b, uint32(i+1), qos, []byte(rcv.name()), p[:])
					if len(b) >= 16<<10 || i == n-1 || int64(i+1)-consumed.Load() >= window {
						if _, err := snd.nc.Write(b); err != nil {
							sendErr <- err
							return
						}
						b = b[:0]
					}
				}
				sendErr <- nil
			}()
			i := 0
			rcv.scanFrames(t, func(h proto.BrokerHeader, d []byte) bool {
				if h.Kind == proto.KindNop {
					return true
				}
				_, _, p, err := proto.SplitDelivery(h.Kind, d)
				if err != nil || len(p) != 8 {
					t.Fatalf("frame %d: %+v %q", i, h, d)
				}
				if got := binary.LittleEndian.Uint64(p); got != uint64(i) {
					t.Fatalf("frame %d arrived as #%d", i, got)
				}
				if h.Realtime != allQoS[i%4].IsRealtime() {
					t.Fatalf("frame %d: realtime flag %v", i, h.Realtime)
				}
				i++
				consumed.Store(int64(i))
				return i < n
			})
			if err := <-sendErr; err != nil {
				t.Fatal(err)
			}
		})
	}
}

// scanFrames reads broker frames in bulk and hands each to f (the data is
// a view valid during the call) until f returns false.
func (c *rawConn) scanFrames(t testing.TB, f func(proto.BrokerHeader, []byte) bool) {
	t.Helper()
	for {
		for {
			h, d, n, err := proto.NextBrokerFrame(c.buf, 0)
			if err != nil {
				t.Fatalf("broker frame: %v", err)
			}
			if n == 0 {
				break
			}
			more := f(h, d)
			c.buf = c.buf[n:]
			if !more {
				return
			}
		}
		c.buf = append(make([]byte, 0, 256<<10), c.buf...)
		if err := c.fill(len(c.buf)+1, waitTimeout); err != nil {
			t.Fatalf("read: %v", err)
		}
	}
}

// name returns the name this connection registered with (tests name
// connections after their role).
func (c *rawConn) name() string { return c.regName }

// Test16MiBPayload: a 16 MiB payload arrives intact, on both transports.
func Test16MiBPayload(t *testing.T) {
	ts := startServer(t, serverOpts{})
	payload := make([]byte, 16<<20)
	for i := range payload {
		payload[i] = byte(i*7 + i>>16)
	}
	for _, nw := range []string{"unix", "tcp"} {
		a := ts.client(nw, "big-a-"+nw)
		b := ts.client([]string{"tcp", "unix"}[len(nw)%2], "big-b-"+nw)
		go a.send(proto.AppendMessage(nil, 1, proto.QoSProcessed, []byte("big-b-"+nw), payload))
		h, d := b.frameSkipPings()
		_, _, p, err := proto.SplitDelivery(h.Kind, d)
		if err != nil || !bytes.Equal(p, payload) {
			t.Fatalf("%s: payload damaged (len %d, err %v)", nw, len(p), err)
		}
		a.expectAck(1, proto.CodeOK)
	}
}

// TestManyConnections: 1 000 clients connect at once, register, and each
// gets a broadcast. With BUSRT_FULL=1, as many as the descriptor limit
// allows in one process (both ends live here: two descriptors per
// connection); cmd/busrtd's TestTenThousandConnections runs 10 000 against
// a separate broker process.
func TestManyConnections(t *testing.T) {
	n := 1000
	if full() {
		n = min(10000, maxConnsFromRlimit()/2-500)
		t.Logf("%d connections", n)
	}
	// silent clients: a long T keeps the idle limit out of the way
	ts := startServer(t, serverOpts{bus: bus.Config{Timeout: time.Minute}, net: Config{Loops: 2}})
	clients := make([]*rawConn, n)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			nw := []string{"unix", "tcp"}[i%2]
			c := ts.dial(nw)
			b := greetingBytes()
			b, _ = proto.AppendName(b, fmt.Sprintf("many.%d", i))
			if _, err := c.nc.Write(b); err != nil {
				errs <- err
				return
			}
			if err := c.fill(5, waitTimeout); err != nil {
				errs <- fmt.Errorf("client %d: %w", i, err)
				return
			}
			if !bytes.Equal(c.buf[:5], []byte{0xeb, 1, 0, 1, 1}) {
				errs <- fmt.Errorf("client %d: handshake %x", i, c.buf)
				return
			}
			c.buf = c.buf[5:]
			clients[i] = c
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	waitFor(t, "all connections open", func() bool { return ts.srv.Conns() == n })
	ctl := ts.client("tcp", "ctl")
	id := ctl.nextID()
	ctl.send(proto.AppendBroadcast(nil, id, proto.QoSProcessed, []byte("many.*"), []byte("hello all")))
	ctl.expectAck(id, proto.CodeOK)
	for i, c := range clients {
		h, d := c.frameSkipPings()
		_, _, p, err := proto.SplitDelivery(h.Kind, d)
		if err != nil || string(p) != "hello all" {
			t.Fatalf("client %d: %+v %q", i, h, d)
		}
	}
}
