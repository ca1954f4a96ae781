package bus

// TEMPORARY: the exported surface of the broker, stubbed so transports can
// build against it while the core is written. Each stub moves to its real
// file as it is implemented.

import (
	"errors"

	"github.com/busrt-go/busrt/proto"
)

var errNotYet = errors.New("bus: not implemented yet")

// Broker is the BUS/RT broker. All methods are safe from any goroutine.
type Broker struct{ cfg Config }

// Client is one registered client (socket or embedded).
type Client struct{ name []byte }

// AAAMap is a listener's security map (ROUTING.md §13).
type AAAMap struct{}

// New creates a broker and, unless cfg.NoCoreService, registers `.broker`.
func New(cfg Config) *Broker { return &Broker{cfg: cfg} }

// Config returns the broker's effective configuration (defaults applied).
func (b *Broker) Config() Config { return b.cfg }

// RegisterSocket registers a socket client whose handshake sent name. It
// returns the client and proto.CodeOK, or a nil client and the code to write
// before closing (§4.2). A zero code means: close without writing anything
// (name not valid UTF-8).
func (b *Broker) RegisterSocket(name []byte, info ConnInfo, sink Sink) (*Client, proto.Code) {
	return nil, proto.CodeNotSupported
}

// Shutdown switches the broker to closing (no more unreg announcements) and
// publishes the `.broker/warn` shutdown announcement.
func (b *Broker) Shutdown() {}

// Process routes one frame received from c. origin is passed through to
// every Sink.Enqueue the frame causes. Data is a view valid for the call
// only. A non-nil error means the frame was malformed: the transport must
// close the connection (then call Disconnected). Call it from one goroutine
// at a time per client, in arrival order.
func (c *Client) Process(origin any, h proto.Header, data []byte) error { return errNotYet }

// Disconnected tells the broker that the client's connection is gone (EOF,
// error, idle timeout). It unregisters the client (announcing primaries) if
// the broker has not already done so. Idempotent.
func (c *Client) Disconnected() {}

// Overflow unregisters a client whose queue was full when the transport
// tried to queue a broker ping, and calls its sink's Disconnect(true).
func (c *Client) Overflow() {}

// Name returns the client's full name.
func (c *Client) Name() string { return string(c.name) }
