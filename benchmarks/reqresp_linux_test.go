//go:build linux

package benchmarks

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/busrt-go/busrt/proto"
)

// fdConn hands the test's end of a raw socket pair to Go's netpoller, for
// deadlines: the returned conn owns a duplicate, fd itself is closed.
func fdConn(t *testing.T, fd int) net.Conn {
	t.Helper()
	f := os.NewFile(uintptr(fd), "test-end")
	c, err := net.FileConn(f)
	_ = f.Close()
	if err != nil {
		t.Fatal(err)
	}
	_ = c.SetDeadline(time.Now().Add(testTimeout))
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// waitErr waits for a goroutine's result, at most testTimeout.
func waitErr(t *testing.T, ch <-chan error) error {
	t.Helper()
	select {
	case err := <-ch:
		return err
	case <-time.After(testTimeout):
		t.Fatal("timed out")
		return nil
	}
}

// readAcks reads n ACKs from c and returns their ids.
func readAcks(t *testing.T, c net.Conn, n int) []uint32 {
	t.Helper()
	b := make([]byte, n*proto.BrokerHeaderSize)
	if _, err := io.ReadFull(c, b); err != nil {
		t.Fatal(err)
	}
	var ids []uint32
	for len(b) > 0 {
		h, _, m, err := proto.NextBrokerFrame(b, 0)
		if err != nil || m == 0 || h.Kind != proto.KindAck || h.Code != proto.CodeNotRegistered {
			t.Fatalf("not an ACK: % x (%+v, %v)", b, h, err)
		}
		ids = append(ids, h.AckID)
		b = b[m:]
	}
	return ids
}

// TestAckEcho feeds the raw echo frames a byte at a time and several in
// one write: it answers exactly the frames that ask for an ACK, in order,
// and returns once every peer has closed its end.
func TestAckEcho(t *testing.T) {
	clients, servers, err := socketPairs("unix", 2)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- ackEcho(servers, 16) }() // 16: the buffer must grow
	a, b := fdConn(t, clients[0]), fdConn(t, clients[1])

	var in []byte
	in = proto.AppendMessage(in, 7, proto.QoSRealtimeProcessed, []byte("bench-1-null"), payload(100))
	in = proto.AppendMessage(in, 8, proto.QoSNo, []byte("bench-1-null"), payload(3)) // no ACK
	in = proto.AppendPing(in)                                                        // no ACK
	in = proto.AppendPublish(in, 9, proto.QoSProcessed, []byte("t"), nil)
	for i := range in {
		if _, err := a.Write(in[i : i+1]); err != nil {
			t.Fatal(err)
		}
	}
	in = proto.AppendMessage(in[:0], 10, proto.QoSRealtime, []byte("x"), nil) // no ACK
	in = proto.AppendMessage(in, 11, proto.QoSProcessed, []byte("x"), nil)
	if _, err := a.Write(in); err != nil {
		t.Fatal(err)
	}
	if got := readAcks(t, a, 3); got[0] != 7 || got[1] != 9 || got[2] != 11 {
		t.Fatalf("ACKs %v, want 7 9 11", got)
	}
	in = proto.AppendMessage(in[:0], 1, proto.QoSRealtimeProcessed, []byte("x"), nil)
	in = proto.AppendMessage(in, 2, proto.QoSRealtimeProcessed, []byte("x"), nil)
	if _, err := b.Write(in); err != nil {
		t.Fatal(err)
	}
	if got := readAcks(t, b, 2); got[0] != 1 || got[1] != 2 {
		t.Fatalf("ACKs %v, want 1 2", got)
	}
	_ = a.Close()
	_ = b.Close()
	if err := waitErr(t, done); err != nil {
		t.Fatal(err)
	}
}

// TestAckEchoBadFrame: a frame with an unknown op fails the echo, which
// closes its ends.
func TestAckEchoBadFrame(t *testing.T) {
	clients, servers, err := socketPairs("unix", 1)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- ackEcho(servers, 64) }()
	c := fdConn(t, clients[0])
	if _, err := c.Write([]byte{1, 0, 0, 0, 0x3F, 0, 0, 0, 0}); err != nil {
		t.Fatal(err)
	}
	if err := waitErr(t, done); !errors.Is(err, proto.ErrUnknownOp) {
		t.Fatalf("echo: %v, want ErrUnknownOp", err)
	}
	if n, err := c.Read(make([]byte, 1)); n != 0 || !errors.Is(err, io.EOF) {
		t.Fatalf("after the echo failed: %d %v, want EOF", n, err)
	}
}

// fakeBroker answers n MESSAGE frames on c, checking their ids and bytes
// against frame, each with a broker ping and then the ACK written in two
// pieces.
func fakeBroker(c net.Conn, frame []byte, n int, code proto.Code) error {
	got := make([]byte, len(frame))
	for id := uint32(1); id <= uint32(n); id++ {
		if _, err := io.ReadFull(c, got); err != nil {
			return err
		}
		binary.LittleEndian.PutUint32(frame, id)
		if !bytes.Equal(got, frame) {
			return errors.New("unexpected frame")
		}
		ack := proto.AppendAck(proto.AppendBrokerPing(nil), id, code)
		for _, part := range [][]byte{ack[:8], ack[8:]} {
			if _, err := c.Write(part); err != nil {
				return err
			}
		}
	}
	return nil
}

// TestSeqClient runs the sequential epoll client against fake brokers that
// split their ACKs and interleave pings: every frame is upstream's bytes
// with ids 1, 2, 3, and every ACK counts.
func TestSeqClient(t *testing.T) {
	clients, servers, err := socketPairs("unix", 2)
	if err != nil {
		t.Fatal(err)
	}
	defer closeFDs(clients)
	frames := [][]byte{
		proto.AppendMessage(nil, 0, proto.QoSRealtimeProcessed, []byte("bench-1-null"), payload(100)),
		proto.AppendMessage(nil, 0, proto.QoSRealtimeProcessed, []byte("bench-2-null"), payload(100)),
	}
	if frames[0][4] != 0xD2 {
		t.Fatalf("flags %#x, want 0xd2", frames[0][4])
	}
	brokers := make(chan error, 2)
	for k, fd := range servers {
		c := fdConn(t, fd)
		code := []proto.Code{proto.CodeNotRegistered, proto.CodeOK}[k]
		go func() { brokers <- fakeBroker(c, bytes.Clone(frames[k]), 3, code) }()
	}
	var done counter
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	if err := seqClient(ctx, clients, frames, 3, 4, &done); err != nil {
		t.Fatal(err)
	}
	for range servers {
		if err := waitErr(t, brokers); err != nil {
			t.Fatal(err)
		}
	}
	if n := done.n.Load(); n != 6 {
		t.Fatalf("%d ACKs counted, want 6", n)
	}
	if frames[0][0] != 0 {
		t.Fatal("seqClient changed the caller's frame")
	}
}

// TestSeqClientFailures: a wrong ACK id, an error code, a closed
// connection and a cancelled context each end the client with an error.
func TestSeqClientFailures(t *testing.T) {
	frame := proto.AppendMessage(nil, 0, proto.QoSRealtimeProcessed, []byte("x"), nil)
	for _, c := range []struct {
		name  string
		reply func(c net.Conn, cancel func()) // after reading the first frame
		want  string
	}{
		{"wrong id", func(c net.Conn, _ func()) { _, _ = c.Write(proto.AppendAck(nil, 5, proto.CodeOK)) }, "ACK for frame 5 while waiting for 1"},
		{"error code", func(c net.Conn, _ func()) { _, _ = c.Write(proto.AppendAck(nil, 1, proto.CodeAccess)) }, "access denied"},
		{"closed", func(c net.Conn, _ func()) { _ = c.Close() }, io.ErrUnexpectedEOF.Error()},
		{"cancelled", func(_ net.Conn, cancel func()) { cancel() }, context.Canceled.Error()},
	} {
		t.Run(c.name, func(t *testing.T) {
			clients, servers, err := socketPairs("unix", 1)
			if err != nil {
				t.Fatal(err)
			}
			defer closeFDs(clients)
			peer := fdConn(t, servers[0])
			ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
			defer cancel()
			res := make(chan error, 1)
			var done counter
			go func() { res <- seqClient(ctx, clients, [][]byte{frame}, 2, 64, &done) }()
			if _, err := io.ReadFull(peer, make([]byte, len(frame))); err != nil {
				t.Fatal(err)
			}
			c.reply(peer, cancel)
			err = waitErr(t, res)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("seqClient: %v, want %q", err, c.want)
			}
			if c.name == "cancelled" && !errors.Is(err, context.Canceled) {
				t.Fatalf("seqClient: %v, want context.Canceled", err)
			}
		})
	}
}

// TestSocketPairsTCP: the TCP pairs are private, non-blocking, TCP_NODELAY
// descriptors, connected end to end.
func TestSocketPairsTCP(t *testing.T) {
	clients, servers, err := socketPairs("tcp", 2)
	if err != nil {
		t.Fatal(err)
	}
	defer closeFDs(clients)
	defer closeFDs(servers)
	for _, fd := range append(slices.Clone(clients), servers...) {
		checkDetached(t, "pair", fd, true)
	}
	for k := range clients {
		msg := []byte{byte(k + 1)}
		if _, err := unix.Write(clients[k], msg); err != nil {
			t.Fatal(err)
		}
		pfd := []unix.PollFd{{Fd: int32(servers[k]), Events: unix.POLLIN}}
		if _, err := unix.Poll(pfd, int(testTimeout.Milliseconds())); err != nil {
			t.Fatal(err)
		}
		got := make([]byte, 2)
		if n, err := unix.Read(servers[k], got); err != nil || n != 1 || got[0] != msg[0] {
			t.Fatalf("pair %d: read % x, %v; want % x", k+1, got[:max(n, 0)], err, msg)
		}
	}
}

// checkDetached fails t unless fd is non-blocking and, for TCP, has
// TCP_NODELAY.
func checkDetached(t *testing.T, what string, fd int, tcp bool) {
	t.Helper()
	flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	if err != nil || flags&unix.O_NONBLOCK == 0 {
		t.Errorf("%s: flags %#x, %v: not non-blocking", what, flags, err)
	}
	if !tcp {
		return
	}
	if v, err := unix.GetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY); err != nil || v == 0 {
		t.Errorf("%s: TCP_NODELAY %d, %v", what, v, err)
	}
}

// TestLeanDial registers over UNIX and TCP, reports a BUSY refusal as the
// broker's code, and hands back a non-blocking socket (TCP_NODELAY).
func TestLeanDial(t *testing.T) {
	ctx := context.Background()
	for _, bind := range []string{"", "127.0.0.1:0"} {
		eb, err := startEmbedded(ctx, bind, BrokerOptions{}, os.Stderr)
		if err != nil {
			t.Fatal(err)
		}
		network, _ := networkOf(eb.addr)
		addrs := []string{eb.addr}
		if network == "tcp" {
			_, port, _ := net.SplitHostPort(eb.addr)
			addrs = append(addrs, "localhost:"+port)
		}
		for i, addr := range addrs {
			name := fmt.Sprintf("lean-%d", i+1)
			fd, err := leanDial(ctx, network, addr, name, time.Second)
			if err != nil {
				t.Fatalf("%s: %v", addr, err)
			}
			checkDetached(t, addr, fd, network == "tcp")
			// The name is taken while fd is open.
			if _, err := leanDial(ctx, network, addr, name, time.Second); !errors.Is(err, proto.CodeBusy.Err()) {
				t.Errorf("%s: second registration: %v, want BUSY", addr, err)
			}
			_ = unix.Close(fd)
		}
		eb.stop()
	}
}

// TestLeanDialSilentBroker: a peer that never greets times the handshake
// out after the client timeout, or ends it when ctx is cancelled; one that
// hangs up ends it at once.
func TestLeanDialSilentBroker(t *testing.T) {
	path := t.TempDir() + "/silent.sock"
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for i := 0; ; i++ {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			if i > 1 {
				_ = c.Close() // the third hangs up
			} else {
				defer c.Close() // the first two never speak
			}
		}
	}()
	ctx := context.Background()
	if _, err := leanDial(ctx, "unix", path, "x", 50*time.Millisecond); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("silent peer: %v, want a timeout", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	time.AfterFunc(50*time.Millisecond, cancel)
	if _, err := leanDial(cctx, "unix", path, "x", testTimeout); !errors.Is(err, context.Canceled) {
		t.Fatalf("silent peer, cancelled: %v, want context.Canceled", err)
	}
	if _, err := leanDial(ctx, "unix", path, "x", testTimeout); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("peer hanging up: %v, want ErrUnexpectedEOF", err)
	}
}

// TestReserveProcs: GOMAXPROCS is raised above the locked threads while
// any user holds it, follows the users left, and is restored after the
// last.
func TestReserveProcs(t *testing.T) {
	before := runtime.GOMAXPROCS(0)
	restoreA := reserveProcs(before + 1)
	restoreB := reserveProcs(before)
	if got := runtime.GOMAXPROCS(0); got != before+2 {
		t.Fatalf("GOMAXPROCS %d, want %d", got, before+2)
	}
	restoreA()
	if got := runtime.GOMAXPROCS(0); got != before+1 {
		t.Fatalf("GOMAXPROCS %d with B left, want %d", got, before+1)
	}
	restoreB()
	if got := runtime.GOMAXPROCS(0); got != before {
		t.Fatalf("GOMAXPROCS %d after the last user, want %d", got, before)
	}
}
