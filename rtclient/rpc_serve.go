package rtclient

import (
	"context"
	"fmt"
	"unicode/utf8"
	"unsafe"

	"github.com/busrt-go/busrt/proto"
)

// onFrame is the client's frame handler: it runs on the reader goroutine,
// matches replies to waiting calls at once and schedules everything else.
func (r *RPC) onFrame(f *Frame) {
	if f.Kind != proto.KindMessage {
		if r.cfg.OnFrame == nil {
			f.Release()
			return
		}
		r.schedule(newEvent(f, proto.RPCEvent{Type: evFrame, Data: f.Payload}), r.cfg.BlockingFrames)
		return
	}
	ev, err := proto.ParseRPCEvent(f.Payload)
	if err != nil {
		if r.log != nil {
			r.log.Debug("rtclient: invalid RPC frame dropped", "sender", string(f.Sender), "error", err)
		}
		f.Release()
		return
	}
	switch ev.Type {
	case proto.RPCReply, proto.RPCError:
		w := r.calls.take(ev.CallID)
		if w == nil {
			if r.log != nil {
				r.log.Debug("rtclient: orphaned RPC reply dropped", "sender", string(f.Sender), "call_id", ev.CallID)
			}
			f.Release()
			return
		}
		w.frame, w.rpc = f, ev
		w.ready <- struct{}{}
	case proto.RPCNotification:
		if r.cfg.OnNotification == nil {
			f.Release()
			return
		}
		r.schedule(newEvent(f, ev), r.cfg.BlockingNotifications)
	case proto.RPCRequest:
		r.schedule(newEvent(f, ev), r.cfg.BlockingCalls)
	}
}

// schedule runs e in order or on a worker.
func (r *RPC) schedule(e *Event, blocking bool) {
	if !blocking {
		r.pool.submit(e)
		return
	}
	select {
	case r.ordered <- e:
	case <-r.quit:
		e.release()
	}
}

// runOrdered runs the blocking handlers one at a time.
func (r *RPC) runOrdered() {
	for {
		select {
		case e := <-r.ordered:
			r.run(e)
		case <-r.quit:
			return
		}
	}
}

// run handles one event and releases it.
func (r *RPC) run(e *Event) {
	defer e.release()
	switch e.Type {
	case proto.RPCRequest:
		r.serveCall(e)
	case proto.RPCNotification:
		r.guard(e, func() { r.cfg.OnNotification(r.ctx, e) })
	case evFrame:
		r.guard(e, func() { r.cfg.OnFrame(r.ctx, e.frame) })
	}
}

// guard runs fn, logging a panic instead of crashing the process.
func (r *RPC) guard(e *Event, fn func()) {
	defer func() {
		if p := recover(); p != nil && r.log != nil {
			r.log.Warn("rtclient: RPC handler panicked", "sender", string(e.Sender), "panic", fmt.Sprint(p))
		}
	}()
	fn()
}

// serveCall runs the handler of a request and sends the reply to the full
// sender name, with QoS Processed, or RealtimeProcessed when the request
// was realtime; the reply's ACK is not waited for (RPC.md §4).
func (r *RPC) serveCall(e *Event) {
	result, err := r.invoke(e)
	if e.CallID == 0 {
		return
	}
	qos := proto.QoSProcessed
	if e.Realtime {
		qos = proto.QoSRealtimeProcessed
	}
	if err == nil {
		e.keepResult(result)
		e.hdr = proto.AppendRPCReplyHeader(e.hdr[:0], e.CallID)
	} else {
		var code int16
		code, result = replyError(err)
		e.hdr = proto.AppendRPCErrorHeader(e.hdr[:0], e.CallID, code)
	}
	// The sender name is a view into the request frame, which lives until
	// e is released after this; clients copy or only look up the name, so
	// a string view saves a copy per reply.
	target := unsafe.String(unsafe.SliceData(e.Sender), len(e.Sender))
	if err := r.c.SendAsync(r.ctx, target, e.hdr, result, qos, nil, 0); err != nil && r.log != nil {
		r.log.Debug("rtclient: RPC reply not sent", "target", string(e.Sender), "error", err)
	}
}

// invoke finds and runs the handler of e's method.
func (r *RPC) invoke(e *Event) (result []byte, err error) {
	if !utf8.Valid(e.Method) {
		return nil, errBadMethodName
	}
	h := (*r.methods.Load())[string(e.Method)]
	if h == nil {
		h = r.cfg.OnCall
	}
	if h == nil {
		return nil, ErrMethodNotFound
	}
	defer func() {
		if p := recover(); p != nil {
			if r.log != nil {
				r.log.Warn("rtclient: RPC handler panicked", "method", string(e.Method), "panic", fmt.Sprint(p))
			}
			result, err = nil, &RPCError{Code: proto.RPCErrInternal, Data: []byte(fmt.Sprint("handler panicked: ", p))}
		}
	}()
	return h(r.ctx, e)
}

// Context returns the context handed to handlers; it ends when the client
// stops. Safe from any goroutine.
func (r *RPC) Context() context.Context { return r.ctx }
