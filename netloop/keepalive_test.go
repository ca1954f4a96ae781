package netloop

import (
	"testing"
	"time"

	"github.com/busrt-go/busrt/bus"
	"github.com/busrt-go/busrt/proto"
)

const shortT = 400 * time.Millisecond

// TestBrokerPingsAndIdleDrop: a silent client gets a ping every T/2 after
// registration and is dropped 1.25 T after it; the drop is announced.
func TestBrokerPingsAndIdleDrop(t *testing.T) {
	t.Parallel()
	ts := startServer(t, serverOpts{bus: bus.Config{Timeout: shortT}})
	mon := ts.client("tcp", "mon")
	mon.subscribe(".broker/info")
	keepAlive(t, mon)

	start := time.Now()
	c := ts.client("unix", "idle")
	mon.expectAnnouncement("reg", "idle")
	c.expectHex("000000000000")
	first := time.Since(start)
	c.expectHex("000000000000")
	second := time.Since(start)
	c.expectClosed(waitTimeout)
	closed := time.Since(start)
	mon.expectAnnouncement("unreg", "idle")
	t.Logf("pings at %v, %v; closed at %v", first, second, closed)
	if first < shortT/2-20*time.Millisecond || second < shortT-20*time.Millisecond {
		t.Errorf("pings too early: %v, %v (T/2 = %v)", first, second, shortT/2)
	}
	if closed < shortT*5/4-20*time.Millisecond {
		t.Errorf("closed at %v, before 1.25 T", closed)
	}
	if closed > shortT*5/4+time.Second {
		t.Errorf("closed at %v, long after 1.25 T", closed)
	}
}

// keepAlive pings from c every T/4 until the test ends (a client's duty,
// PROTOCOL.md §8).
func keepAlive(t *testing.T, c *rawConn) {
	done := make(chan struct{})
	t.Cleanup(func() { close(done) })
	go func() {
		tk := time.NewTicker(shortT / 4)
		defer tk.Stop()
		ping := proto.AppendPing(nil)
		for {
			select {
			case <-done:
				return
			case <-tk.C:
				if _, err := c.nc.Write(ping); err != nil {
					return
				}
			}
		}
	}()
}

// TestPingingClientSurvives: a client that pings stays past 1.25 T and
// still exchanges frames.
func TestPingingClientSurvives(t *testing.T) {
	t.Parallel()
	ts := startServer(t, serverOpts{bus: bus.Config{Timeout: shortT}})
	c := ts.client("unix", "alive")
	keepAlive(t, c)
	// count broker pings: six of them take 3 T, well past 1.25 T
	for range 6 {
		h, _ := c.frame()
		if h.Kind != proto.KindNop {
			t.Fatalf("expected a broker ping, got %+v", h)
		}
	}
	id := c.message(proto.QoSProcessed, "alive", "still here")
	c.expectDelivery(proto.KindMessage, false, "alive", "", "still here")
	c.expectAck(id, proto.CodeOK)
}

// TestBodyTimeout: a body that does not follow its header within T
// drops the client, before the 1.25 T header limit.
func TestBodyTimeout(t *testing.T) {
	t.Parallel()
	ts := startServer(t, serverOpts{bus: bus.Config{Timeout: shortT}})
	c := ts.client("tcp", "slowbody")
	c.send(append(proto.AppendClientHeader(nil, 1, proto.OpPublish, proto.QoSProcessed, 10), "ab"...))
	sent := time.Now()
	for {
		err := c.fill(len(c.buf)+1, waitTimeout)
		if err != nil {
			if !isClosed(err) {
				t.Fatal(err)
			}
			break
		}
	}
	d := time.Since(sent)
	t.Logf("closed %v after the header", d)
	if d < shortT-20*time.Millisecond || d > shortT+time.Second {
		t.Errorf("closed %v after the header, want about T = %v", d, shortT)
	}
	for len(c.buf) >= 6 { // only broker pings may have arrived
		if string(c.buf[:6]) != "\x00\x00\x00\x00\x00\x00" {
			t.Fatalf("unexpected bytes %x", c.buf)
		}
		c.buf = c.buf[6:]
	}
}
