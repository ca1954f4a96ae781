package netloop

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/busrt-go/busrt/bus"
	"github.com/busrt-go/busrt/proto"
)

// waitTimeout bounds every wait for an event in these tests.
const waitTimeout = 10 * time.Second

// full reports whether the heavy cases run (scripts/test --full).
func full() bool { return os.Getenv("BUSRT_FULL") == "1" }

// testServer is a broker with a netloop server on a UNIX socket and a TCP
// port of 127.0.0.1.
type testServer struct {
	t      testing.TB
	broker *bus.Broker
	srv    *Server
	unix   string
	tcp    string
}

type serverOpts struct {
	bus      bus.Config
	net      Config
	noTCP    bool
	maxFrame uint32
}

// shortTempDir returns a fresh directory with a short path (UNIX socket
// paths are limited to 107 bytes, t.TempDir's are long).
func shortTempDir(t testing.TB) string {
	dir, err := os.MkdirTemp("", "nl")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}

func startServer(t testing.TB, o serverOpts) *testServer {
	t.Helper()
	if o.bus.Timeout == 0 {
		o.bus.Timeout = 5 * time.Second
	}
	b := bus.New(o.bus)
	ts := &testServer{t: t, broker: b}
	ts.unix = filepath.Join(shortTempDir(t), "b.sock")
	cfg := o.net
	if cfg.Binds == nil {
		cfg.Binds = []Listener{{Addr: ts.unix, MaxFrame: o.maxFrame}}
		if !o.noTCP {
			cfg.Binds = append(cfg.Binds, Listener{Addr: "127.0.0.1:0", MaxFrame: o.maxFrame})
		}
	}
	if cfg.Loops == 0 {
		cfg.Loops = 2
	}
	if testing.Verbose() && cfg.Logger == nil && os.Getenv("NETLOOP_LOG") != "" {
		cfg.Logger = testLogger(t)
	}
	s, err := New(b, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	ts.srv = s
	for i, a := range s.Addrs() {
		if a.Network() == "tcp" && ts.tcp == "" {
			ts.tcp = a.String()
		}
		if a.Network() == "unix" && i == 0 {
			ts.unix = a.String()
		}
	}
	t.Cleanup(ts.stop)
	return ts
}

func (ts *testServer) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if err := ts.srv.Shutdown(ctx); err != nil && !errors.Is(err, ErrNotStarted) {
		ts.t.Errorf("shutdown: %v", err)
	}
}

// rawConn is a client driven byte by byte with proto's encoders.
type rawConn struct {
	t       testing.TB
	nc      net.Conn
	buf     []byte // received, not yet consumed
	id      uint32
	regName string
}

func dialRaw(t testing.TB, network, addr string) *rawConn {
	t.Helper()
	nc, err := net.DialTimeout(network, addr, waitTimeout)
	if err != nil {
		t.Fatalf("dial %s %s: %v", network, addr, err)
	}
	c := &rawConn{t: t, nc: nc}
	t.Cleanup(func() { _ = nc.Close() })
	return c
}

func (ts *testServer) dial(network string) *rawConn {
	if network == "tcp" {
		return dialRaw(ts.t, "tcp", ts.tcp)
	}
	return dialRaw(ts.t, "unix", ts.unix)
}

// client dials and registers name, failing the test unless the broker
// answers 01.
func (ts *testServer) client(network, name string) *rawConn {
	ts.t.Helper()
	c := ts.dial(network)
	if code := c.register(name); code != proto.CodeOK {
		ts.t.Fatalf("register %q: code %v", name, code)
	}
	return c
}

func (c *rawConn) send(b []byte) {
	c.t.Helper()
	_ = c.nc.SetWriteDeadline(time.Now().Add(waitTimeout))
	if _, err := c.nc.Write(b); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// fill reads until the buffer holds n bytes or the deadline passes.
func (c *rawConn) fill(n int, d time.Duration) error {
	deadline := time.Now().Add(d)
	var tmp [64 << 10]byte
	for len(c.buf) < n {
		_ = c.nc.SetReadDeadline(deadline)
		k, err := c.nc.Read(tmp[:])
		c.buf = append(c.buf, tmp[:k]...)
		if err != nil {
			if len(c.buf) >= n {
				return nil
			}
			return err
		}
	}
	return nil
}

// next consumes exactly n bytes.
func (c *rawConn) next(n int) []byte {
	c.t.Helper()
	if err := c.fill(n, waitTimeout); err != nil {
		c.t.Fatalf("read %d bytes (have %d: %x): %v", n, len(c.buf), c.buf, err)
	}
	b := bytes.Clone(c.buf[:n])
	c.buf = c.buf[n:]
	return b
}

func (c *rawConn) expect(want []byte) {
	c.t.Helper()
	got := c.next(len(want))
	if !bytes.Equal(got, want) {
		c.t.Fatalf("expected %x, got %x", want, got)
	}
}

func (c *rawConn) expectHex(h string) { c.t.Helper(); c.expect(unhex(c.t, h)) }

// register runs the handshake and returns the broker's result byte (0 for
// a silent close).
func (c *rawConn) register(name string) proto.Code {
	c.t.Helper()
	c.regName = name
	c.expect(greetingBytes())
	c.send(greetingBytes())
	c.expect([]byte{byte(proto.CodeOK)})
	b, err := proto.AppendName(nil, name)
	if err != nil {
		c.t.Fatal(err)
	}
	c.send(b)
	return c.result()
}

// result reads one result byte; 0 when the broker closed without one.
func (c *rawConn) result() proto.Code {
	c.t.Helper()
	if err := c.fill(1, waitTimeout); err != nil {
		if isClosed(err) {
			return 0
		}
		c.t.Fatalf("read result: %v", err)
	}
	r := c.buf[0]
	c.buf = c.buf[1:]
	return proto.Code(r)
}

func greetingBytes() []byte { return proto.AppendGreeting(nil) }

// frame reads one broker→client frame.
func (c *rawConn) frame() (proto.BrokerHeader, []byte) {
	c.t.Helper()
	hb := c.next(proto.BrokerHeaderSize)
	h, err := proto.DecodeBrokerHeader(hb)
	if err != nil {
		c.t.Fatalf("broker header %x: %v", hb, err)
	}
	if h.Kind == proto.KindAck || h.Kind == proto.KindNop {
		return h, nil
	}
	return h, c.next(int(h.Len))
}

// frameSkipPings reads the next frame that is not a broker ping.
func (c *rawConn) frameSkipPings() (proto.BrokerHeader, []byte) {
	c.t.Helper()
	for {
		h, d := c.frame()
		if h.Kind != proto.KindNop {
			return h, d
		}
	}
}

func (c *rawConn) expectAck(id uint32, code proto.Code) {
	c.t.Helper()
	h, _ := c.frameSkipPings()
	if h.Kind != proto.KindAck || h.AckID != id || h.Code != code {
		c.t.Fatalf("expected ACK id=%d code=%v, got %+v", id, code, h)
	}
}

// expectDelivery reads the next non-ping frame and checks it.
func (c *rawConn) expectDelivery(kind proto.Kind, realtime bool, sender, topic, payload string) {
	c.t.Helper()
	h, d := c.frameSkipPings()
	if h.Kind != kind || h.Realtime != realtime {
		c.t.Fatalf("expected %v realtime=%v, got %+v data %q", kind, realtime, h, d)
	}
	s, tp, p, err := proto.SplitDelivery(h.Kind, d)
	if err != nil {
		c.t.Fatal(err)
	}
	if string(s) != sender || string(tp) != topic || string(p) != payload {
		c.t.Fatalf("expected %s/%s/%s, got %q/%q/%q", sender, topic, payload, s, tp, p)
	}
}

// expectClosed waits for EOF or a reset, with no unread bytes before it.
func (c *rawConn) expectClosed(d time.Duration) {
	c.t.Helper()
	err := c.fill(len(c.buf)+1, d)
	if err == nil || !isClosed(err) {
		c.t.Fatalf("expected the broker to close the connection, got %v (unread %x)", err, c.buf)
	}
	if len(c.buf) > 0 {
		c.t.Fatalf("unexpected bytes before close: %x", c.buf)
	}
}

// expectNothing checks that nothing arrives for d.
func (c *rawConn) expectNothing(d time.Duration) {
	c.t.Helper()
	if len(c.buf) > 0 {
		c.t.Fatalf("unexpected bytes: %x", c.buf)
	}
	err := c.fill(1, d)
	if err == nil {
		c.t.Fatalf("unexpected bytes: %x", c.buf)
	}
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		c.t.Fatalf("expected silence, got %v", err)
	}
}

func isClosed(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

func (c *rawConn) nextID() uint32 { c.id++; return c.id }

func (c *rawConn) publish(qos proto.QoS, topic, payload string) uint32 {
	id := c.nextID()
	c.send(proto.AppendPublish(nil, id, qos, []byte(topic), []byte(payload)))
	return id
}

func (c *rawConn) message(qos proto.QoS, target, payload string) uint32 {
	id := c.nextID()
	c.send(proto.AppendMessage(nil, id, qos, []byte(target), []byte(payload)))
	return id
}

func (c *rawConn) topics(op proto.Op, qos proto.QoS, topics ...string) uint32 {
	id := c.nextID()
	bs := make([][]byte, len(topics))
	for i, t := range topics {
		bs[i] = []byte(t)
	}
	c.send(proto.AppendTopics(nil, id, op, qos, bs...))
	return id
}

// subscribe subscribes with QoS 1 and waits for the ACK.
func (c *rawConn) subscribe(topics ...string) {
	c.t.Helper()
	id := c.topics(proto.OpSubscribe, proto.QoSProcessed, topics...)
	c.expectAck(id, proto.CodeOK)
}

func unhex(t testing.TB, h string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(h, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		runtimeYield()
	}
}

// runtimeYield lets other goroutines run between polls of a condition
// (a poll interval, not a wait for an event).
func runtimeYield() { time.Sleep(time.Millisecond) }
