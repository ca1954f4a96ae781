package netloop

import (
	"errors"
	"io"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"

	"github.com/panjf2000/gnet/v2"
	"github.com/valyala/bytebufferpool"

	"github.com/busrt-go/busrt/bus"
	"github.com/busrt-go/busrt/proto"
)

// parkedInputMax bounds the input gnet may buffer for a connection that is
// parked because its own queue is full (gnet keeps reading the socket and
// has no way to pause it; upstream simply stops reading). Growing gnet's
// buffer costs several times its size in pooled allocations, so the bound
// is small: beyond it, plus the frame being received, the client is dropped.
const parkedInputMax = 4 << 20

// errParkedInput is why such a connection is closed.
var errParkedInput = errors.New("netloop: client keeps sending while its own queue is full")

// connState is where a connection is in its life.
type connState uint8

const (
	stateGreeting connState = iota // greeting written, waiting for the echo
	stateName                      // greeting accepted, waiting for the name
	stateFramed                    // registered: frames both ways
)

// closeMode is what the broker asked through Sink.Disconnect.
type closeMode uint8

const (
	closeNone  closeMode = iota
	closeFlush           // write what is queued, then close (queue overflow)
	closeNow             // discard what is queued and close
)

// conn is one client connection. It is the gnet connection's context and
// the bus.Sink of its registered client.
type conn struct {
	// set in OnOpen, then read-only
	srv    *Server
	lp     *loop
	gc     gnet.Conn
	ls     *listenerState
	source string     // TCP peer "ip:port"
	peerIP netip.Addr // TCP peer address (AAA host check)

	// owned by the loop goroutine
	hs          proto.ServerHandshake
	state       connState
	client      *bus.Client
	deadline    int64  // handshake: end of the current step
	idleFrom    int64  // framed: when the wait for the next header began
	headerAt    int64  // framed: a header arrived whose body has not (0 = none)
	nextPing    int64  // framed: when to queue the next broker ping
	handed      uint64 // bytes given to gnet (handshake bytes included)
	kernelDone  uint64 // bytes the kernel had taken at the last refresh
	progressAt  int64  // last time the kernel took bytes, or output was idle
	lingerUntil int64  // closing after Disconnect(true): give up at this time
	idx         int    // position in lp.conns
	mode        closeMode
	wrote       bool // flushed bytes since the last sweep
	inDirty     bool // listed in lp.dirty
	parked      bool // own queue full: input left in gnet's buffer
	closed      bool // OnClose ran

	// shared with other goroutines; guarded by mu
	mu       sync.Mutex
	pending  *bytebufferpool.ByteBuffer // queued bytes not yet given to gnet
	spare    *bytebufferpool.ByteBuffer // an empty buffer kept for the next batch
	stream   uint64                     // end offset of everything queued so far
	ends     endRing                    // end offsets of frames not yet taken by the kernel
	limit    int                        // queue size in frames
	inInbox  bool                       // listed in lp.inbox
	sinkDone bool                       // Enqueue answers CodeEOF
	closeReq closeMode

	queued atomic.Int32 // frames counted against the limit (mirror of ends)
	dying  atomic.Bool  // Disconnect was called: stop reading
}

// openConn sets a freshly accepted connection up (OnOpen, on its loop).
func (s *Server) openConn(gc gnet.Conn, ls *listenerState, lp *loop) *conn {
	c := &conn{srv: s, lp: lp, gc: gc, ls: ls}
	c.limit = ls.queue
	if c.limit <= 0 {
		c.limit = s.queueSize
	}
	if ls.kind == bus.KindTCP {
		_ = gc.SetNoDelay(true)
		if ra, ok := gc.RemoteAddr().(*net.TCPAddr); ok {
			ap := ra.AddrPort()
			c.source = ra.String()
			c.peerIP = ap.Addr().Unmap()
		}
	}
	c.deadline = lp.now + int64(s.timeout)
	c.handed = proto.GreetingSize // OnOpen returns the greeting to gnet
	c.stream = proto.GreetingSize
	lp.addConn(c)
	return c
}

// onTraffic handles input on the connection (OnTraffic, on its loop).
func (c *conn) onTraffic() gnet.Action {
	lp := c.lp
	lp.now = monoNow()
	if c.dying.Load() || c.lingerUntil != 0 {
		_, _ = c.gc.Discard(-1) // kicked: input no longer matters
		return gnet.None
	}
	if c.state != stateFramed {
		if act := c.handshake(); act != gnet.None || c.state != stateFramed {
			return act
		}
	}
	act := c.readFrames()
	lp.endBatch()
	return act
}

// readFrames decodes and routes every complete frame in gnet's buffer. It
// stops when only part of a frame is left (gnet will not call again for
// bytes it already holds), when the connection's own queue is full (park),
// or at the first malformed frame (returns gnet.Close).
func (c *conn) readFrames() gnet.Action {
	lp, gc := c.lp, c.gc
	for {
		if c.queued.Load() >= int32(c.limit) {
			// Upstream blocks a sender whose own queue is full until it
			// drains. Flush first (we are between frames); if the kernel
			// takes nothing, leave the input in gnet's buffer and let the
			// sweep resume the connection.
			lp.endBatch()
			if c.closed {
				return gnet.None
			}
			c.refresh()
			if c.queued.Load() >= int32(c.limit) {
				c.parked = true
				if gc.InboundBuffered() > parkedInputMax+c.frameInProgress() {
					// gnet keeps reading the socket: bound what a client
					// that neither reads nor stops sending can pile up
					return c.fail(errParkedInput)
				}
				return gnet.None
			}
		}
		c.parked = false
		avail := gc.InboundBuffered()
		if avail < proto.ClientHeaderSize {
			return gnet.None
		}
		hb, _ := gc.Peek(proto.ClientHeaderSize)
		h, err := proto.DecodeHeader(hb, c.ls.cfg.MaxFrame)
		if err != nil {
			return c.fail(err)
		}
		if h.IsPing() {
			_, _ = gc.Discard(proto.ClientHeaderSize)
			c.idleFrom = lp.now
			continue
		}
		// compare in uint64: 9+Len can overflow an int on 32-bit platforms
		if uint64(avail-proto.ClientHeaderSize) < uint64(h.Len) {
			if c.headerAt == 0 {
				c.headerAt = lp.now // the body must follow within T
			}
			return gnet.None
		}
		// Discard the header before peeking the body: a Peek across gnet's
		// ring and read buffers copies into a pooled slice that only the
		// next Discard returns, so peeking the whole frame after the header
		// would drop the header's slice to the garbage collector.
		_, _ = gc.Discard(proto.ClientHeaderSize)
		var body []byte
		if h.Len > 0 { // Peek(0) and Discard(0) would mean everything
			body, _ = gc.Peek(int(h.Len))
		}
		err = c.client.Process(lp.scratch, h, body)
		if h.Len > 0 {
			_, _ = gc.Discard(int(h.Len))
		}
		if err != nil {
			return c.fail(err)
		}
		c.headerAt = 0
		c.idleFrom = lp.now
		if lp.flushNow {
			lp.endBatch() // realtime frame or a full buffer: flush now
			if c.closed {
				return gnet.None
			}
		}
		if c.dying.Load() {
			_, _ = gc.Discard(-1)
			return gnet.None
		}
	}
}

// fail logs a protocol violation and asks gnet to close the connection.
func (c *conn) fail(err error) gnet.Action {
	c.srv.log.Info("client error", "listener", c.ls.cfg.Addr, "client", c.name(), "error", err)
	return gnet.Close
}

// name returns the client's name for logs.
func (c *conn) name() string {
	if c.client != nil {
		return c.client.Name()
	}
	return ""
}

// onClose releases the connection (OnClose, on its loop).
func (c *conn) onClose(err error) {
	if c.closed {
		return
	}
	c.closed = true
	c.lp.removeConn(c)
	c.srv.open.Add(-1)
	c.mu.Lock()
	c.sinkDone = true
	c.releaseBuffersLocked(true)
	c.ends.reset()
	c.queued.Store(0)
	c.mu.Unlock()
	if err != nil && !errors.Is(err, io.EOF) && c.client != nil {
		c.srv.log.Debug("client error", "listener", c.ls.cfg.Addr, "client", c.name(), "error", err)
	}
	if c.client != nil {
		c.client.Disconnected()
	}
}

// closeConn closes the connection from its loop outside its own OnTraffic
// (sweeps, doorbell work); OnClose runs before it returns.
func (c *conn) closeConn() {
	if !c.closed {
		_ = c.lp.el.Close(c.gc)
	}
}

// frameInProgress is the size of the frame at the head of gnet's input, as
// far as its header says (0 when no header is there yet), so a parked
// client is never dropped for sending one large frame.
func (c *conn) frameInProgress() int {
	hb, err := c.gc.Peek(proto.ClientHeaderSize)
	if err != nil {
		return 0
	}
	h, err := proto.DecodeHeader(hb, 0)
	if err != nil || !h.HasData() {
		return 0
	}
	return proto.ClientHeaderSize + int(h.Len)
}
