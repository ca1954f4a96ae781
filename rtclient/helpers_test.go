package rtclient_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/busrt-go/busrt/bus"
	"github.com/busrt-go/busrt/netloop"
	"github.com/busrt-go/busrt/rtclient"
)

// waitTimeout bounds every wait for an event in these tests.
const waitTimeout = 10 * time.Second

// transports lists the ways a test client reaches the broker: in-process
// through the embedded adapter, and through netloop over a UNIX socket and
// over TCP. Every behaviour test runs over each of them.
var transports = []string{"embedded", "unix", "tcp"}

// testBroker is a broker reachable over one transport.
type testBroker struct {
	t    testing.TB
	kind string
	b    *bus.Broker
	srv  *netloop.Server
	addr string // socket address; "" for embedded

	mu       sync.Mutex
	embedded []*bus.EmbeddedClient // embedded test clients, for kill
	killed   bool
}

// forEachTransport runs f as a subtest per transport, each with its own
// broker.
func forEachTransport(t *testing.T, f func(t *testing.T, tb *testBroker)) {
	for _, kind := range transports {
		t.Run(kind, func(t *testing.T) { f(t, startBroker(t, kind)) })
	}
}

// shortTempDir returns a fresh directory with a short path (UNIX socket
// paths are limited to 107 bytes; t.TempDir's can be longer).
func shortTempDir(t testing.TB) string {
	dir, err := os.MkdirTemp("", "rtc")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}

func startBroker(t testing.TB, kind string) *testBroker {
	t.Helper()
	tb := &testBroker{t: t, kind: kind, b: bus.New(bus.Config{Timeout: 5 * time.Second})}
	switch kind {
	case "embedded":
		return tb
	case "unix":
		tb.addr = filepath.Join(shortTempDir(t), "b.sock")
	case "tcp":
		tb.addr = "127.0.0.1:0"
	}
	srv, err := netloop.New(tb.b, netloop.Config{Binds: []netloop.Listener{{Addr: tb.addr}}, Loops: 2})
	if err != nil {
		t.Fatalf("netloop.New: %v", err)
	}
	if err := srv.Start(); err != nil {
		t.Fatalf("netloop start on %s: %v", tb.addr, err)
	}
	tb.srv = srv
	if kind == "tcp" {
		tb.addr = srv.Addrs()[0].String()
	}
	t.Cleanup(func() { tb.kill() })
	return tb
}

// connect registers a client named name over the broker's transport.
func (tb *testBroker) connect(t testing.TB, name string) rtclient.Client {
	t.Helper()
	c, err := tb.tryConnect(name, rtclient.Config{})
	if err != nil {
		t.Fatalf("connect %s over %s: %v", name, tb.kind, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func (tb *testBroker) tryConnect(name string, cfg rtclient.Config) (rtclient.Client, error) {
	if tb.kind == "embedded" {
		e, err := tb.b.Register(name)
		if err != nil {
			return nil, err
		}
		tb.mu.Lock()
		tb.embedded = append(tb.embedded, e)
		tb.mu.Unlock()
		return rtclient.NewEmbedded(e, cfg.QueueSize), nil
	}
	cfg.Name = name
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	return rtclient.Dial(ctx, tb.addr, cfg)
}

// kill makes the broker go away under its clients: the socket server
// shuts down (closing every connection); in-process, every embedded test
// client is removed from the broker.
func (tb *testBroker) kill() {
	tb.mu.Lock()
	if tb.killed {
		tb.mu.Unlock()
		return
	}
	tb.killed = true
	emb := tb.embedded
	tb.mu.Unlock()
	if tb.srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		if err := tb.srv.Shutdown(ctx); err != nil && !errors.Is(err, netloop.ErrNotStarted) {
			tb.t.Errorf("netloop shutdown: %v", err)
		}
		return
	}
	for _, e := range emb {
		_ = e.Close()
	}
}

// ctxT returns a context bounded by waitTimeout.
func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	t.Cleanup(cancel)
	return ctx
}

// recvFrame waits for the next frame of c (skipping announcements of the
// broker on .broker/*).
func recvFrame(t testing.TB, c rtclient.Client) *rtclient.Frame {
	t.Helper()
	timer := time.NewTimer(waitTimeout)
	defer timer.Stop()
	for {
		select {
		case f, ok := <-c.Frames():
			if !ok {
				t.Fatalf("%s: frame queue closed: %v", c.Name(), c.Err())
			}
			if f.Kind == 0x01 && len(f.Topic) > 8 && string(f.Topic[:8]) == ".broker/" {
				f.Release()
				continue
			}
			return f
		case <-timer.C:
			t.Fatalf("%s: no frame within %v", c.Name(), waitTimeout)
			return nil
		}
	}
}

// waitClosed waits until ch is closed.
func waitClosed(t testing.TB, what string, ch <-chan struct{}) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(waitTimeout):
		t.Fatalf("timed out waiting for %s", what)
	}
}
