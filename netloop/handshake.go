package netloop

import (
	"github.com/panjf2000/gnet/v2"

	"github.com/busrt-go/busrt/bus"
	"github.com/busrt-go/busrt/proto"
)

// greeting is what the broker writes first (PROTOCOL.md §4.1).
var greeting = proto.AppendGreeting(nil)

// codeBytes holds every one-byte handshake answer, so writing one
// allocates nothing.
var codeBytes = func() (a [256][1]byte) {
	for i := range a {
		a[i][0] = byte(i)
	}
	return
}()

// handshake runs the server side of the handshake on whatever input gnet
// holds: it may hold one byte or the whole handshake followed by frames.
// It returns gnet.Close when the connection must end; otherwise the caller
// goes on with frames once c.state is stateFramed.
func (c *conn) handshake() gnet.Action {
	gc, lp, t := c.gc, c.lp, int64(c.srv.timeout)
	for c.state != stateFramed {
		avail := gc.InboundBuffered()
		need := proto.GreetingSize
		if c.state == stateName {
			if avail < 2 {
				return gnet.None
			}
			lb, _ := gc.Peek(2)
			need = c.hs.Need(lb)
		}
		if avail < need {
			return gnet.None
		}
		in, _ := gc.Peek(need)
		n, ev, name := c.hs.Feed(in)
		switch ev {
		case proto.ServerNeedMore:
			return gnet.None
		case proto.ServerRejected:
			c.srv.log.Debug("handshake rejected", "listener", c.ls.cfg.Addr, "error", c.hs.Err())
			c.reserveDirect()
			c.writeDirect(proto.CodeNotSupported)
			return gnet.Close
		case proto.ServerGreetingOK:
			_, _ = gc.Discard(n)
			c.reserveDirect()
			if !c.writeDirect(proto.CodeOK) {
				return gnet.None
			}
			c.state = stateName
			c.deadline = lp.now + t
		case proto.ServerName:
			info := bus.ConnInfo{
				Kind:   c.ls.kind,
				Source: c.source,
				Port:   c.ls.cfg.Addr,
				PeerIP: c.peerIP,
				AAA:    c.ls.cfg.AAA,
				Queue:  c.limit,
			}
			// The result byte's place in the stream is taken before the
			// client can receive frames, so their end offsets are exact.
			c.reserveDirect()
			client, code := c.srv.broker.RegisterSocket(name, info, c)
			_, _ = gc.Discard(n)
			if code == 0 {
				return gnet.Close // not UTF-8: close without a word
			}
			if code != proto.CodeOK || client == nil {
				c.writeDirect(code)
				return gnet.Close
			}
			c.client = client
			c.state = stateFramed
			// The result byte precedes any frame: frames routed to the new
			// client meanwhile wait in its pending buffer, which only this
			// loop flushes, after this write.
			if !c.writeDirect(proto.CodeOK) {
				return gnet.None
			}
			c.idleFrom = lp.now
			c.progressAt = lp.now
			c.nextPing = lp.now + t/2
		default: // ServerDone cannot happen before stateFramed
			return gnet.Close
		}
	}
	return gnet.None
}

// reserveDirect counts one handshake byte in the output stream before it
// is written, keeping the offsets that queue accounting uses in step.
func (c *conn) reserveDirect() {
	c.mu.Lock()
	c.stream++
	c.mu.Unlock()
}

// writeDirect writes one reserved handshake byte straight to gnet. It
// reports false when the write failed (gnet has closed the connection).
func (c *conn) writeDirect(code proto.Code) bool {
	c.handed++
	_, err := c.gc.Write(codeBytes[code][:])
	return err == nil && !c.closed
}
