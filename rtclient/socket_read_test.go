//go:build unix

package rtclient

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"testing"
	"time"

	"github.com/busrt-go/busrt/proto"
)

// Tests of the read path (socket_read.go) through both readers: the raw one
// (a UNIX socket) and the net.Conn.Read one (net.Pipe).

// readerConn is a registered client and the broker end of its connection.
type readerConn struct {
	c  *SocketClient
	nc net.Conn
	fc *fakeConn // raw reader only
}

func readerConns(t *testing.T, cfg Config) map[string]readerConn {
	fb := newFakeBroker(t)
	cfg.Name = "rd.raw"
	c, fc := fb.client(cfg)
	if c.raw == nil {
		t.Fatal("a UNIX socket client reads without RawConn")
	}
	srv, cli := net.Pipe()
	t.Cleanup(func() { _ = srv.Close() })
	cfg.Name = "rd.pipe"
	p := newSocketClient(cli, "pipe", cfg.withDefaults())
	if p.raw != nil {
		t.Fatal("net.Pipe has a RawConn")
	}
	p.start()
	t.Cleanup(func() { _ = p.Close() })
	go func() { _, _ = io.Copy(io.Discard, srv) }() // what the client writes
	return map[string]readerConn{"raw": {c: c, nc: fc.nc, fc: fc}, "pipe": {c: p, nc: srv}}
}

// writeChunks writes b in pieces of random sizes, pausing now and then so
// that the reader sees frames cut anywhere.
func writeChunks(t *testing.T, nc net.Conn, b []byte, rnd *rand.Rand) {
	t.Helper()
	for len(b) > 0 {
		n := 1 + rnd.IntN(300)
		if rnd.IntN(20) == 0 {
			n = 1 + rnd.IntN(256<<10)
		}
		n = min(n, len(b))
		if _, err := nc.Write(b[:n]); err != nil {
			t.Error(err)
			return
		}
		b = b[n:]
		if rnd.IntN(8) == 0 {
			time.Sleep(time.Duration(rnd.IntN(200)) * time.Microsecond)
		}
	}
}

// TestReaderStream feeds frames of every kind and size (NOPs, ACKs for
// waiting calls and orphaned ones, deliveries from empty to larger than the
// read buffer and than bodyChunk), cut at random places, to a client with a
// tiny read buffer; every frame must come out whole and in order, every
// waiting call must get its own ACK.
func TestReaderStream(t *testing.T) {
	for name, rc := range readerConns(t, Config{BufSize: 64, PingInterval: -1, BufTTL: -1}) {
		t.Run(name, func(t *testing.T) {
			rnd := rand.New(rand.NewPCG(1, uint64(len(name))))
			c := rc.c
			// Calls waiting for ACKs; the raw client's frame ids are read
			// from the socket, the pipe client's follow from lastID.
			const calls = 20
			results := make(chan error, calls)
			for i := range calls {
				go func() { results <- c.Send(context.Background(), fmt.Sprint("t", i), nil, proto.QoSProcessed) }()
			}
			var ids []uint32
			for len(ids) < calls {
				if rc.fc != nil {
					ids = append(ids, rc.fc.nextData().id)
					continue
				}
				c.wmu.Lock()
				n := c.lastID
				c.wmu.Unlock()
				if int(n) == calls {
					for id := range uint32(calls) {
						ids = append(ids, id+1)
					}
				}
				time.Sleep(time.Millisecond)
			}
			type want struct {
				kind          proto.Kind
				rt            bool
				sender, topic string
				payload       []byte
			}
			var stream []byte
			var wants []want
			codes := map[proto.Code]int{}
			sizes := []int{0, 1, 2, 57, 58, 59, 64, 100, 1000, 70000, 1<<20 + 123}
			for i := range 200 {
				switch rnd.IntN(5) {
				case 0:
					stream = append(stream, 0, 9, 9, 9, 9, 9) // NOP with junk
				case 1:
					if len(ids) > 0 {
						code := proto.CodeOK
						if len(ids)%2 == 0 {
							code = proto.CodeNotRegistered
						}
						codes[code]++
						stream = proto.AppendAck(stream, ids[0], code)
						ids = ids[1:]
					} else {
						stream = proto.AppendAck(stream, 99999, proto.CodeOK) // orphaned
					}
				default:
					size := sizes[rnd.IntN(len(sizes))]
					if size > 1000 && rnd.IntN(4) != 0 {
						size = rnd.IntN(200)
					}
					p := make([]byte, size)
					for j := range p {
						p[j] = byte(i + j)
					}
					w := want{kind: proto.KindMessage, rt: rnd.IntN(2) == 0, sender: fmt.Sprint("s", i), payload: p}
					if rnd.IntN(2) == 0 {
						w.kind, w.topic = proto.KindPublish, fmt.Sprint("top/", i)
					}
					var topic []byte
					if w.kind == proto.KindPublish {
						topic = []byte(w.topic)
					}
					stream = proto.AppendDelivery(stream, w.kind, w.rt, []byte(w.sender), topic, p)
					wants = append(wants, w)
				}
			}
			for _, id := range ids {
				codes[proto.CodeOK]++
				stream = proto.AppendAck(stream, id, proto.CodeOK)
			}
			go writeChunks(t, rc.nc, stream, rnd)
			for i, w := range wants {
				var f *Frame
				select {
				case f = <-c.Frames():
				case <-time.After(waitTimeout):
					t.Fatalf("frame %d: not received (err %v)", i, c.Err())
				}
				if f == nil || f.Kind != w.kind || f.Realtime != w.rt || string(f.Sender) != w.sender || string(f.Topic) != w.topic || !bytes.Equal(f.Payload, w.payload) {
					t.Fatalf("frame %d: got %v %v %q %q (%d bytes), want %v %v %q %q (%d bytes)", i,
						f.Kind, f.Realtime, f.Sender, f.Topic, len(f.Payload), w.kind, w.rt, w.sender, w.topic, len(w.payload))
				}
				f.Release()
			}
			got := map[proto.Code]int{}
			for range calls {
				select {
				case err := <-results:
					var pe *proto.Error
					switch {
					case err == nil:
						got[proto.CodeOK]++
					case errors.As(err, &pe):
						got[pe.Code]++
					default:
						t.Fatal(err)
					}
				case <-time.After(waitTimeout):
					t.Fatal("a call got no ACK")
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(codes) {
				t.Fatalf("ACK codes %v, want %v", got, codes)
			}
			if !c.IsConnected() {
				t.Fatal(c.Err())
			}
		})
	}
}

// TestReaderBodyTimeout: a frame body that stops arriving disconnects the
// client after Timeout; a body that completes lifts the bound, so an idle
// client stays connected.
func TestReaderBodyTimeout(t *testing.T) {
	const timeout = 100 * time.Millisecond
	for name, rc := range readerConns(t, Config{Timeout: timeout, BufSize: 1024, PingInterval: -1}) {
		t.Run(name, func(t *testing.T) {
			small := proto.AppendDelivery(nil, proto.KindMessage, false, []byte("s"), nil, make([]byte, 300))
			large := proto.AppendDelivery(nil, proto.KindMessage, false, []byte("s"), nil, make([]byte, 3000))
			for _, frame := range [][]byte{small, large} { // fits in buf, and does not
				for _, cut := range []int{3, 10, 200} {
					if _, err := rc.nc.Write(frame[:cut]); err != nil {
						t.Fatal(err)
					}
					time.Sleep(timeout * 2 / 3)
					if _, err := rc.nc.Write(frame[cut:]); err != nil {
						t.Fatal(err)
					}
					f := <-rc.c.Frames()
					if f == nil || len(f.Payload) != len(frame)-8 {
						t.Fatalf("cut at %d: %v (err %v)", cut, f, rc.c.Err())
					}
					f.Release()
				}
			}
			frame := large
			time.Sleep(3 * timeout)
			if !rc.c.IsConnected() {
				t.Fatalf("idle client dropped: %v", rc.c.Err())
			}
			start := time.Now()
			if _, err := rc.nc.Write(frame[:100]); err != nil {
				t.Fatal(err)
			}
			select {
			case <-rc.c.Done():
			case <-time.After(waitTimeout):
				t.Fatal("a stalled body does not time out")
			}
			if d := time.Since(start); d < timeout*9/10 {
				t.Fatalf("dropped after %v, before Timeout", d)
			}
			if !errors.Is(rc.c.Err(), ErrDisconnected) {
				t.Fatal(rc.c.Err())
			}
		})
	}
}

// TestCloseFromHandler: a frame handler, which runs on the reader, may
// close the client; and Close from elsewhere does not wait for a handler
// that is still running. Either way the broker sees the connection end at
// once.
func TestCloseFromHandler(t *testing.T) {
	delivery := proto.AppendDelivery(nil, proto.KindMessage, false, []byte("s"), nil, []byte("x"))
	fb := newFakeBroker(t)

	c, fc := fb.client(Config{Name: "close.self", PingInterval: -1})
	c.SetHandler(func(f *Frame) {
		f.Release()
		_ = c.Close()
	})
	fc.write(delivery)
	waitEOF(t, fc.nc)
	select {
	case <-c.Done():
	case <-time.After(waitTimeout):
		t.Fatal("the reader did not stop")
	}
	if !errors.Is(c.Err(), ErrClosed) {
		t.Fatal(c.Err())
	}

	c, fc = fb.client(Config{Name: "close.other", PingInterval: -1})
	entered, release := make(chan struct{}), make(chan struct{})
	c.SetHandler(func(f *Frame) {
		f.Release()
		close(entered)
		<-release
	})
	fc.write(delivery)
	<-entered
	closed := make(chan struct{})
	go func() { _ = c.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(waitTimeout):
		t.Fatal("Close waits for a running handler")
	}
	waitEOF(t, fc.nc)
	close(release)
	select {
	case <-c.Done():
	case <-time.After(waitTimeout):
		t.Fatal("the reader did not stop")
	}
}

// waitEOF reads nc until it ends.
func waitEOF(t *testing.T, nc net.Conn) {
	t.Helper()
	_ = nc.SetReadDeadline(time.Now().Add(waitTimeout))
	if _, err := io.Copy(io.Discard, nc); err != nil {
		t.Fatalf("the connection did not end: %v", err)
	}
}

// TestReaderEOFAfterData: a broker that writes its last frames and closes
// at once (a kick, a shutdown) is noticed at once, also when the FIN comes
// with the last bytes in one readiness event (the raw reader then relies on
// the hang-up watcher). Pings are off: nothing else would notice.
func TestReaderEOFAfterData(t *testing.T) {
	last := [][]byte{
		proto.AppendAck(nil, 7, proto.CodeOK),
		proto.AppendDelivery(nil, proto.KindMessage, true, []byte("s"), nil, []byte("bye")),
		append(proto.AppendAck(nil, 7, proto.CodeOK), 0x12), // and half a header
	}
	for i := range 600 {
		srv, cli := socketPair(t)
		c := newSocketClient(cli, "pair", Config{Name: "eof", PingInterval: -1, BufTTL: -1}.withDefaults())
		c.start()
		c.SetHandler(func(f *Frame) { f.Release() })
		if i%2 == 0 {
			time.Sleep(50 * time.Microsecond) // the reader waits already
		}
		if _, err := srv.Write(last[i%len(last)]); err != nil {
			t.Fatal(err)
		}
		_ = srv.Close()
		select {
		case <-c.Done():
		case <-time.After(waitTimeout):
			t.Fatalf("iteration %d: the end of the stream went unnoticed", i)
		}
		if !errors.Is(c.Err(), ErrDisconnected) {
			t.Fatalf("iteration %d: %v", i, c.Err())
		}
	}
}
