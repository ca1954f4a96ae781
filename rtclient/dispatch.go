package rtclient

import "sync/atomic"

// handlerBox holds a frame handler behind an atomic pointer (a func value
// cannot be stored atomically itself).
type handlerBox struct{ fn func(*Frame) }

// dispatcher hands incoming frames to the handler set with SetHandler, or
// queues them on a channel. deliver is called by one goroutine only (the
// reader of the client), which is also the only sender on ch.
type dispatcher struct {
	ch      chan *Frame
	handler atomic.Pointer[handlerBox]
	drained *handlerBox // reader-local: the handler the backlog went to
}

func newDispatcher(queue int) dispatcher {
	return dispatcher{ch: make(chan *Frame, queue)}
}

func (d *dispatcher) set(h func(*Frame)) {
	if h == nil {
		d.handler.Store(nil)
		return
	}
	d.handler.Store(&handlerBox{fn: h})
}

// deliver hands f on. It blocks while the queue is full, until quit is
// closed (then f is released).
func (d *dispatcher) deliver(f *Frame, quit <-chan struct{}) {
	if hb := d.handler.Load(); hb != nil {
		if hb != d.drained {
			d.drained = hb
			d.drainTo(hb.fn)
		}
		hb.fn(f)
		return
	}
	d.drained = nil
	select {
	case d.ch <- f:
	case <-quit:
		f.Release()
	}
}

// drainTo hands the frames queued before a handler was set to it, so that
// nothing is left behind on the channel.
func (d *dispatcher) drainTo(fn func(*Frame)) {
	for {
		select {
		case f := <-d.ch:
			fn(f)
		default:
			return
		}
	}
}

// close closes the queue after the last deliver; queued frames stay
// readable.
func (d *dispatcher) close() { close(d.ch) }
