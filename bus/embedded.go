package bus

import (
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/busrt-go/busrt/proto"
)

// Delivery is a frame received by an embedded client.
//
// Ownership: Sender, Topic and Payload point into a pooled buffer that
// belongs to the receiver until it calls Release; after Release they must
// not be touched. Not calling Release only costs garbage.
type Delivery struct {
	Kind     proto.Kind // KindMessage, KindBroadcast or KindPublish
	Realtime bool       // the sender used a realtime QoS
	Sender   []byte     // full sender name
	Topic    []byte     // KindPublish only
	Payload  []byte     // the sender's payload, byte for byte
	buf      []byte
}

var deliveryPool = sync.Pool{New: func() any { return new(Delivery) }}

// PrimarySender returns the sender name up to its first "%%".
func (d *Delivery) PrimarySender() []byte { return proto.PrimaryName(d.Sender) }

// Release returns the delivery to the pool.
func (d *Delivery) Release() {
	if cap(d.buf) > 64<<10 {
		d.buf = nil // do not pin large payloads in the pool
	}
	*d = Delivery{buf: d.buf[:0]}
	deliveryPool.Put(d)
}

func newDelivery(f *Frame) *Delivery {
	d := deliveryPool.Get().(*Delivery)
	n := len(f.Sender) + len(f.Topic) + len(f.Payload)
	if cap(d.buf) < n {
		d.buf = make([]byte, 0, n)
	}
	buf := append(d.buf[:0], f.Sender...)
	buf = append(buf, f.Topic...)
	buf = append(buf, f.Payload...)
	s, t := len(f.Sender), len(f.Sender)+len(f.Topic)
	d.buf = buf
	d.Kind, d.Realtime = f.Kind, f.Realtime
	d.Sender, d.Topic, d.Payload = buf[:s:s], buf[s:t:t], buf[t:]
	if f.Kind != proto.KindPublish {
		d.Topic = nil
	}
	return d
}

// EmbeddedClient is an in-process client with the same routing semantics as
// a socket client (ROUTING.md §14). Its operations complete synchronously:
// the returned error is the ACK a socket client would get (nil = OK). All
// methods are safe from any goroutine.
type EmbeddedClient struct {
	b       *Broker
	c       *Client
	ch      chan *Delivery
	done    chan struct{}
	closeMu sync.RWMutex // senders hold R while sending; closing the channel takes W
	once    sync.Once
	nextSec atomic.Uint32
}

// Register registers an embedded client. Names may start with `.`; a name
// with "%%" is a secondary and needs its primary registered. Its queue holds
// the broker's QueueSize frames.
func (b *Broker) Register(name string) (*EmbeddedClient, error) {
	return b.registerEmbedded(name, b.cfg.QueueSize)
}

func (b *Broker) registerEmbedded(name string, queue int) (*EmbeddedClient, error) {
	e := &EmbeddedClient{b: b, ch: make(chan *Delivery, queue), done: make(chan struct{})}
	c := &Client{b: b, name: []byte(name), nameStr: name, kind: KindInternal, embedded: e}
	c.primary = proto.PrimaryName(c.name)
	c.sink = embeddedSink{e}
	e.c = c
	switch b.insert(c) {
	case proto.CodeOK:
		return e, nil
	case proto.CodeBusy:
		return nil, ErrBusy
	case proto.CodeNotRegistered:
		return nil, ErrNotRegistered
	default:
		return nil, ErrTableFull
	}
}

// RegisterSecondary registers NAME%%N with the next free counter value.
func (e *EmbeddedClient) RegisterSecondary() (*EmbeddedClient, error) {
	for {
		n := e.nextSec.Add(1) - 1
		s, err := e.b.Register(e.c.nameStr + proto.SecondarySep + strconv.FormatUint(uint64(n), 10))
		if err != ErrBusy {
			return s, err
		}
	}
}

// Name returns the client's full name.
func (e *EmbeddedClient) Name() string { return e.c.nameStr }

// Frames returns the client's incoming queue. It is closed after Close (or
// after the broker removed the client, e.g. with its primary).
func (e *EmbeddedClient) Frames() <-chan *Delivery { return e.ch }

// Done is closed when the client leaves the registry.
func (e *EmbeddedClient) Done() <-chan struct{} { return e.done }

// Close unregisters the client (announcing `unreg` for a primary; its
// secondaries go with it) and closes its queue. Idempotent.
func (e *EmbeddedClient) Close() error {
	e.b.unregister(e.c, true)
	e.closeQueue()
	return nil
}

func (e *EmbeddedClient) closeQueue() {
	e.once.Do(func() {
		close(e.done)
		go func() { // senders blocked on a full queue leave through done first
			e.closeMu.Lock()
			close(e.ch)
			e.closeMu.Unlock()
		}()
	})
}

func (e *EmbeddedClient) countIn(n int) {
	e.c.rFrames.Add(1)
	e.c.rBytes.Add(uint64(n))
}

// Send sends a direct message to the exact target name. It fails with a
// NOT_REGISTERED *proto.Error when the target is unknown.
func (e *EmbeddedClient) Send(target string, payload []byte, qos proto.QoS) error {
	if !e.c.registered.Load() {
		return proto.CodeNotRegistered.Err()
	}
	e.countIn(len(payload))
	rc := e.b.names.getString(target)
	if rc == nil || !rc.registered.Load() {
		return proto.CodeNotRegistered.Err()
	}
	f := Frame{Kind: proto.KindMessage, Realtime: qos.IsRealtime(), Sender: e.c.name, Payload: payload}
	e.b.deliver(nil, rc, &f, uint64(len(payload)))
	return nil
}

// Broadcast sends payload to every client whose name matches mask.
func (e *EmbeddedClient) Broadcast(mask string, payload []byte, qos proto.QoS) error {
	if !e.c.registered.Load() {
		return proto.CodeNotRegistered.Err()
	}
	e.countIn(len(payload))
	f := Frame{Kind: proto.KindBroadcast, Realtime: qos.IsRealtime(), Sender: e.c.name, Payload: payload}
	e.b.broadcast(nil, bytesView(mask), &f, uint64(len(payload)))
	return nil
}

// Publish publishes payload on topic.
func (e *EmbeddedClient) Publish(topic string, payload []byte, qos proto.QoS) error {
	return e.publish(topic, nil, payload, qos)
}

// PublishFor publishes payload on topic for the subscribers whose primary
// name is receiver.
func (e *EmbeddedClient) PublishFor(topic, receiver string, payload []byte, qos proto.QoS) error {
	return e.publish(topic, bytesView(receiver), payload, qos)
}

func (e *EmbeddedClient) publish(topic string, receiver, payload []byte, qos proto.QoS) error {
	if !e.c.registered.Load() {
		return proto.CodeNotRegistered.Err()
	}
	e.countIn(len(payload))
	f := Frame{Kind: proto.KindPublish, Realtime: qos.IsRealtime(), Sender: e.c.name, Topic: bytesView(topic), Payload: payload}
	e.b.publish(nil, &f, receiver, uint64(len(payload)))
	return nil
}

// Subscribe subscribes to each topic pattern.
func (e *EmbeddedClient) Subscribe(topics ...string) error {
	return e.topicOp(proto.OpSubscribe, topics)
}

// Unsubscribe removes each topic pattern.
func (e *EmbeddedClient) Unsubscribe(topics ...string) error {
	return e.topicOp(proto.OpUnsubscribe, topics)
}

// Exclude adds exclusion patterns (ROUTING.md §7).
func (e *EmbeddedClient) Exclude(topics ...string) error {
	return e.topicOp(proto.OpExclude, topics)
}

// Unexclude removes exclusion patterns.
func (e *EmbeddedClient) Unexclude(topics ...string) error {
	return e.topicOp(proto.OpUnexclude, topics)
}

func (e *EmbeddedClient) topicOp(op proto.Op, topics []string) error {
	if !e.c.registered.Load() {
		return proto.CodeNotRegistered.Err()
	}
	n := 0
	for _, t := range topics {
		n += len(t)
	}
	e.countIn(n + max(len(topics)-1, 0))
	for _, t := range topics {
		switch op {
		case proto.OpSubscribe:
			e.c.subscribe([]byte(t))
		case proto.OpUnsubscribe:
			if e.b.subs.Unsubscribe([]byte(t), e.c.id) {
				e.c.subs.Add(-1)
			}
		case proto.OpExclude:
			e.c.excl.Add([]byte(t))
		case proto.OpUnexclude:
			e.c.excl.Remove([]byte(t))
		}
	}
	return nil
}

// embeddedSink queues frames for an embedded client. A full queue blocks the
// sender (ROUTING.md §9.1): up to the broker timeout for socket senders
// (then TIMEOUT), without limit for embedded senders (origin nil).
type embeddedSink struct{ e *EmbeddedClient }

func (s embeddedSink) Enqueue(origin any, f Frame) proto.Code {
	e := s.e
	if f.Kind == proto.KindAck {
		return proto.CodeOK
	}
	d := newDelivery(&f)
	e.closeMu.RLock()
	defer e.closeMu.RUnlock()
	select {
	case <-e.done:
		d.Release()
		return proto.CodeEOF
	default:
	}
	select {
	case e.ch <- d:
		return proto.CodeOK
	default:
	}
	if origin == nil {
		select {
		case e.ch <- d:
			return proto.CodeOK
		case <-e.done:
			d.Release()
			return proto.CodeEOF
		}
	}
	t := time.NewTimer(e.b.cfg.Timeout)
	defer t.Stop()
	select {
	case e.ch <- d:
		return proto.CodeOK
	case <-e.done:
		d.Release()
		return proto.CodeEOF
	case <-t.C:
		d.Release()
		return proto.CodeTimeout
	}
}

func (s embeddedSink) Disconnect(bool) {}

func (s embeddedSink) Queued() int { return len(s.e.ch) }
