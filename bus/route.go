package bus

import (
	"bytes"
	"sync"
	"unicode/utf8"

	"github.com/busrt-go/busrt/proto"
	"github.com/busrt-go/busrt/topictrie"
)

// Process routes one frame received from socket client c (ROUTING.md).
// origin is passed through to every Sink.Enqueue the frame causes and must
// not be nil. data is a view valid for the call only. A non-nil error means
// the frame was malformed (PROTOCOL.md §9): the transport closes the
// connection and then calls Disconnected. Call it from one goroutine at a
// time per client, in arrival order; different clients may be processed
// concurrently.
func (c *Client) Process(origin any, h proto.Header, data []byte) error {
	if h.IsPing() {
		return nil
	}
	d, err := proto.SplitData(h.Op, data)
	if err != nil || h.Op == proto.OpNop { // op 0 with QoS bits: validated, otherwise ignored
		return err
	}
	b := c.b
	switch h.Op {
	case proto.OpMessage:
		if c.aaa != nil && !c.aaa.p2p.allowName(d.Target) {
			c.ack(origin, h, proto.CodeAccess)
			return nil
		}
		c.countIn(h.Len)
		f := Frame{Kind: proto.KindMessage, Realtime: h.QoS.IsRealtime(), Sender: c.name, Payload: d.Payload}
		code, rc := b.sendDirect(origin, d.Target, &f, uint64(h.Len))
		c.ack(origin, h, code)
		if rc != nil && rc.inline != nil {
			rc.inline(origin, c, f.Realtime, d.Payload)
		}
	case proto.OpPublish, proto.OpPublishFor:
		// PUBLISH_FOR checks only the topic, never the receiver (§8)
		if c.aaa != nil && !c.aaa.publish.allowTopic(d.Topic) {
			c.ack(origin, h, proto.CodeAccess)
			return nil
		}
		c.countIn(h.Len)
		f := Frame{Kind: proto.KindPublish, Realtime: h.QoS.IsRealtime(), Sender: c.name, Topic: d.Topic, Payload: d.Payload}
		b.publish(origin, &f, d.Receiver, uint64(h.Len))
		c.ack(origin, h, proto.CodeOK)
	case proto.OpBroadcast:
		if c.aaa != nil && !c.aaa.broadcast.allowName(d.Target) {
			c.ack(origin, h, proto.CodeAccess)
			return nil
		}
		c.countIn(h.Len)
		f := Frame{Kind: proto.KindBroadcast, Realtime: h.QoS.IsRealtime(), Sender: c.name, Payload: d.Payload}
		b.broadcast(origin, d.Target, &f, uint64(h.Len))
		c.ack(origin, h, proto.CodeOK)
	case proto.OpSubscribe:
		// every topic is checked before any is applied (PROTOCOL.md §9)
		if !proto.ValidTopics(d.Topics) {
			return proto.ErrInvalidUTF8
		}
		c.countIn(h.Len)
		it := proto.Topics(d.Topics)
		for t, ok := it.Next(); ok; t, ok = it.Next() {
			if c.aaa != nil && !c.aaa.subscribe.allowTopic(t) {
				c.ack(origin, h, proto.CodeAccess) // one ACK per denied topic (§7.4)
				continue
			}
			c.subscribe(t)
		}
		c.ack(origin, h, proto.CodeOK)
	default: // UNSUBSCRIBE, EXCLUDE, UNEXCLUDE
		c.countIn(h.Len)
		if err := c.applyTopics(h.Op, d.Topics); err != nil {
			return err
		}
		c.ack(origin, h, proto.CodeOK)
	}
	return nil
}

func (c *Client) countIn(l uint32) {
	c.rFrames.Add(1)
	c.rBytes.Add(uint64(l))
}

func (c *Client) subscribe(topic []byte) {
	if c.b.subs.Subscribe(topic, c.id) {
		c.subs.Add(1)
	}
	if !c.registered.Load() { // raced with unregistration: undo
		c.b.subs.UnsubscribeAll(c.id)
	}
}

// applyTopics runs UNSUBSCRIBE / EXCLUDE / UNEXCLUDE topic by topic: topics
// before an invalid one stay applied (PROTOCOL.md §9).
func (c *Client) applyTopics(op proto.Op, data []byte) error {
	it := proto.Topics(data)
	for t, ok := it.Next(); ok; t, ok = it.Next() {
		if !utf8.Valid(t) {
			return proto.ErrInvalidUTF8
		}
		switch op {
		case proto.OpUnsubscribe:
			if c.b.subs.Unsubscribe(t, c.id) {
				c.subs.Add(-1)
			}
		case proto.OpExclude:
			c.excl.Add(t)
		case proto.OpUnexclude:
			c.excl.Remove(t)
		}
	}
	return nil
}

// Scratch is the matching state of one routing goroutine. A transport keeps
// one per event loop and passes it as the origin of Client.Process; Owner
// carries the transport's own per-loop context, which it gets back as the
// origin of Sink.Enqueue. Routing then allocates nothing, even across garbage
// collections. Other origins (nil for embedded senders) use a sync.Pool,
// which reallocates its per-P cache after each GC.
//
// A Scratch must not be used by two routing calls at once.
type Scratch struct {
	Owner any // the transport's per-loop context
	sc    *topictrie.Scratch
	ids   []uint32
	svc   svcBuffers // `.broker` replies answered on this goroutine
}

// NewScratch returns routing state for one goroutine.
func NewScratch(owner any) *Scratch {
	return &Scratch{Owner: owner, sc: topictrie.NewScratch(), ids: make([]uint32, 0, 64)}
}

var scratchPool = sync.Pool{New: func() any { return NewScratch(nil) }}

// getScratch: a concrete type assertion, since an interface-to-interface one
// builds the runtime's assertion cache lazily (an allocation now and then).
func getScratch(origin any) (*Scratch, bool) {
	if rs, ok := origin.(*Scratch); ok {
		return rs, false
	}
	return scratchPool.Get().(*Scratch), true
}

func putScratch(rs *Scratch, pooled bool) {
	if pooled {
		scratchPool.Put(rs)
	}
}

// deliver hands f to rc, counting it against rc even if the enqueue fails
// (ROUTING.md §11), and kicks a socket receiver whose queue is full.
func (b *Broker) deliver(origin any, rc *Client, f *Frame, l uint64) proto.Code {
	rc.wFrames.Add(1)
	rc.wBytes.Add(l)
	code := rc.sink.Enqueue(origin, *f)
	if code == proto.CodeNotDelivered {
		b.kick(rc)
	}
	return code
}

// sendDirect delivers a MESSAGE to the exact target name. A target served
// inline (the built-in `.broker`) is returned instead of being queued to:
// the caller runs it after queueing the sender's ACK.
func (b *Broker) sendDirect(origin any, target []byte, f *Frame, l uint64) (proto.Code, *Client) {
	rc := b.names.get(target)
	if rc == nil || !rc.registered.Load() {
		return proto.CodeNotRegistered, nil
	}
	if rc.inline != nil {
		rc.wFrames.Add(1)
		rc.wBytes.Add(l)
		return proto.CodeOK, rc
	}
	return b.deliver(origin, rc, f, l), nil
}

// publish delivers a publication to every subscriber not excluding the
// topic; receiver != nil restricts it to one primary name (PUBLISH_FOR).
func (b *Broker) publish(origin any, f *Frame, receiver []byte, l uint64) {
	rs, pooled := getScratch(origin)
	rs.ids = b.subs.Match(f.Topic, rs.sc, rs.ids[:0])
	for _, id := range rs.ids {
		rc := b.table.get(id)
		if rc == nil || !rc.registered.Load() {
			continue
		}
		if receiver != nil && !bytes.Equal(rc.primary, receiver) {
			continue
		}
		if rc.excl.Match(f.Topic) {
			continue
		}
		b.deliver(origin, rc, f, l)
	}
	putScratch(rs, pooled)
}

// broadcast delivers f to every client whose full name matches mask.
func (b *Broker) broadcast(origin any, mask []byte, f *Frame, l uint64) {
	rs, pooled := getScratch(origin)
	rs.ids = b.bcast.Match(mask, rs.ids[:0])
	for _, id := range rs.ids {
		if rc := b.table.get(id); rc != nil && rc.registered.Load() {
			b.deliver(origin, rc, f, l)
		}
	}
	putScratch(rs, pooled)
}
