package rtclient

import (
	"sync"

	"github.com/busrt-go/busrt/proto"
)

// Event is an incoming RPC request or notification, handed to a handler.
// Its slices are views into a pooled frame: they are valid until the
// handler returns; copy what you keep.
type Event struct {
	Type     proto.RPCType // RPCRequest or RPCNotification
	Sender   []byte        // full sender name, where replies go
	Method   []byte        // requests only; valid UTF-8
	Payload  []byte        // request params or notification data
	CallID   uint32        // requests only; 0 = call0, no reply wanted
	Realtime bool          // the frame had the realtime flag; the reply will too

	frame   *Frame
	hdr     []byte // reply header scratch
	out     []byte // result scratch, see Buffer
	outUsed bool   // Buffer was called for this event
}

// evFrame marks an Event that carries a plain frame for OnFrame.
const evFrame proto.RPCType = 0xFF

var eventPool = sync.Pool{New: func() any { return new(Event) }}

// PrimarySender returns the sender name up to its first "%%".
func (e *Event) PrimarySender() []byte { return proto.PrimaryName(e.Sender) }

// NeedsReply reports whether the caller waits for a reply (a request with
// a call id other than 0).
func (e *Event) NeedsReply() bool { return e.Type == proto.RPCRequest && e.CallID != 0 }

// minResultBuf is the capacity Buffer starts with.
const minResultBuf = 256

// Buffer returns an empty buffer, reused across events, in which a handler
// may build its result without allocating: append to it and return the
// result. A handler that calls Buffer must return a result built from it
// (or nil): the RPC layer keeps the result's memory, grown by the appends,
// for later events.
func (e *Event) Buffer() []byte {
	if e.out == nil {
		e.out = make([]byte, 0, minResultBuf)
	}
	e.outUsed = true
	return e.out[:0]
}

// keepResult adopts the memory of a result built from Buffer.
func (e *Event) keepResult(result []byte) {
	if e.outUsed && cap(result) > cap(e.out) && cap(result) <= maxPooledFrame {
		e.out = result[:0]
	}
}

func newEvent(f *Frame, ev proto.RPCEvent) *Event {
	e := eventPool.Get().(*Event)
	e.Type, e.Sender, e.Realtime, e.frame = ev.Type, f.Sender, f.Realtime, f
	e.Method, e.Payload, e.CallID = ev.Method, ev.Data, ev.CallID
	return e
}

func (e *Event) release() {
	if e.frame != nil {
		e.frame.Release()
	}
	out, hdr := e.out, e.hdr
	if cap(out) > maxPooledFrame {
		out = nil
	}
	*e = Event{out: out[:0], hdr: hdr[:0]}
	eventPool.Put(e)
}
