package netloop

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/busrt-go/busrt/bus"
	"github.com/busrt-go/busrt/proto"
)

func newTestServer(t *testing.T, binds ...Listener) (*Server, error) {
	t.Helper()
	s, err := New(bus.New(bus.Config{}), Config{Binds: binds, Loops: 1})
	if err != nil {
		return nil, err
	}
	err = s.Start()
	if err == nil {
		t.Cleanup(func() { _ = s.Shutdown(context.Background()) })
	}
	return s, err
}

// TestUnixPathSafety: the broker starts on an absent path or a stale
// socket, refuses a live broker's socket, a regular file and a directory,
// and never deletes any of them.
func TestUnixPathSafety(t *testing.T) {
	dir := shortTempDir(t)

	file := filepath.Join(dir, "file.sock")
	if err := os.WriteFile(file, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := newTestServer(t, Listener{Addr: file}); !errors.Is(err, ErrNotSocket) {
		t.Fatalf("regular file: %v", err)
	}
	if b, err := os.ReadFile(file); err != nil || string(b) != "keep me" {
		t.Fatalf("regular file touched: %q %v", b, err)
	}

	sub := filepath.Join(dir, "dir.sock")
	if err := os.Mkdir(sub, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(sub, "inside"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := newTestServer(t, Listener{Addr: sub}); !errors.Is(err, ErrNotSocket) {
		t.Fatalf("directory: %v", err)
	}
	if _, err := os.Stat(filepath.Join(sub, "inside")); err != nil {
		t.Fatalf("directory touched: %v", err)
	}

	// a stale socket (nobody listening) is replaced
	stale := filepath.Join(dir, "stale.sock")
	l, err := net.Listen("unix", stale)
	if err != nil {
		t.Fatal(err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	_ = l.Close()
	s, err := newTestServer(t, Listener{Addr: stale})
	if err != nil {
		t.Fatalf("stale socket: %v", err)
	}
	c := dialRaw(t, "unix", stale)
	if code := c.register("x"); code != proto.CodeOK {
		t.Fatal(code)
	}

	// a live broker's socket is refused and left alone
	if _, err := newTestServer(t, Listener{Addr: stale}); !errors.Is(err, ErrSocketInUse) {
		t.Fatalf("live socket: %v", err)
	}
	c2 := dialRaw(t, "unix", stale)
	if code := c2.register("y"); code != proto.CodeOK {
		t.Fatalf("first broker damaged: %v", code)
	}

	// shutdown removes our socket file, and only it
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("socket file left behind: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 { // file.sock and dir.sock
		t.Fatalf("unexpected files: %v", entries)
	}
}

// TestShutdownLeavesReplacedPath: if someone replaces our socket file
// while we run, shutdown leaves their file alone.
func TestShutdownLeavesReplacedPath(t *testing.T) {
	dir := shortTempDir(t)
	p := filepath.Join(dir, "b.sock")
	s, err := newTestServer(t, Listener{Addr: p})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte("theirs"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(p); err != nil || string(b) != "theirs" {
		t.Fatalf("their file: %q %v", b, err)
	}
}

// TestTCPAddressInUse: a clear error, and nothing left bound.
func TestTCPAddressInUse(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	dir := shortTempDir(t)
	p := filepath.Join(dir, "b.sock")
	_, err = newTestServer(t, Listener{Addr: p}, Listener{Addr: l.Addr().String()})
	if !errors.Is(err, syscall.EADDRINUSE) {
		t.Fatalf("got %v", err)
	}
	if _, err := os.Lstat(p); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("socket file left behind: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("files left behind: %v", entries)
	}
}

func TestConfigErrors(t *testing.T) {
	b := bus.New(bus.Config{})
	for _, binds := range [][]Listener{
		nil,
		{{Addr: ""}},
		{{Addr: "ws://127.0.0.1:1"}},
		{{Addr: "fifo:/tmp/x"}},
		{{Addr: "nonsense"}},
		{{Addr: "/tmp/a.sock"}, {Addr: "/tmp/a.sock"}},
	} {
		if _, err := New(b, Config{Binds: binds}); err == nil {
			t.Errorf("binds %v: no error", binds)
		}
	}
}

// TestConnectionCap: beyond MaxConns, connections are closed at once and
// the broker keeps serving the others.
func TestConnectionCap(t *testing.T) {
	ts := startServer(t, serverOpts{net: Config{MaxConns: 3}})
	a := ts.client("unix", "a")
	_ = ts.client("tcp", "b")
	_ = ts.client("unix", "c")
	over := ts.dial("tcp")
	over.expectClosed(waitTimeout)
	id := a.message(proto.QoSProcessed, "a", "ok")
	a.expectDelivery(proto.KindMessage, false, "a", "", "ok")
	a.expectAck(id, proto.CodeOK)
}

// TestAddrsAndInfo: Addrs reports the real TCP port; client.list data
// (kind, port = bind string, source) reaches the broker.
func TestAddrs(t *testing.T) {
	ts := startServer(t, serverOpts{})
	addrs := ts.srv.Addrs()
	if len(addrs) != 2 || addrs[0].Network() != "unix" || addrs[1].(*net.TCPAddr).Port == 0 {
		t.Fatalf("addrs %v", addrs)
	}
}
