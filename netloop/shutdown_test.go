package netloop

import (
	"bytes"
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/busrt-go/busrt/proto"
)

// TestShutdownAnnounces: Shutdown removes the socket file first, every
// client gets the `.broker/warn` shutdown announcement and is then
// disconnected; the server is done quickly.
func TestShutdownAnnounces(t *testing.T) {
	ts := startServer(t, serverOpts{net: Config{Loops: 3}})
	var clients []*rawConn
	for i, nw := range []string{"unix", "tcp", "unix", "tcp", "unix", "tcp"} {
		clients = append(clients, ts.client(nw, "c"+string(rune('a'+i))))
	}
	start := time.Now()
	if err := ts.srv.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Logf("shutdown took %v", time.Since(start))
	for i, c := range clients {
		h, d := c.frameSkipPings()
		s, topic, payload, err := proto.SplitDelivery(h.Kind, d)
		if err != nil || string(s) != ".broker" || string(topic) != ".broker/warn" ||
			!bytes.HasPrefix(payload, []byte("\x82\xa1s\xa8shutdown\xa1t\xcf")) {
			t.Fatalf("client %d: expected the shutdown announcement, got %+v %q", i, h, d)
		}
		c.expectClosed(waitTimeout)
	}
	if _, err := os.Lstat(ts.unix); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("socket file left: %v", err)
	}
	if n := ts.srv.Conns(); n != 0 {
		t.Fatalf("%d connections left", n)
	}
	select {
	case <-ts.srv.Done():
	default:
		t.Fatal("Done not closed")
	}
	if err := ts.srv.Err(); err != nil {
		t.Fatalf("Err: %v", err)
	}
	if err := ts.srv.Start(); !errors.Is(err, ErrStarted) {
		t.Fatalf("second Start: %v", err)
	}
	// a second Shutdown returns at once
	if err := ts.srv.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestStorm connects and disconnects clients in waves (more with
// BUSRT_FULL=1); the broker keeps serving and ends with no connection.
func TestStorm(t *testing.T) {
	waves, per := 3, 200
	if full() {
		waves, per = 20, 1000
	}
	ts := startServer(t, serverOpts{net: Config{Loops: 2}})
	ctl := ts.client("unix", "ctl")
	for w := range waves {
		cs := make([]*rawConn, per)
		for i := range cs {
			cs[i] = ts.dial([]string{"unix", "tcp"}[i%2])
			b := greetingBytes()
			b, _ = proto.AppendName(b, "storm")
			if i%3 != 0 {
				b = greetingBytes()[:1] // abandon mid-handshake
			}
			cs[i].send(b)
		}
		for _, c := range cs {
			_ = c.nc.Close()
		}
		id := ctl.message(proto.QoSProcessed, "ctl", "wave")
		ctl.expectDelivery(proto.KindMessage, false, "ctl", "", "wave")
		ctl.expectAck(id, proto.CodeOK)
		_ = w
	}
	waitFor(t, "storm connections closed", func() bool { return ts.srv.Conns() == 1 })
}
