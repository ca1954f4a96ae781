package rtclient

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/busrt-go/busrt/bus"
	"github.com/busrt-go/busrt/proto"
)

// EmbeddedClient adapts an in-process bus.EmbeddedClient to Client, so that
// code written against Client runs inside the broker's process unchanged.
// The broker completes every operation synchronously: the error a socket
// client would get in its ACK is known at once, and is reported only when
// qos requests an ACK, exactly as over a socket. A goroutine moves the
// broker's deliveries to the dispatcher (Frames or the handler).
//
// A message to an embedded receiver whose queue is full waits for room, as
// the broker makes embedded senders wait (ROUTING.md §9.1, §14); ctx cannot
// cut that wait short. All methods are safe from any goroutine.
type EmbeddedClient struct {
	e      *bus.EmbeddedClient
	frames dispatcher
	done   chan struct{} // closed when the pump has stopped
	closed atomic.Bool   // Close was called
}

// NewEmbedded wraps e, which the adapter then owns (its Frames queue is
// read by the adapter). queueSize is the capacity of the adapter's Frames
// channel; 0 = DefaultQueueSize. Safe from any goroutine.
func NewEmbedded(e *bus.EmbeddedClient, queueSize int) *EmbeddedClient {
	if queueSize <= 0 {
		queueSize = DefaultQueueSize
	}
	c := &EmbeddedClient{e: e, frames: newDispatcher(queueSize), done: make(chan struct{})}
	go c.pump()
	return c
}

// RegisterEmbedded registers name on b as an embedded client and wraps it
// (NewEmbedded with the default queue). Names may start with `.`. Safe
// from any goroutine.
func RegisterEmbedded(b *bus.Broker, name string) (*EmbeddedClient, error) {
	e, err := b.Register(name)
	if err != nil {
		return nil, err
	}
	return NewEmbedded(e, 0), nil
}

// Bus returns the wrapped bus client. Safe from any goroutine.
func (c *EmbeddedClient) Bus() *bus.EmbeddedClient { return c.e }

// pump moves deliveries to the dispatcher until the bus client's queue is
// closed (Close, or the broker removed the client).
func (c *EmbeddedClient) pump() {
	gone := c.e.Done()
	for d := range c.e.Frames() {
		f := getFrame()
		f.fromDelivery(d)
		c.frames.deliver(f, gone)
	}
	c.frames.close()
	close(c.done)
}

// check returns the error for an operation on a client that stopped.
func (c *EmbeddedClient) check() error {
	if c.closed.Load() {
		return ErrClosed
	}
	select {
	case <-c.e.Done():
		return errEmbeddedGone
	default:
		return nil
	}
}

var errEmbeddedGone = disconnected(bus.ErrNotRegistered)

// result turns the broker's synchronous answer to a direct message into
// what a socket client reports: the code when qos requests an ACK, nothing
// otherwise. NOT_REGISTERED means an unknown target, or this client being
// removed right now (then Done closes a moment later, and Err says so).
func (c *EmbeddedClient) result(err error, qos proto.QoS) error {
	if err == nil {
		return nil
	}
	if e := c.check(); e != nil {
		return e
	}
	if !qos.NeedsAck() {
		return nil
	}
	return err
}

// selfResult is result for the operations that only fail when this client
// is no longer registered (publications, broadcasts, topic operations).
func (c *EmbeddedClient) selfResult(err error) error {
	if err == nil {
		return nil
	}
	if e := c.check(); e != nil {
		return e
	}
	return errEmbeddedGone
}

// Name returns the client's full name. Safe from any goroutine.
func (c *EmbeddedClient) Name() string { return c.e.Name() }

// Send sends a direct message to target. Safe from any goroutine.
func (c *EmbeddedClient) Send(ctx context.Context, target string, payload []byte, qos proto.QoS) error {
	if err := c.pre(ctx); err != nil {
		return err
	}
	return c.result(c.e.Send(target, payload, qos), qos)
}

// SendZC sends a direct message whose payload is header‖payload (joined in
// a pooled buffer: the broker copies the payload anyway). Safe from any
// goroutine.
func (c *EmbeddedClient) SendZC(ctx context.Context, target string, header, payload []byte, qos proto.QoS) error {
	if err := c.pre(ctx); err != nil {
		return err
	}
	if len(header) == 0 {
		return c.result(c.e.Send(target, payload, qos), qos)
	}
	b := joinParts(header, payload)
	err := c.e.Send(target, b.b, qos)
	putJoined(b)
	return c.result(err, qos)
}

// SendAsync sends a direct message whose payload is header‖payload; the
// broker answers at once, so ack (when qos requests an ACK) gets the code
// before SendAsync returns. Safe from any goroutine.
func (c *EmbeddedClient) SendAsync(ctx context.Context, target string, header, payload []byte, qos proto.QoS, ack AckHandler, tag uint32) error {
	if err := c.pre(ctx); err != nil {
		return err
	}
	b := joinParts(header, payload)
	err := c.e.Send(target, b.b, qos)
	putJoined(b)
	if e := c.check(); e != nil {
		return e
	}
	if ack != nil && qos.NeedsAck() {
		code := proto.CodeOK
		if pe, ok := err.(*proto.Error); ok {
			code = pe.Code
		}
		ack.HandleAck(tag, code)
	}
	return nil
}

// Broadcast sends payload to the clients matching mask. Safe from any
// goroutine.
func (c *EmbeddedClient) Broadcast(ctx context.Context, mask string, payload []byte, qos proto.QoS) error {
	if err := c.pre(ctx); err != nil {
		return err
	}
	return c.selfResult(c.e.Broadcast(mask, payload, qos))
}

// Publish publishes payload on topic. Safe from any goroutine.
func (c *EmbeddedClient) Publish(ctx context.Context, topic string, payload []byte, qos proto.QoS) error {
	if err := c.pre(ctx); err != nil {
		return err
	}
	return c.selfResult(c.e.Publish(topic, payload, qos))
}

// PublishFor publishes payload on topic for receiver's subscriptions. Safe
// from any goroutine.
func (c *EmbeddedClient) PublishFor(ctx context.Context, topic, receiver string, payload []byte, qos proto.QoS) error {
	if err := c.pre(ctx); err != nil {
		return err
	}
	return c.selfResult(c.e.PublishFor(topic, receiver, payload, qos))
}

// Subscribe subscribes to topics; no topics means the empty topic "", as
// over a socket. Safe from any goroutine.
func (c *EmbeddedClient) Subscribe(ctx context.Context, qos proto.QoS, topics ...string) error {
	if err := c.pre(ctx); err != nil {
		return err
	}
	return c.selfResult(c.e.Subscribe(topicList(topics)...))
}

// Unsubscribe removes topic subscriptions. Safe from any goroutine.
func (c *EmbeddedClient) Unsubscribe(ctx context.Context, qos proto.QoS, topics ...string) error {
	if err := c.pre(ctx); err != nil {
		return err
	}
	return c.selfResult(c.e.Unsubscribe(topicList(topics)...))
}

// Exclude adds exclusion patterns. Safe from any goroutine.
func (c *EmbeddedClient) Exclude(ctx context.Context, qos proto.QoS, topics ...string) error {
	if err := c.pre(ctx); err != nil {
		return err
	}
	return c.selfResult(c.e.Exclude(topicList(topics)...))
}

// Unexclude removes exclusion patterns. Safe from any goroutine.
func (c *EmbeddedClient) Unexclude(ctx context.Context, qos proto.QoS, topics ...string) error {
	if err := c.pre(ctx); err != nil {
		return err
	}
	return c.selfResult(c.e.Unexclude(topicList(topics)...))
}

// emptyTopic is what an empty topic list means on the wire.
var emptyTopic = []string{""}

func topicList(topics []string) []string {
	if len(topics) == 0 {
		return emptyTopic
	}
	return topics
}

// Ping checks that the client is still registered; there is nothing to
// keep alive in-process. Safe from any goroutine.
func (c *EmbeddedClient) Ping(ctx context.Context) error { return c.pre(ctx) }

func (c *EmbeddedClient) pre(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return c.check()
}

// Frames returns the incoming frame queue. Safe from any goroutine.
func (c *EmbeddedClient) Frames() <-chan *Frame { return c.frames.ch }

// SetHandler hands incoming frames to h instead of Frames. Safe from any
// goroutine.
func (c *EmbeddedClient) SetHandler(h func(*Frame)) { c.frames.set(h) }

// RegisterSecondary registers NAME%%N on the same broker. Safe from any
// goroutine.
func (c *EmbeddedClient) RegisterSecondary(ctx context.Context) (Client, error) {
	if err := c.pre(ctx); err != nil {
		return nil, err
	}
	if strings.Contains(c.e.Name(), proto.SecondarySep) {
		return nil, ErrNotPrimary
	}
	s, err := c.e.RegisterSecondary()
	if err != nil {
		return nil, err
	}
	return NewEmbedded(s, cap(c.frames.ch)), nil
}

// IsConnected reports whether the client is still registered. Safe from
// any goroutine.
func (c *EmbeddedClient) IsConnected() bool { return c.check() == nil }

// Done is closed when the client has stopped and its queue is drained into
// the dispatcher. Safe from any goroutine.
func (c *EmbeddedClient) Done() <-chan struct{} { return c.done }

// Err returns nil while registered, ErrClosed after Close, or an error
// wrapping ErrDisconnected when the broker removed the client. Safe from
// any goroutine.
func (c *EmbeddedClient) Err() error { return c.check() }

// Close unregisters the client. Idempotent; safe from any goroutine.
func (c *EmbeddedClient) Close() error {
	c.closed.Store(true)
	return c.e.Close()
}

// joined is a pooled buffer for header‖payload.
type joined struct{ b []byte }

var joinPool = sync.Pool{New: func() any { return new(joined) }}

func joinParts(header, payload []byte) *joined {
	j := joinPool.Get().(*joined)
	j.b = append(append(j.b[:0], header...), payload...)
	return j
}

// putJoined returns j to the pool, without pinning a large buffer there.
func putJoined(j *joined) {
	if cap(j.b) > maxPooledFrame {
		j.b = nil
	}
	joinPool.Put(j)
}
