package benchmarks

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/busrt-go/busrt/proto"
)

// Raw-socket baselines (not in upstream): the fan-out and latency stages
// with no broker, over the same kind of socket (UNIX or TCP loopback) and
// with the same BUS/RT frames, so that "broker / raw socket" says what the
// broker costs over the kernel's own work.
//
//   - raw.pubsub.fanout.N: the publisher writes PUBLISH frames to a relay
//     goroutine in this process, which turns each into a delivery frame
//     for each of N subscriber sockets (buffered per subscriber, flushed
//     whenever its input is drained, as a broker batches), with the same
//     flow-control window as the broker stage.
//   - raw.latency.rtt: client A writes a realtime MESSAGE frame to an echo
//     goroutine, which writes a delivery frame straight back. That is one
//     socket hop each way, where the broker stage has two (A → broker → B
//     and back), so the ratio includes the hops any broker adds.

// rawSender is the sender name the raw relay and echo put in deliveries.
var rawSender = []byte("raw.peer")

// rawListen opens a listener of network on a fresh address: a socket in a
// new temporary directory (removed by the returned cleanup) or a loopback
// port.
func rawListen(network string) (net.Listener, func(), error) {
	if network == "unix" {
		dir, err := os.MkdirTemp("", "busrt-raw")
		if err != nil {
			return nil, nil, err
		}
		ln, err := net.Listen("unix", filepath.Join(dir, "raw.sock"))
		if err != nil {
			_ = os.RemoveAll(dir)
			return nil, nil, err
		}
		return ln, func() { _ = ln.Close(); _ = os.RemoveAll(dir) }, nil
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	return ln, func() { _ = ln.Close() }, nil
}

// rawPairs connects n socket pairs through ln: the client ends and the
// accepted server ends, in the same order.
func rawPairs(ln net.Listener, n int) (clients, servers []net.Conn, err error) {
	closeConns := func() {
		for _, c := range append(clients, servers...) {
			_ = c.Close()
		}
	}
	for range n {
		c, err := net.Dial(ln.Addr().Network(), ln.Addr().String())
		if err != nil {
			closeConns()
			return nil, nil, err
		}
		clients = append(clients, c)
		s, err := ln.Accept()
		if err != nil {
			closeConns()
			return nil, nil, err
		}
		servers = append(servers, s)
	}
	return clients, servers, nil
}

// readClientFrame reads one client→broker frame from br into buf.
func readClientFrame(br *bufio.Reader, hdr []byte, buf []byte) (proto.Header, []byte, error) {
	if _, err := io.ReadFull(br, hdr[:proto.ClientHeaderSize]); err != nil {
		return proto.Header{}, buf, err
	}
	h, err := proto.DecodeHeader(hdr[:proto.ClientHeaderSize], 0)
	if err != nil {
		return h, buf, err
	}
	if cap(buf) < int(h.Len) {
		buf = make([]byte, h.Len)
	}
	buf = buf[:h.Len]
	_, err = io.ReadFull(br, buf)
	return h, buf, err
}

// readBrokerFrame reads and discards one broker→client frame from br.
func readBrokerFrame(br *bufio.Reader, hdr []byte) error {
	if _, err := io.ReadFull(br, hdr[:proto.BrokerHeaderSize]); err != nil {
		return err
	}
	h, err := proto.DecodeBrokerHeader(hdr[:proto.BrokerHeaderSize])
	if err != nil {
		return err
	}
	_, err = br.Discard(int(h.Len))
	return err
}

// rawRelay turns every PUBLISH frame read from in into a delivery frame on
// every output, flushing the outputs whenever in has nothing buffered.
func rawRelay(in net.Conn, outs []net.Conn, bufSize int) {
	br := bufio.NewReaderSize(in, bufSize)
	ws := make([]*bufio.Writer, len(outs))
	for i, o := range outs {
		ws[i] = bufio.NewWriterSize(o, bufSize)
	}
	var hdr [proto.ClientHeaderSize]byte
	var body, head []byte
	for {
		if br.Buffered() == 0 {
			for _, w := range ws {
				if w.Flush() != nil {
					return
				}
			}
		}
		var err error
		var h proto.Header
		if h, body, err = readClientFrame(br, hdr[:], body); err != nil {
			return
		}
		if h.Op != proto.OpPublish {
			continue
		}
		i := bytes.IndexByte(body, 0)
		if i < 0 {
			return
		}
		topic, payload := body[:i], body[i+1:]
		head = proto.AppendDeliveryHeader(head[:0], proto.KindPublish, false, rawSender, topic, len(payload))
		for _, w := range ws {
			_, _ = w.Write(head)
			_, _ = w.Write(payload)
		}
	}
}

// rawEcho answers every MESSAGE frame read from c with a realtime delivery
// of its payload, written at once.
func rawEcho(c net.Conn, bufSize int) {
	br := bufio.NewReaderSize(c, bufSize)
	var hdr [proto.ClientHeaderSize]byte
	var body, out []byte
	for {
		var err error
		if _, body, err = readClientFrame(br, hdr[:], body); err != nil {
			return
		}
		_, payload, err := proto.SplitTarget(body)
		if err != nil {
			return
		}
		out = proto.AppendDelivery(out[:0], proto.KindMessage, true, rawSender, nil, payload)
		if _, err := c.Write(out); err != nil {
			return
		}
	}
}

// rawFanout runs raw.pubsub.fanout.N.
func (r *runner) rawFanout(ctx context.Context, n int) error {
	ln, cleanup, err := rawListen(r.network)
	if err != nil {
		return fmt.Errorf("benchmarks: raw socket: %w", err)
	}
	defer cleanup()
	clients, servers, err := rawPairs(ln, n+1)
	if err != nil {
		return fmt.Errorf("benchmarks: raw socket: %w", err)
	}
	conns := append(clients, servers...)
	defer func() {
		for _, c := range conns {
			_ = c.Close()
		}
	}()
	go rawRelay(servers[0], servers[1:], r.o.BufSize)
	pubs := r.fanoutPubs(n)
	win := newWindow(n, r.o.FanoutWindow, r.stallLimit())
	frame := proto.AppendPublish(nil, 1, proto.QoSNo, []byte("busrt-bench/"+r.o.Name+"-raw"), r.payload)
	tasks := []task{func(ctx context.Context, _ *counter) error {
		stop := context.AfterFunc(ctx, func() { _ = clients[0].SetWriteDeadline(time.Unix(1, 0)) })
		defer stop()
		w := bufio.NewWriterSize(clients[0], r.o.BufSize)
		var slow int64
		for i := range pubs {
			if i-slow >= win.size {
				if err := w.Flush(); err != nil {
					return err
				}
				var err error
				if slow, err = win.admit(ctx, i); err != nil {
					return err
				}
			}
			if _, err := w.Write(frame); err != nil {
				return err
			}
		}
		return w.Flush()
	}}
	for k, c := range clients[1:] {
		tasks = append(tasks, func(ctx context.Context, _ *counter) error {
			stop := context.AfterFunc(ctx, func() { _ = c.SetReadDeadline(time.Unix(1, 0)) })
			defer stop()
			br := bufio.NewReaderSize(c, r.o.BufSize)
			var hdr [proto.BrokerHeaderSize]byte
			for got := int64(1); got <= pubs; got++ {
				if err := readBrokerFrame(br, hdr[:]); err != nil {
					return errors.Join(ctx.Err(), err)
				}
				win.received(k, got, pubs)
			}
			return nil
		})
	}
	_, err = r.runStage(ctx, stage{name: rawPrefix + FanoutStage(n), iters: pubs * int64(n), tasks: tasks, want: pubs * int64(n), progress: win.delivered})
	return err
}

// rawLatency runs raw.latency.rtt.
func (r *runner) rawLatency(ctx context.Context) error {
	ln, cleanup, err := rawListen(r.network)
	if err != nil {
		return fmt.Errorf("benchmarks: raw socket: %w", err)
	}
	defer cleanup()
	clients, servers, err := rawPairs(ln, 1)
	if err != nil {
		return fmt.Errorf("benchmarks: raw socket: %w", err)
	}
	c := clients[0]
	defer func() { _ = c.Close(); _ = servers[0].Close() }()
	go rawEcho(servers[0], r.o.BufSize)
	stop := context.AfterFunc(ctx, func() { _ = c.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	frame := proto.AppendMessage(nil, 1, proto.QoSRealtime, []byte(r.o.Name+"-raw"), r.payload)
	br := bufio.NewReaderSize(c, r.o.BufSize)
	var hdr [proto.BrokerHeaderSize]byte
	roundTrip := func() error {
		if _, err := c.Write(frame); err != nil {
			return err
		}
		return readBrokerFrame(br, hdr[:])
	}
	n := r.o.LatencyIters
	for range min(n, latencyWarmup) {
		if err := roundTrip(); err != nil {
			return fmt.Errorf("benchmarks: raw latency warm-up: %w", err)
		}
	}
	samples := make([]time.Duration, n)
	t := func(ctx context.Context, done *counter) error {
		for i := range samples {
			start := time.Now()
			if err := roundTrip(); err != nil {
				return errors.Join(ctx.Err(), err)
			}
			samples[i] = time.Since(start)
			done.n.Add(1)
		}
		return nil
	}
	res, err := r.runStage(ctx, stage{name: StageRawLatency, iters: n, tasks: []task{t}, want: n})
	if err != nil {
		return err
	}
	res.Latency = latencyOf(samples)
	return nil
}
