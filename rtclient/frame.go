package rtclient

import (
	"sync"

	"github.com/busrt-go/busrt/bus"
	"github.com/busrt-go/busrt/proto"
)

// Frame is an incoming MESSAGE, BROADCAST or PUBLISH frame (PROTOCOL.md §6).
//
// Ownership: Sender, Topic and Payload point into a pooled buffer. A frame
// taken from Client.Frames, or handed to a handler set with
// Client.SetHandler, belongs to the receiver until it calls Release; after
// Release the slices must not be touched. (RPC handlers are different: the
// RPC layer releases what it hands them when they return.)
type Frame struct {
	Kind     proto.Kind // KindMessage, KindBroadcast or KindPublish
	Realtime bool       // the sender used a realtime QoS
	Sender   []byte     // full sender name, with any %%suffix
	Topic    []byte     // KindPublish only; nil otherwise
	Payload  []byte     // the sender's payload, byte for byte

	buf      []byte        // socket frames: the whole frame data
	delivery *bus.Delivery // embedded frames: the broker's pooled delivery
}

// maxPooledFrame bounds the buffer a pooled frame keeps: large payloads are
// not pinned in the pool.
const maxPooledFrame = 64 << 10

var framePool = sync.Pool{New: func() any { return new(Frame) }}

func getFrame() *Frame { return framePool.Get().(*Frame) }

// PrimarySender returns the sender name up to its first "%%".
func (f *Frame) PrimarySender() []byte { return proto.PrimaryName(f.Sender) }

// Release returns the frame to its pool. Call it once, when done.
func (f *Frame) Release() {
	if f.delivery != nil {
		f.delivery.Release()
	}
	buf := f.buf
	if cap(buf) > maxPooledFrame {
		buf = nil
	}
	*f = Frame{buf: buf[:0]}
	framePool.Put(f)
}

// fromDelivery fills f from an embedded delivery, which it then owns.
func (f *Frame) fromDelivery(d *bus.Delivery) {
	f.Kind, f.Realtime = d.Kind, d.Realtime
	f.Sender, f.Topic, f.Payload = d.Sender, d.Topic, d.Payload
	f.delivery = d
}
