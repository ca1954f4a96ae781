package netloop

import (
	"github.com/busrt-go/busrt/bus"
	"github.com/busrt-go/busrt/proto"
)

var _ bus.Sink = (*conn)(nil)

// Enqueue queues one frame for the client (bus.Sink). Safe from any
// goroutine; it never blocks on I/O and never writes to the socket: the
// owning loop does, after the current read batch (or at once for realtime
// frames and full buffers).
//
// Queue accounting follows upstream (ROUTING.md §9.1): frames are counted
// from the moment they are accepted until the kernel has taken their last
// byte, except the frame currently being written; a data frame that finds
// queue-size frames counted is refused with CodeNotDelivered. ACKs are never
// refused.
func (c *conn) Enqueue(origin any, f bus.Frame) proto.Code {
	// The origin is the routing loop's *bus.Scratch (see conn.onFrames):
	// Enqueue then runs on that loop, inside Process. Concrete assertions
	// only: interface-to-interface ones allocate the runtime's cache lazily.
	var o *loop
	if rs, ok := origin.(*bus.Scratch); ok {
		o, _ = rs.Owner.(*loop)
	}
	if o != nil && o.srv != c.srv {
		o = nil // a loop of another server: treat as an outside producer
	}
	local := o == c.lp // we run on c's own loop
	n := proto.BrokerHeaderSize + f.DataLen()

	c.mu.Lock()
	if c.sinkDone {
		c.mu.Unlock()
		return proto.CodeEOF
	}
	if f.Kind != proto.KindAck && c.ends.n > c.limit {
		c.mu.Unlock()
		return proto.CodeNotDelivered
	}
	c.reserveLocked(n)
	c.pending.B = f.AppendTo(c.pending.B)
	c.pushLocked(n)
	urgent := f.Realtime || len(c.pending.B) >= c.srv.bufSize
	post := !local && !c.inInbox
	if post {
		c.inInbox = true
	}
	c.mu.Unlock()

	switch {
	case local:
		c.lp.markDirty(c)
		if urgent {
			c.lp.flushNow = true
		}
	case o != nil:
		// routed by another loop: hand c to its loop, ring it at the end
		// of that loop's batch (once, whatever the number of frames)
		if post {
			c.lp.post(c)
		}
		o.addRing(c.lp)
		if urgent {
			o.flushNow = true
		}
	default:
		// no loop behind the sender (embedded client, `.broker`)
		if post {
			c.lp.post(c)
		}
		if urgent {
			c.lp.ring()
		} else {
			c.srv.ttl.schedule(c.lp)
		}
	}
	return proto.CodeOK
}

// queuePing queues a broker ping (6 zero bytes) from c's own loop. It
// reports false when the queue is full: upstream then drops the client.
func (c *conn) queuePing() bool {
	c.mu.Lock()
	if c.sinkDone {
		c.mu.Unlock()
		return true
	}
	if c.ends.n > c.limit {
		c.mu.Unlock()
		return false
	}
	c.reserveLocked(proto.BrokerHeaderSize)
	c.pending.B = proto.AppendBrokerPing(c.pending.B)
	c.pushLocked(proto.BrokerHeaderSize)
	c.mu.Unlock()
	c.lp.markDirty(c)
	return true
}

// pushLocked records the n bytes just appended to the pending output as
// one queued frame (c.mu held): the queue limit counts it until the kernel
// has taken its last byte.
func (c *conn) pushLocked(n int) {
	c.stream += uint64(n)
	c.ends.push(c.stream)
	c.queued.Store(int32(c.ends.n - 1))
}

// Disconnect closes the connection after the broker removed the client
// (bus.Sink). flush=true writes what is queued first, giving the peer up to
// T to take it. Safe from any goroutine; the close itself happens on the
// owning loop.
func (c *conn) Disconnect(flush bool) {
	c.mu.Lock()
	if c.closeReq != closeNone {
		c.mu.Unlock()
		return
	}
	c.closeReq = closeNow
	if flush {
		c.closeReq = closeFlush
	} else {
		c.releaseBuffersLocked(true)
		c.ends.reset()
		c.queued.Store(0)
	}
	c.sinkDone = true
	post := !c.inInbox
	c.inInbox = true
	c.mu.Unlock()
	c.dying.Store(true)
	if post {
		c.lp.post(c)
	}
	c.lp.ring()
}

// Queued returns the number of frames counted against the queue limit
// (client.list `queue`). Safe from any goroutine.
func (c *conn) Queued() int { return int(c.queued.Load()) }
