package bus

import "github.com/busrt-go/busrt/proto"

// Frame describes one broker→client frame handed to a Sink. The byte slices
// are views that die when Enqueue returns: a sink copies what it keeps.
type Frame struct {
	Kind     proto.Kind // KindMessage, KindBroadcast, KindPublish or KindAck
	Realtime bool       // flush at once; byte 5 of data frames
	Sender   []byte     // full name of the sending client
	Topic    []byte     // KindPublish only
	Payload  []byte     // everything after the target/topic/receiver 00
	AckID    uint32     // KindAck only
	Code     proto.Code // KindAck only
}

// DataLen is the frame's data length (after its 6-byte header).
func (f *Frame) DataLen() int {
	if f.Kind == proto.KindAck {
		return 0
	}
	return proto.DeliveryLen(f.Kind, f.Sender, f.Topic, len(f.Payload))
}

// AppendTo appends the frame's wire bytes to dst.
func (f *Frame) AppendTo(dst []byte) []byte {
	if f.Kind == proto.KindAck {
		return proto.AppendAck(dst, f.AckID, f.Code)
	}
	return proto.AppendDelivery(dst, f.Kind, f.Realtime, f.Sender, f.Topic, f.Payload)
}

// Sink is a transport's handle for one registered client: the broker hands
// it every frame addressed to that client.
//
// Enqueue may be called from any goroutine, concurrently; implementations
// serialize internally and must not block (an embedded sink is the one
// exception, see ROUTING.md §9.1). origin is whatever the transport passed to
// Client.Process for the frame being routed (so a transport can batch
// flushes per read batch), or nil when the sender is an embedded client. A
// transport should pass a per-loop *Scratch (its Owner field holding the
// loop's own context), so that routing never allocates. Every Enqueue a
// Process call causes with that origin runs synchronously inside Process, on
// the caller's goroutine: a transport may rely on this to batch flushes.
//
// Enqueue returns proto.CodeOK when the frame was queued,
// proto.CodeNotDelivered when the client's queue is full (the broker then
// unregisters the client and calls Disconnect(true)), proto.CodeEOF when the
// sink is closing, proto.CodeTimeout when an embedded receiver stayed full.
// ACK frames are queued without a queue-size check.
type Sink interface {
	// Enqueue queues f for the client (f's slices are views: copy what
	// you keep) and returns one of the codes in the Sink documentation.
	Enqueue(origin any, f Frame) proto.Code
	// Disconnect closes the connection after the broker removed the client.
	// flush=true writes what is already queued first (queue overflow);
	// flush=false discards it (force-disconnect, replaced, primary gone).
	// Called at most once per client, from any goroutine.
	Disconnect(flush bool)
	// Queued returns the number of frames waiting to be written (client.list
	// `queue`).
	Queued() int
}
