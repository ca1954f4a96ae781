package rtclient

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/busrt-go/busrt/proto"
)

// SocketClient is a client connected to a broker over a UNIX or TCP socket.
// One reader goroutine reads the broker's frames, a flusher goroutine writes
// non-realtime frames at most BufTTL after they were queued, and a pinger
// keeps the connection alive. Create it with Dial. All methods are safe from
// any goroutine.
//
// On Linux, the first client also starts one process-wide goroutine, with
// one epoll descriptor, that notices brokers hanging up (see
// socket_hup_linux.go); it lives as long as the process.
type SocketClient struct {
	name string
	addr string
	cfg  Config
	conn net.Conn
	raw  syscall.RawConn // nil: read through conn.Read
	rd   frameReader     // the reader goroutine's (and the handshake's) state

	// drainRead makes the raw reader read until EAGAIN instead of waiting
	// after a short read: set when the peer hung up, or when no hang-up
	// watcher covers the socket (socket_hup_linux.go).
	drainRead atomic.Bool
	hupID     int32 // the socket's id in the hang-up watcher, or 0

	acks   waitTable
	frames dispatcher

	wmu      sync.Mutex // guards the fields up to fmu
	wbuf     []byte     // frames waiting for a flush
	lastID   uint32     // last frame id used
	flushDue bool       // the flusher has been asked to flush wbuf
	dueAt    int64      // when (nanotime) the first frame of wbuf must go out

	fmu           sync.Mutex // serializes socket writes; held while writing
	spare         []byte     // the buffer not in use as wbuf; guarded by fmu
	writeDeadline int64      // nanotime of the socket's write deadline; guarded by fmu

	flushSig  chan struct{} // capacity 1: wakes the flusher
	quit      chan struct{} // closed when the client stops
	done      chan struct{} // closed when the reader has stopped
	failure   atomic.Pointer[failure]
	failOnce  sync.Once
	closeOnce sync.Once
	nextSec   atomic.Uint32 // next secondary suffix
}

// failure is the sticky reason why the client stopped.
type failure struct{ err error }

// Dial connects to the broker at addr (classified by Network), registers
// cfg.Name and starts the client. Connecting and the handshake are bounded
// by cfg.Timeout and ctx. A refused registration is a *proto.Error with
// the broker's code (BUSY for a name in use, NOT_REGISTERED for a secondary
// without its primary, DATA for an invalid name, ACCESS). Safe from any
// goroutine.
func Dial(ctx context.Context, addr string, cfg Config) (*SocketClient, error) {
	cfg = cfg.withDefaults()
	network, err := Network(addr)
	if err != nil {
		return nil, err
	}
	hs, err := proto.NewClientHandshake(cfg.Name)
	if err != nil {
		return nil, err
	}
	dctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(dctx, network, addr)
	if err != nil {
		return nil, fmt.Errorf("rtclient: connect to %s: %w", addr, err)
	}
	c := newSocketClient(conn, addr, cfg)
	if err := c.handshake(dctx, &hs); err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("rtclient: register %q at %s: %w", cfg.Name, addr, err)
	}
	c.start()
	return c, nil
}

// newSocketClient prepares a client on conn; cfg has its defaults.
func newSocketClient(conn net.Conn, addr string, cfg Config) *SocketClient {
	c := &SocketClient{
		name:     cfg.Name,
		addr:     addr,
		cfg:      cfg,
		conn:     conn,
		rd:       frameReader{buf: make([]byte, max(cfg.BufSize, minReadBuf))},
		frames:   newDispatcher(cfg.QueueSize),
		wbuf:     make([]byte, 0, cfg.BufSize),
		spare:    make([]byte, 0, cfg.BufSize),
		flushSig: make(chan struct{}, 1),
		quit:     make(chan struct{}),
		done:     make(chan struct{}),
	}
	c.raw = rawConnOf(conn)
	return c
}

// minReadBuf is the smallest read buffer: a broker header and a greeting
// always fit.
const minReadBuf = 64

// start starts the goroutines of a registered client.
func (c *SocketClient) start() {
	if c.raw != nil && !c.watchHangUp() {
		c.drainRead.Store(true)
	}
	go c.readLoop()
	if c.cfg.BufTTL > 0 {
		go c.flushLoop()
	}
	if c.cfg.PingInterval > 0 {
		go c.pingLoop()
	}
}

// handshake runs the client side of PROTOCOL.md §4 within ctx.
func (c *SocketClient) handshake(ctx context.Context, hs *proto.ClientHandshake) error {
	if dl, ok := ctx.Deadline(); ok {
		_ = c.conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = c.conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	in := make([]byte, proto.GreetingSize)
	var out []byte
	for !hs.Done() {
		want := hs.Want()
		if err := c.readFull(in[:want]); err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("%s: %w", hs.Step(), ctx.Err())
			}
			return fmt.Errorf("%s: %w", hs.Step(), err)
		}
		var err error
		if _, out, err = hs.Feed(in[:want], out[:0]); err != nil {
			return err
		}
		if len(out) > 0 {
			if _, err := c.conn.Write(out); err != nil {
				return fmt.Errorf("%s: %w", hs.Step(), err)
			}
		}
	}
	if !stop() {
		return ctx.Err() // the deadline was forced: ctx ended just now
	}
	return c.conn.SetDeadline(time.Time{})
}

// Name returns the client's full name. Safe from any goroutine.
func (c *SocketClient) Name() string { return c.name }

// Addr returns the address the client connected to. Safe from any
// goroutine.
func (c *SocketClient) Addr() string { return c.addr }

// Send sends a direct message to target. Safe from any goroutine.
func (c *SocketClient) Send(ctx context.Context, target string, payload []byte, qos proto.QoS) error {
	return c.do(ctx, &frameParts{op: proto.OpMessage, qos: qos, name: target, payload: payload})
}

// SendZC sends a direct message whose payload is header‖payload. Safe from
// any goroutine.
func (c *SocketClient) SendZC(ctx context.Context, target string, header, payload []byte, qos proto.QoS) error {
	return c.do(ctx, &frameParts{op: proto.OpMessage, qos: qos, name: target, header: header, payload: payload})
}

// SendAsync sends a direct message whose payload is header‖payload without
// waiting for its ACK, which goes to ack. Safe from any goroutine.
func (c *SocketClient) SendAsync(ctx context.Context, target string, header, payload []byte, qos proto.QoS, ack AckHandler, tag uint32) error {
	return c.do(ctx, &frameParts{op: proto.OpMessage, qos: qos, name: target, header: header, payload: payload, async: true, ack: ack, tag: tag})
}

// Broadcast sends payload to the clients matching mask. Safe from any
// goroutine.
func (c *SocketClient) Broadcast(ctx context.Context, mask string, payload []byte, qos proto.QoS) error {
	return c.do(ctx, &frameParts{op: proto.OpBroadcast, qos: qos, name: mask, payload: payload})
}

// Publish publishes payload on topic. Safe from any goroutine.
func (c *SocketClient) Publish(ctx context.Context, topic string, payload []byte, qos proto.QoS) error {
	return c.do(ctx, &frameParts{op: proto.OpPublish, qos: qos, name: topic, payload: payload})
}

// PublishFor publishes payload on topic for receiver's subscriptions. Safe
// from any goroutine.
func (c *SocketClient) PublishFor(ctx context.Context, topic, receiver string, payload []byte, qos proto.QoS) error {
	return c.do(ctx, &frameParts{op: proto.OpPublishFor, qos: qos, name: topic, recv: receiver, payload: payload})
}

// Subscribe subscribes to topics in one frame. Safe from any goroutine.
func (c *SocketClient) Subscribe(ctx context.Context, qos proto.QoS, topics ...string) error {
	return c.do(ctx, &frameParts{op: proto.OpSubscribe, qos: qos, topics: topics})
}

// Unsubscribe removes topic subscriptions. Safe from any goroutine.
func (c *SocketClient) Unsubscribe(ctx context.Context, qos proto.QoS, topics ...string) error {
	return c.do(ctx, &frameParts{op: proto.OpUnsubscribe, qos: qos, topics: topics})
}

// Exclude adds exclusion patterns. Safe from any goroutine.
func (c *SocketClient) Exclude(ctx context.Context, qos proto.QoS, topics ...string) error {
	return c.do(ctx, &frameParts{op: proto.OpExclude, qos: qos, topics: topics})
}

// Unexclude removes exclusion patterns. Safe from any goroutine.
func (c *SocketClient) Unexclude(ctx context.Context, qos proto.QoS, topics ...string) error {
	return c.do(ctx, &frameParts{op: proto.OpUnexclude, qos: qos, topics: topics})
}

// Frames returns the incoming frame queue. Safe from any goroutine.
func (c *SocketClient) Frames() <-chan *Frame { return c.frames.ch }

// SetHandler hands incoming frames to h instead of Frames. Safe from any
// goroutine.
func (c *SocketClient) SetHandler(h func(*Frame)) { c.frames.set(h) }

// RegisterSecondary connects a new secondary client NAME%%N to the same
// address with the same settings; N counts from 0 per primary, and numbers
// that the broker reports BUSY are skipped. Safe from any goroutine.
func (c *SocketClient) RegisterSecondary(ctx context.Context) (Client, error) {
	if strings.Contains(c.name, proto.SecondarySep) {
		return nil, ErrNotPrimary
	}
	for range 1000 {
		cfg := c.cfg
		cfg.Name = c.name + proto.SecondarySep + strconv.FormatUint(uint64(c.nextSec.Add(1)-1), 10)
		s, err := Dial(ctx, c.addr, cfg)
		if errors.Is(err, proto.CodeBusy.Err()) {
			continue
		}
		if err != nil {
			return nil, err
		}
		return s, nil
	}
	return nil, proto.CodeBusy.Err()
}

// IsConnected reports whether the client is connected. Safe from any
// goroutine.
func (c *SocketClient) IsConnected() bool { return c.failure.Load() == nil }

// Done is closed when the reader has stopped. Safe from any goroutine.
func (c *SocketClient) Done() <-chan struct{} { return c.done }

// Err returns why the client stopped, or nil. Safe from any goroutine.
func (c *SocketClient) Err() error {
	if f := c.failure.Load(); f != nil {
		return f.err
	}
	return nil
}

// Close writes what is buffered (within Timeout), ends the connection
// (the broker unregisters the client) and fails waiting calls with
// ErrClosed. It does not wait for the reader, which closes the socket when
// it stops: Done says when.
// Idempotent; safe from any goroutine, handlers included.
func (c *SocketClient) Close() error {
	c.closeOnce.Do(func() {
		_ = c.flush()
		c.fail(ErrClosed)
	})
	return nil
}

// fail stops the client for good: it records why, fails every waiting call
// and every later one, and ends the connection (closeConn). The first
// reason wins.
func (c *SocketClient) fail(err error) {
	c.failOnce.Do(func() {
		c.failure.Store(&failure{err: err})
		c.acks.close(err)
		close(c.quit)
		c.closeConn()
	})
}

// disconnected wraps a transport failure as a disconnect error.
func disconnected(cause error) error {
	return fmt.Errorf("%w (%w)", ErrDisconnected, cause)
}
