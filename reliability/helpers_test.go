package reliability

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/busrt-go/busrt/bus"
	"github.com/busrt-go/busrt/gen"
	"github.com/busrt-go/busrt/netloop"
	"github.com/busrt-go/busrt/proto"
)

// waitTimeout bounds every wait for an event in these tests.
const waitTimeout = 10 * time.Second

// full reports whether the heavy cases run (scripts/test --full).
func full() bool { return os.Getenv("BUSRT_FULL") == "1" }

// shortTempDir returns a fresh directory with a short path (UNIX socket
// paths are limited to 107 bytes; t.TempDir's are long).
func shortTempDir(t testing.TB) string {
	dir, err := os.MkdirTemp("", "rl")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}

// ---------------------------------------------------------------------------
// In-process server

// lspec describes one listener of a test server.
type lspec struct {
	key      string // what tests call it: (*server).dial(key)
	tcp      bool   // host:0 (host defaults to 127.0.0.1), else a UNIX socket in a temp dir
	host     string // loopback address of a TCP listener (two TCP listeners need two)
	maxFrame uint32
	aaa      *bus.AAAMap
	queue    int
}

type srvOpts struct {
	bus       bus.Config
	loops     int     // 0 = 2
	maxConns  int     // 0 = netloop's default
	listeners []lspec // nil = {"unix"}, {"tcp"}
	log       *closeLog
}

// addr is a dialable address.
type addr struct{ network, address string }

// server is a broker served by netloop on loopback listeners.
type server struct {
	t      testing.TB
	broker *bus.Broker
	srv    *netloop.Server
	addrs  map[string]addr
	paths  []string // UNIX socket paths

	mu      sync.Mutex
	clients []*client // opened by connect and dialRaw: closeAll closes them
}

func startServer(t testing.TB, o srvOpts) *server {
	t.Helper()
	if o.bus.Timeout == 0 {
		o.bus.Timeout = 5 * time.Second
	}
	if o.listeners == nil {
		o.listeners = []lspec{{key: "unix"}, {key: "tcp", tcp: true}}
	}
	if o.loops == 0 {
		o.loops = 2
	}
	var logger *slog.Logger
	switch {
	case os.Getenv("BUSRT_TEST_LOG") != "": // debugging aid: the broker's log on stderr
		logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
		o.bus.Logger = logger
	case o.log != nil:
		logger = slog.New(o.log)
		o.bus.Logger = logger
	}
	b := bus.New(o.bus)
	s := &server{t: t, broker: b, addrs: map[string]addr{}}
	dir := shortTempDir(t)
	binds := make([]netloop.Listener, len(o.listeners))
	for i, l := range o.listeners {
		a := "127.0.0.1:0"
		if l.host != "" {
			a = l.host + ":0"
		}
		if !l.tcp {
			a = filepath.Join(dir, l.key+".sock")
			s.paths = append(s.paths, a)
		}
		binds[i] = netloop.Listener{Addr: a, MaxFrame: l.maxFrame, AAA: l.aaa, QueueSize: l.queue}
	}
	srv, err := netloop.New(b, netloop.Config{Binds: binds, Loops: o.loops, MaxConns: o.maxConns, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	s.srv = srv
	for i, a := range srv.Addrs() {
		s.addrs[o.listeners[i].key] = addr{a.Network(), a.String()}
	}
	t.Cleanup(s.stop)
	return s
}

func (s *server) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if err := s.srv.Shutdown(ctx); err != nil && !errors.Is(err, netloop.ErrNotStarted) {
		s.t.Errorf("shutdown: %v", err)
	}
}

// dial opens a raw connection to listener key (no handshake).
func (s *server) dial(key string) (*client, error) {
	a, ok := s.addrs[key]
	if !ok {
		return nil, fmt.Errorf("no listener %q", key)
	}
	return dial(a)
}

// dialRaw dials listener key, failing the test on error. The connection
// is closed by closeAll or when the test ends.
func (s *server) dialRaw(t testing.TB, key string) *client {
	t.Helper()
	c, err := s.dial(key)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.nc.Close() })
	s.mu.Lock()
	s.clients = append(s.clients, c)
	s.mu.Unlock()
	return c
}

// connect dials listener key and registers name, failing the test unless
// the broker answers 01.
func (s *server) connect(t testing.TB, key, name string) *client {
	t.Helper()
	c := s.dialRaw(t, key)
	register(t, c, name)
	return c
}

// closeAll closes every connection opened by connect and dialRaw.
func (s *server) closeAll(t testing.TB) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.clients {
		_ = c.nc.Close()
	}
	s.clients = nil
}

// register runs the handshake, failing the test unless the broker
// answers 01.
func register(t testing.TB, c *client, name string) {
	t.Helper()
	code, err := c.handshake(name)
	if err != nil || code != proto.CodeOK {
		t.Fatalf("register %.40q: code %v, %v", name, code, err)
	}
}

// ---------------------------------------------------------------------------
// Raw client

// client is a connection driven byte by byte with proto's encoders. One
// goroutine reads; writes are serialized by wmu.
type client struct {
	nc   net.Conn
	rd   *bufio.Reader
	name string
	id   uint32 // last frame id used
	data []byte // data of the last frame read

	wmu sync.Mutex
}

func dial(a addr) (*client, error) {
	nc, err := net.DialTimeout(a.network, a.address, waitTimeout)
	if err != nil {
		return nil, err
	}
	return &client{nc: nc, rd: bufio.NewReaderSize(nc, 64<<10)}, nil
}

// handshake runs the client side of the handshake and returns the
// broker's result byte; 0 with a nil error when the broker closed
// without answering.
func (c *client) handshake(name string) (proto.Code, error) {
	c.name = name
	_ = c.nc.SetDeadline(time.Now().Add(waitTimeout))
	defer func() { _ = c.nc.SetDeadline(time.Time{}) }()
	var g [3]byte
	if _, err := io.ReadFull(c.rd, g[:]); err != nil {
		return 0, fmt.Errorf("greeting: %w", err)
	}
	if err := proto.CheckGreeting(g[:]); err != nil {
		return 0, err
	}
	b := proto.AppendGreeting(nil)
	if _, err := c.nc.Write(b); err != nil {
		return 0, err
	}
	r, err := c.rd.ReadByte()
	if err != nil {
		return 0, fmt.Errorf("greeting answer: %w", err)
	}
	if r != byte(proto.CodeOK) {
		return proto.Code(r), nil
	}
	nb, err := proto.AppendName(nil, name)
	if err != nil {
		return 0, err
	}
	if _, err := c.nc.Write(nb); err != nil {
		return 0, err
	}
	r, err = c.rd.ReadByte()
	if err != nil {
		if isClosed(err) {
			return 0, nil
		}
		return 0, err
	}
	return proto.Code(r), nil
}

func (c *client) nextID() uint32 { c.id++; return c.id }

// write writes b as one unit (frames of one connection must not
// interleave).
func (c *client) write(b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.nc.SetWriteDeadline(time.Now().Add(waitTimeout))
	_, err := c.nc.Write(b)
	return err
}

// maxReadFrame bounds the data length a test client accepts.
const maxReadFrame = 64 << 20

// readFrame reads one broker frame; the data is valid until the next
// call. It sets no deadline.
func (c *client) readFrame() (proto.BrokerHeader, []byte, error) {
	hb, err := c.rd.Peek(proto.BrokerHeaderSize)
	if err != nil {
		return proto.BrokerHeader{}, nil, err
	}
	h, err := proto.DecodeBrokerHeader(hb)
	if err != nil {
		return h, nil, fmt.Errorf("broker header %x: %w", hb, err)
	}
	_, _ = c.rd.Discard(proto.BrokerHeaderSize)
	if h.Kind == proto.KindAck || h.Kind == proto.KindNop {
		return h, nil, nil
	}
	if h.Len > maxReadFrame {
		return h, nil, fmt.Errorf("frame of %d bytes", h.Len)
	}
	if cap(c.data) < int(h.Len) {
		c.data = make([]byte, h.Len)
	}
	d := c.data[:h.Len]
	if _, err := io.ReadFull(c.rd, d); err != nil {
		return h, nil, err
	}
	return h, d, nil
}

// frame reads the next frame that is not a broker ping, within d.
func (c *client) frame(d time.Duration) (proto.BrokerHeader, []byte, error) {
	_ = c.nc.SetReadDeadline(time.Now().Add(d))
	defer func() { _ = c.nc.SetReadDeadline(time.Time{}) }()
	for {
		h, data, err := c.readFrame()
		if err != nil || h.Kind != proto.KindNop {
			return h, data, err
		}
	}
}

// mustFrame is frame for the test goroutine.
func (c *client) mustFrame(t testing.TB) (proto.BrokerHeader, []byte) {
	t.Helper()
	h, d, err := c.frame(waitTimeout)
	if err != nil {
		t.Fatalf("%.40s: read frame: %v", c.name, err)
	}
	return h, d
}

func (c *client) mustWrite(t testing.TB, b []byte) {
	t.Helper()
	if err := c.write(b); err != nil {
		t.Fatalf("%.40s: write: %v", c.name, err)
	}
}

func (c *client) expectAck(t testing.TB, id uint32, code proto.Code) {
	t.Helper()
	h, d := c.mustFrame(t)
	if h.Kind != proto.KindAck || h.AckID != id || h.Code != code {
		t.Fatalf("%.40s: expected ACK id=%d %v, got %+v %q", c.name, id, code, h, d)
	}
}

// expectDelivery reads the next non-ping frame and checks it.
func (c *client) expectDelivery(t testing.TB, kind proto.Kind, sender, topic string, payload []byte) {
	t.Helper()
	h, d := c.mustFrame(t)
	s, tp, p, err := proto.SplitDelivery(h.Kind, d)
	if err != nil || h.Kind != kind || string(s) != sender || string(tp) != topic || !bytes.Equal(p, payload) {
		t.Fatalf("%.40s: expected %v from %.40q topic %q payload %.40q; got %+v %.80q (%v)",
			c.name, kind, sender, topic, payload, h, d, err)
	}
}

// message sends a MESSAGE and returns its id.
func (c *client) message(t testing.TB, qos proto.QoS, target string, payload []byte) uint32 {
	t.Helper()
	id := c.nextID()
	c.mustWrite(t, proto.AppendMessage(nil, id, qos, []byte(target), payload))
	return id
}

func (c *client) publish(t testing.TB, qos proto.QoS, topic string, payload []byte) uint32 {
	t.Helper()
	id := c.nextID()
	c.mustWrite(t, proto.AppendPublish(nil, id, qos, []byte(topic), payload))
	return id
}

func (c *client) topicsFrame(t testing.TB, op proto.Op, qos proto.QoS, topics ...string) uint32 {
	t.Helper()
	id := c.nextID()
	bs := make([][]byte, len(topics))
	for i, tp := range topics {
		bs[i] = []byte(tp)
	}
	c.mustWrite(t, proto.AppendTopics(nil, id, op, qos, bs...))
	return id
}

// subscribe subscribes with QoS 1 and waits for the ACK.
func (c *client) subscribe(t testing.TB, topics ...string) {
	t.Helper()
	id := c.topicsFrame(t, proto.OpSubscribe, proto.QoSProcessed, topics...)
	c.expectAck(t, id, proto.CodeOK)
}

// roundTrip proves the connection is alive and everything it sent before
// was routed: a QoS-1 MESSAGE to itself comes back, then its ACK.
func (c *client) roundTrip(t testing.TB) {
	t.Helper()
	p := []byte("rt")
	id := c.message(t, proto.QoSProcessed, c.name, p)
	c.expectDelivery(t, proto.KindMessage, c.name, "", p)
	c.expectAck(t, id, proto.CodeOK)
}

// expectEOF waits for the broker to close the connection. Broker pings
// may come first; other frames fail the test unless allowFrames.
func (c *client) expectEOF(t testing.TB, allowFrames bool) {
	t.Helper()
	_ = c.nc.SetReadDeadline(time.Now().Add(waitTimeout))
	for {
		h, d, err := c.readFrame()
		if err != nil {
			if isClosed(err) {
				return
			}
			t.Fatalf("%.40s: expected the broker to close the connection: %v", c.name, err)
		}
		if h.Kind != proto.KindNop && !allowFrames {
			t.Fatalf("%.40s: unexpected frame before close: %+v %.80q", c.name, h, d)
		}
	}
}

// expectAnnouncement reads the next frame and checks it is a `.broker/info`
// announcement with this subject and client name.
func (c *client) expectAnnouncement(t testing.TB, subject, name string) {
	t.Helper()
	h, d := c.mustFrame(t)
	s, n := announcement(t, h, d)
	if s != subject || n != name {
		t.Fatalf("%.40s: expected announcement %s %.40q, got %s %.40q", c.name, subject, name, s, n)
	}
}

// untilAnnouncement skips `reg` announcements until this one; any other
// `unreg` fails the test.
func (c *client) untilAnnouncement(t testing.TB, subject, name string) {
	t.Helper()
	skipUntil(t, c, subject+" "+name, func(h proto.BrokerHeader, d []byte) bool {
		s, n := announcement(t, h, d)
		if s == subject && n == name {
			return true
		}
		if s != "reg" {
			t.Fatalf("%.40s: unexpected announcement %s %.40q while waiting for %s %.40q", c.name, s, n, subject, name)
		}
		return false
	})
}

// announcement decodes a `.broker/info` announcement frame into its
// subject and client name.
func announcement(t testing.TB, h proto.BrokerHeader, d []byte) (subject, name string) {
	t.Helper()
	s, tp, p, err := proto.SplitDelivery(h.Kind, d)
	if err != nil || h.Kind != proto.KindPublish || string(s) != bus.CoreName || string(tp) != bus.InfoTopic {
		t.Fatalf("expected an announcement, got %+v %.80q", h, d)
	}
	var a gen.Announcement
	if _, err := a.UnmarshalMsg(p); err != nil {
		t.Fatalf("announcement %x: %v", p, err)
	}
	return string(a.S), string(a.D)
}

// keepAlive pings from c every period (a client's duty: something more
// often than T, PROTOCOL.md §8) until the returned stop is called; stop
// waits for the pinging goroutine to end and may be called again.
func keepAlive(c *client, every time.Duration) (stop func()) {
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		tk := time.NewTicker(every)
		defer tk.Stop()
		ping := proto.AppendPing(nil)
		for {
			select {
			case <-quit:
				return
			case <-tk.C:
				if c.write(ping) != nil {
					return
				}
			}
		}
	}()
	var once sync.Once
	return func() { once.Do(func() { close(quit) }); <-done }
}

func isClosed(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, net.ErrClosed)
}

// closeAbortive closes with a TCP reset when possible (SO_LINGER 0).
func closeAbortive(nc net.Conn) {
	if tc, ok := nc.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = nc.Close()
}

// closeWrite half-closes the connection (the broker reads EOF).
func closeWrite(nc net.Conn) error {
	switch c := nc.(type) {
	case *net.TCPConn:
		return c.CloseWrite()
	case *net.UnixConn:
		return c.CloseWrite()
	}
	return nc.Close()
}

// ---------------------------------------------------------------------------
// Waiting

// waitUntil polls cond until it holds or waitTimeout passes. Only for
// gauges that have no event to wait on (connection and goroutine counts,
// registry sizes); a short sleep between checks is the poll interval.
func waitUntil(t testing.TB, what string, cond func() bool) {
	t.Helper()
	if err := pollUntil(waitTimeout, cond); err != nil {
		t.Fatalf("timed out after %v waiting for %s", waitTimeout, what)
	}
}

func pollUntil(d time.Duration, cond func() bool) error {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			return errors.New("timeout")
		}
		time.Sleep(time.Millisecond) // poll interval, not a wait for an event
	}
	return nil
}

// waitChan waits for ch to be closed or to deliver, within d.
func waitChan[T any](ch <-chan T, d time.Duration) bool {
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-ch:
		return true
	case <-tm.C:
		return false
	}
}

// ---------------------------------------------------------------------------
// Why the broker closed connections (from its logs)

// closeLog is a slog handler that remembers, per client name, the last
// message the broker or the transport logged about it (queue-overflow
// kicks, idle and write timeouts, protocol errors).
type closeLog struct {
	mu      sync.Mutex
	reasons map[string]string
}

func newCloseLog() *closeLog { return &closeLog{reasons: map[string]string{}} }

func (l *closeLog) Enabled(_ context.Context, lv slog.Level) bool { return lv >= slog.LevelInfo }

func (l *closeLog) Handle(_ context.Context, r slog.Record) error {
	var name string
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "client" {
			name = a.Value.String()
			return false
		}
		return true
	})
	if name == "" {
		return nil
	}
	l.mu.Lock()
	l.reasons[name] = r.Message
	l.mu.Unlock()
	return nil
}

func (l *closeLog) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *closeLog) WithGroup(string) slog.Handler      { return l }

func (l *closeLog) reason(name string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.reasons[name]
}
