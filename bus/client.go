package bus

import (
	"sync/atomic"

	"github.com/busrt-go/busrt/proto"
	"github.com/busrt-go/busrt/topictrie"
)

// Client is one registered client, socket or embedded. Its exported methods
// are for transports; embedded programs use *EmbeddedClient.
type Client struct {
	b       *Broker
	id      uint32 // routing-index handle, see clientTable
	name    []byte // full name
	nameStr string // the same bytes, registry key
	primary []byte // view of name before the first "%%"
	kind    ClientKind
	source  string
	port    string
	sink    Sink
	aaa     *ClientAAA // copied at registration; nil = no AAA
	excl    topictrie.PatternSet
	subs    atomic.Int64 // subscriptions held (leak checks, stats)

	// guarded by Broker.regMu
	registered  atomic.Bool
	primaryC    *Client              // secondaries: their primary
	secondaries map[*Client]struct{} // primaries: their registered secondaries
	embedded    *EmbeddedClient      // non-nil for embedded clients

	// inline answers socket senders' messages on the routing goroutine
	// instead of queueing them (the built-in `.broker` service)
	inline func(origin any, from *Client, realtime bool, payload []byte)

	counters
}

// counters are ROUTING.md §11's per-client statistics. r_* are written only
// by the client's own routing goroutine; w_* by any sender.
type counters struct {
	rFrames, rBytes atomic.Uint64
	wFrames, wBytes atomic.Uint64
}

// Name returns the client's full name. Safe from any goroutine.
func (c *Client) Name() string { return c.nameStr }

// Kind returns how the client is connected. Safe from any goroutine.
func (c *Client) Kind() ClientKind { return c.kind }

// IsSecondary reports whether the name carries a "%%" suffix.
func (c *Client) IsSecondary() bool { return len(c.primary) != len(c.name) }

// Registered reports whether the client is still in the registry. Safe from
// any goroutine.
func (c *Client) Registered() bool { return c.registered.Load() }

// Disconnected tells the broker that the client's connection is gone (EOF,
// error, idle timeout). It unregisters the client, announcing primaries,
// unless the broker already removed it. Idempotent; safe from any goroutine.
func (c *Client) Disconnected() { c.b.unregister(c, true) }

// Overflow unregisters a client whose queue was full when the transport
// tried to queue a broker ping (ROUTING.md §9.1) and calls its sink's
// Disconnect(true). Safe from any goroutine.
func (c *Client) Overflow() { c.b.kick(c) }

func (c *Client) queued() int {
	if c.sink == nil {
		return 0
	}
	return c.sink.Queued()
}

// ack queues an ACK for frame id to a socket client.
func (c *Client) ack(origin any, h proto.Header, code proto.Code) {
	if !h.QoS.NeedsAck() {
		return
	}
	c.wFrames.Add(1)
	c.wBytes.Add(proto.BrokerHeaderSize)
	c.sink.Enqueue(origin, Frame{Kind: proto.KindAck, Realtime: h.QoS.IsRealtime(), AckID: h.ID, Code: code})
}
