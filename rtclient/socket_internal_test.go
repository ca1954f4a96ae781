package rtclient

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/busrt-go/busrt/proto"
)

// These tests drive a SocketClient against a fake broker that speaks the
// wire protocol by hand, to check what exactly goes over the socket.

const waitTimeout = 10 * time.Second

type fakeBroker struct {
	t    *testing.T
	ln   net.Listener
	addr string
}

// fakeConn is the broker side of one client connection.
type fakeConn struct {
	t    *testing.T
	nc   net.Conn
	br   *bufio.Reader
	name string
}

// clientFrame is one frame a client sent.
type clientFrame struct {
	id   uint32
	op   proto.Op
	qos  proto.QoS
	data []byte
}

func newFakeBroker(t *testing.T) *fakeBroker {
	dir, err := os.MkdirTemp("", "rtf")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	addr := filepath.Join(dir, "f.sock")
	ln, err := net.Listen("unix", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	return &fakeBroker{t: t, ln: ln, addr: addr}
}

// dial connects a client with cfg while the fake broker accepts it and
// runs the handshake with the given greeting and result bytes.
func (fb *fakeBroker) dial(cfg Config, greeting []byte, result proto.Code) (*SocketClient, *fakeConn, error) {
	fb.t.Helper()
	accepted := make(chan *fakeConn, 1)
	go func() {
		nc, err := fb.ln.Accept()
		if err != nil {
			accepted <- nil
			return
		}
		fc := &fakeConn{t: fb.t, nc: nc, br: bufio.NewReader(nc)}
		fb.t.Cleanup(func() { _ = nc.Close() })
		_ = nc.SetDeadline(time.Now().Add(waitTimeout))
		_, _ = nc.Write(greeting)
		var hs [3]byte
		if _, err := io.ReadFull(fc.br, hs[:]); err != nil {
			accepted <- fc
			return
		}
		_, _ = nc.Write([]byte{1})
		var l [2]byte
		if _, err := io.ReadFull(fc.br, l[:]); err == nil {
			name := make([]byte, binary.LittleEndian.Uint16(l[:]))
			_, _ = io.ReadFull(fc.br, name)
			fc.name = string(name)
			_, _ = nc.Write([]byte{byte(result)})
		}
		_ = nc.SetDeadline(time.Time{})
		accepted <- fc
	}()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	c, err := Dial(ctx, fb.addr, cfg)
	fc := <-accepted
	if c != nil {
		fb.t.Cleanup(func() { _ = c.Close() })
	}
	return c, fc, err
}

func (fb *fakeBroker) client(cfg Config) (*SocketClient, *fakeConn) {
	fb.t.Helper()
	if cfg.Name == "" {
		cfg.Name = "fake.client"
	}
	c, fc, err := fb.dial(cfg, []byte{0xEB, 1, 0}, proto.CodeOK)
	if err != nil {
		fb.t.Fatal(err)
	}
	return c, fc
}

// next reads the next frame the client sent, within waitTimeout.
func (fc *fakeConn) next() clientFrame {
	fc.t.Helper()
	_ = fc.nc.SetReadDeadline(time.Now().Add(waitTimeout))
	var h [proto.ClientHeaderSize]byte
	if _, err := io.ReadFull(fc.br, h[:]); err != nil {
		fc.t.Fatalf("fake broker: reading a frame: %v", err)
	}
	hdr, err := proto.DecodeHeader(h[:], 0)
	if err != nil {
		fc.t.Fatal(err)
	}
	f := clientFrame{id: hdr.ID, op: hdr.Op, qos: hdr.QoS, data: make([]byte, hdr.Len)}
	if _, err := io.ReadFull(fc.br, f.data); err != nil {
		fc.t.Fatal(err)
	}
	return f
}

// nextData returns the next frame that is not a ping.
func (fc *fakeConn) nextData() clientFrame {
	fc.t.Helper()
	for {
		if f := fc.next(); f.op != proto.OpNop || f.qos != 0 {
			return f
		}
	}
}

func (fc *fakeConn) write(b []byte) {
	fc.t.Helper()
	if _, err := fc.nc.Write(b); err != nil {
		fc.t.Fatal(err)
	}
}

func TestDialFailures(t *testing.T) {
	ctx := context.Background()
	for _, addr := range []string{"ws://host:1/", "wss://host/x"} {
		if _, err := Dial(ctx, addr, Config{Name: "x"}); !errors.Is(err, ErrWebSocket) {
			t.Fatalf("%s: %v", addr, err)
		}
	}
	_, err := Dial(ctx, "/nonexistent/dir/b.sock", Config{Name: "x"})
	if err == nil || !strings.Contains(err.Error(), "connect to /nonexistent/dir/b.sock") {
		t.Fatalf("absent socket: %v", err)
	}
	if _, err := Dial(ctx, "/tmp/x.sock", Config{Name: strings.Repeat("n", 70000)}); !errors.Is(err, proto.ErrNameTooLong) {
		t.Fatalf("long name: %v", err)
	}
	fb := newFakeBroker(t)
	if _, _, err := fb.dial(Config{Name: "x"}, []byte{0xEB, 2, 0}, proto.CodeOK); !errors.Is(err, proto.ErrBadVersion) {
		t.Fatalf("bad version: %v", err)
	}
	if _, _, err := fb.dial(Config{Name: "x"}, []byte{0xEB, 1, 0}, proto.CodeBusy); !errors.Is(err, proto.CodeBusy.Err()) {
		t.Fatalf("busy: %v", err)
	}
}

func TestNetwork(t *testing.T) {
	cases := map[string]string{
		"/tmp/busrt.sock": "unix", "busrt.sock": "unix", "x.socket": "unix", "a/b.ipc": "unix",
		"/run/bus": "unix", "127.0.0.1:9924": "tcp", "localhost:7777": "tcp", "run/bus": "tcp",
		"[::1]:9924": "tcp",
	}
	for addr, want := range cases {
		if got, err := Network(addr); err != nil || got != want {
			t.Errorf("Network(%q) = %q, %v; want %q", addr, got, err, want)
		}
	}
}

// TestFrameIDs: ids start at 1 and grow by one per frame, acknowledged or
// not; pings carry id 0 and use none; after 0xFFFFFFFF comes 1.
func TestFrameIDs(t *testing.T) {
	fb := newFakeBroker(t)
	c, fc := fb.client(Config{BufTTL: -1, PingInterval: -1})
	if fc.name != "fake.client" {
		t.Fatalf("registered as %q", fc.name)
	}
	ctx := context.Background()
	_ = c.Send(ctx, "t", []byte("a"), proto.QoSNo)
	_ = c.Ping(ctx)
	_ = c.Publish(ctx, "tp", []byte("b"), proto.QoSRealtime)
	_ = c.Subscribe(ctx, proto.QoSNo, "x", "y")
	if f := fc.next(); f.id != 1 || f.op != proto.OpMessage || string(f.data) != "t\x00a" {
		t.Fatalf("first frame %+v", f)
	}
	if f := fc.next(); f.id != 0 || f.op != proto.OpNop || len(f.data) != 0 {
		t.Fatalf("ping %+v", f)
	}
	if f := fc.next(); f.id != 2 || f.op != proto.OpPublish || f.qos != proto.QoSRealtime {
		t.Fatalf("second frame %+v", f)
	}
	if f := fc.next(); f.id != 3 || f.op != proto.OpSubscribe || string(f.data) != "x\x00y" {
		t.Fatalf("third frame %+v", f)
	}
	c.wmu.Lock()
	c.lastID = 0xFFFFFFFE
	c.wmu.Unlock()
	for _, want := range []uint32{0xFFFFFFFF, 1, 2} {
		_ = c.Send(ctx, "t", nil, proto.QoSNo)
		if f := fc.next(); f.id != want {
			t.Fatalf("id %d, want %d", f.id, want)
		}
	}
}

// TestAcks: an ACK completes the waiting call with its code; a duplicate
// or unknown ACK is ignored.
func TestAcks(t *testing.T) {
	fb := newFakeBroker(t)
	c, fc := fb.client(Config{PingInterval: -1})
	ctx := context.Background()
	for _, code := range []proto.Code{proto.CodeOK, proto.CodeTimeout, proto.CodeEOF, proto.CodeAccess} {
		errc := make(chan error, 1)
		go func() { errc <- c.Send(ctx, "t", nil, proto.QoSProcessed) }()
		f := fc.nextData()
		fc.write(proto.AppendAck(nil, f.id+1000, proto.CodeOK)) // unknown id
		fc.write(proto.AppendAck(nil, f.id, code))
		fc.write(proto.AppendAck(nil, f.id, proto.CodeAccess)) // duplicate
		if err := <-errc; !errors.Is(err, code.Err()) && (code != proto.CodeOK || err != nil) {
			t.Fatalf("ACK %v: %v", code, err)
		}
	}
	// A context that ends before the ACK: the call returns, the late ACK
	// is orphaned.
	cctx, cancel := context.WithCancel(ctx)
	errc := make(chan error, 1)
	go func() { errc <- c.Send(cctx, "t", nil, proto.QoSRealtimeProcessed) }()
	f := fc.nextData()
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
	fc.write(proto.AppendAck(nil, f.id, proto.CodeOK))
	fc.write(proto.AppendDelivery(nil, proto.KindMessage, true, []byte("peer"), nil, []byte("after")))
	select {
	case fr := <-c.Frames():
		if string(fr.Payload) != "after" || !fr.Realtime {
			t.Fatalf("frame %+v", fr)
		}
		fr.Release()
	case <-time.After(waitTimeout):
		t.Fatal("reader stopped after an orphaned ACK")
	}
}

// TestTTLBuffering: a non-realtime frame waits in the buffer (here with a
// TTL that never expires) and leaves together with the next realtime frame,
// in order; with the default TTL the flusher writes it by itself.
func TestTTLBuffering(t *testing.T) {
	fb := newFakeBroker(t)
	c, fc := fb.client(Config{BufTTL: time.Hour, PingInterval: -1})
	ctx := context.Background()
	_ = c.Send(ctx, "t", []byte("first"), proto.QoSNo)
	_ = c.Publish(ctx, "tp", []byte("second"), proto.QoSNo)
	c.wmu.Lock()
	buffered := len(c.wbuf)
	c.wmu.Unlock()
	if buffered == 0 {
		t.Fatal("non-realtime frames were written at once")
	}
	_ = c.Send(ctx, "t", []byte("rt"), proto.QoSRealtime)
	for _, want := range []string{"t\x00first", "tp\x00second", "t\x00rt"} {
		if f := fc.nextData(); string(f.data) != want {
			t.Fatalf("got %q, want %q", f.data, want)
		}
	}
	c.wmu.Lock()
	buffered = len(c.wbuf)
	c.wmu.Unlock()
	if buffered != 0 {
		t.Fatal("buffer not empty after a realtime flush")
	}

	c2, fc2 := fb.client(Config{Name: "ttl.default", PingInterval: -1})
	if c2.cfg.BufTTL != DefaultBufTTL {
		t.Fatalf("default TTL %v", c2.cfg.BufTTL)
	}
	_ = c2.Send(ctx, "t", []byte("alone"), proto.QoSNo)
	if f := fc2.nextData(); string(f.data) != "t\x00alone" {
		t.Fatalf("got %q", f.data)
	}
	// A full buffer is written by its sender.
	c3, fc3 := fb.client(Config{Name: "ttl.full", BufTTL: time.Hour, BufSize: 64, PingInterval: -1})
	_ = c3.Send(ctx, "t", make([]byte, 60), proto.QoSNo)
	if f := fc3.nextData(); len(f.data) != 62 {
		t.Fatalf("got %d bytes", len(f.data))
	}
}

func TestPings(t *testing.T) {
	fb := newFakeBroker(t)
	_, fc := fb.client(Config{PingInterval: 5 * time.Millisecond})
	for range 3 {
		if f := fc.next(); f.id != 0 || f.op != proto.OpNop || f.qos != 0 || len(f.data) != 0 {
			t.Fatalf("not a ping: %+v", f)
		}
	}
	_, fc = fb.client(Config{Name: "default.ping", Timeout: 20 * time.Millisecond})
	if f := fc.next(); f.op != proto.OpNop {
		t.Fatalf("not a ping: %+v", f)
	}
}

// TestHalfWrittenFrame: a write that times out in the middle of a frame
// marks the client broken; the waiting and the later calls fail.
func TestHalfWrittenFrame(t *testing.T) {
	fb := newFakeBroker(t)
	c, _ := fb.client(Config{Timeout: 100 * time.Millisecond, PingInterval: -1})
	ctx := context.Background()
	errc := make(chan error, 1)
	go func() { errc <- c.Send(ctx, "t", nil, proto.QoSProcessed) }() // waits for an ACK that never comes
	// The fake broker does not read: the socket buffers fill up and the
	// write of this payload stops part-way.
	err := c.Send(ctx, "t", make([]byte, 64<<20), proto.QoSNo)
	if !errors.Is(err, ErrBrokenFrame) || !errors.Is(err, ErrDisconnected) {
		t.Fatalf("large send: %v", err)
	}
	select {
	case err := <-errc:
		if !errors.Is(err, ErrDisconnected) {
			t.Fatalf("waiting call: %v", err)
		}
	case <-time.After(waitTimeout):
		t.Fatal("waiting call hangs")
	}
	select {
	case <-c.Done():
	case <-time.After(waitTimeout):
		t.Fatal("reader still running")
	}
	if c.IsConnected() || !errors.Is(c.Err(), ErrBrokenFrame) {
		t.Fatalf("connected %v err %v", c.IsConnected(), c.Err())
	}
	if err := c.Publish(ctx, "x", nil, proto.QoSNo); !errors.Is(err, ErrDisconnected) {
		t.Fatalf("after break: %v", err)
	}
}

// TestBadBrokerFrames: an unknown frame kind, a delivery without its 00,
// and a frame over MaxFrame each disconnect the client.
func TestBadBrokerFrames(t *testing.T) {
	fb := newFakeBroker(t)
	for i, bad := range [][]byte{
		{0x42, 0, 0, 0, 0, 0},
		{0x12, 3, 0, 0, 0, 0, 'a', 'b', 'c'},
		proto.AppendDelivery(nil, proto.KindMessage, false, []byte("s"), nil, make([]byte, 100)),
	} {
		c, fc := fb.client(Config{Name: "bad" + string(rune('0'+i)), PingInterval: -1, MaxFrame: 50})
		fc.write(bad)
		select {
		case <-c.Done():
		case <-time.After(waitTimeout):
			t.Fatalf("case %d: still connected", i)
		}
		if !errors.Is(c.Err(), ErrDisconnected) {
			t.Fatalf("case %d: %v", i, c.Err())
		}
	}
	// A NOP with a length is 6 bytes, nothing more.
	c, fc := fb.client(Config{Name: "nop", PingInterval: -1})
	fc.write([]byte{0, 9, 9, 9, 9, 9})
	fc.write(proto.AppendDelivery(nil, proto.KindBroadcast, false, []byte("s"), nil, []byte("ok")))
	f := <-c.Frames()
	if f.Kind != proto.KindBroadcast || string(f.Payload) != "ok" {
		t.Fatalf("after NOP: %+v", f)
	}
	f.Release()
}

// FuzzReader feeds arbitrary broker bytes to a registered client with an
// RPC endpoint: it must never panic, and must stop when the stream ends.
func FuzzReader(f *testing.F) {
	f.Add(proto.AppendAck(nil, 1, proto.CodeOK))
	f.Add(proto.AppendDelivery(nil, proto.KindPublish, true, []byte("s"), []byte("t"), []byte("p")))
	f.Add(proto.AppendDelivery(nil, proto.KindMessage, false, []byte("s%%1"), nil, proto.AppendRPCRequest(nil, 1, []byte("m"), []byte("x"))))
	f.Add(proto.AppendDelivery(nil, proto.KindMessage, false, []byte("s"), nil, proto.AppendRPCReply(nil, 1, nil)))
	f.Add(proto.AppendDelivery(nil, proto.KindMessage, false, []byte("s"), nil, proto.AppendRPCError(nil, 1, -32601, []byte("e"))))
	f.Add([]byte{0, 1, 2, 3, 4, 5, 0x13, 1, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, stream []byte) {
		srv, cli := net.Pipe()
		fuzzReader(t, srv, cli, stream)
		srv, cli = socketPair(t) // the raw reader, with a buffer that cuts frames
		fuzzReader(t, srv, cli, stream)
	})
}

func fuzzReader(t *testing.T, srv, cli net.Conn, stream []byte) {
	c := newSocketClient(cli, "pipe", Config{Name: "fuzz", PingInterval: -1, BufTTL: -1, BufSize: 64, MaxFrame: 1 << 16}.withDefaults())
	c.start()
	r := NewRPC(c, RPCConfig{
		OnFrame:        func(context.Context, *Frame) {},
		OnNotification: func(context.Context, *Event) {},
	})
	r.Handle("m", func(_ context.Context, ev *Event) ([]byte, error) { return ev.Payload, nil })
	go func() { _, _ = io.Copy(io.Discard, srv) }() // replies
	_, _ = srv.Write(stream)
	_ = srv.Close()
	select {
	case <-c.Done():
	case <-time.After(waitTimeout):
		t.Fatalf("reader did not stop (%T, %q)", cli, stream)
	}
	if !errors.Is(c.Err(), ErrDisconnected) {
		t.Fatalf("err %v", c.Err())
	}
}
