package rtclient

import (
	"context"
	"fmt"
	"runtime"
	"time"

	"github.com/busrt-go/busrt/proto"
)

// Write path (PROTOCOL.md §11). Senders append whole frames to wbuf under
// wmu, so frames never interleave. A realtime frame, or a full buffer, is
// flushed by its sender at once; otherwise the flusher goroutine writes the
// buffer BufTTL after its first frame, together with whatever joined it.
// A flush swaps wbuf for the spare buffer and writes outside wmu (holding
// fmu), so senders keep appending while the socket write runs. A payload of
// at least BufSize bytes is not copied: its sender writes the buffered
// frames, its own head and then the payload itself, all under fmu.
//
// Lock order: fmu, then wmu.

// epoch is the origin of nanotime.
var epoch = time.Now()

// nanotime returns monotonic nanoseconds since epoch.
func nanotime() int64 { return int64(time.Since(epoch)) }

// maxKeptBufFactor bounds a write buffer kept after a flush, in BufSizes.
const maxKeptBufFactor = 4

// spinLimit is the longest flush delay waited by yielding the processor;
// longer ones sleep on a timer (whose resolution is about a millisecond).
const spinLimit = 2 * time.Millisecond

// do sends one frame and, unless fp.async, waits for the ACK when fp.qos
// requests one.
func (c *SocketClient) do(ctx context.Context, fp *frameParts) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if !fp.fits() {
		return ErrTooLarge
	}
	direct := len(fp.payload) >= c.cfg.BufSize
	if direct {
		c.fmu.Lock()
	}
	c.wmu.Lock()
	if f := c.failure.Load(); f != nil {
		c.wmu.Unlock()
		if direct {
			c.fmu.Unlock()
		}
		return f.err
	}
	c.lastID++
	if c.lastID == 0 {
		c.lastID = 1
	}
	id := c.lastID
	var w *waiter
	if fp.qos.NeedsAck() && (!fp.async || fp.ack != nil) {
		// Registered before the frame can reach the socket: the ACK can
		// come back very quickly.
		w = acquireWaiter(id)
		w.ack, w.tag = fp.ack, fp.tag
		if err := c.acks.put(w); err != nil {
			c.wmu.Unlock()
			if direct {
				c.fmu.Unlock()
			}
			releaseWaiter(w)
			return err
		}
	}
	var err error
	if direct {
		pending := c.wbuf
		c.wbuf = c.spare[:0]
		c.flushDue = false
		c.wmu.Unlock()
		pending = fp.appendHead(pending, id)
		if err = c.writeBuf(pending, false); err == nil {
			err = c.writeBuf(fp.payload, true)
		}
		c.keepSpare(pending)
		c.fmu.Unlock()
	} else {
		c.wbuf = fp.appendTo(c.wbuf, id)
		now := fp.qos.IsRealtime() || len(c.wbuf) >= c.cfg.BufSize || c.cfg.BufTTL < 0
		schedule := !now && !c.flushDue
		if schedule {
			c.flushDue = true
			c.dueAt = nanotime() + int64(c.cfg.BufTTL)
		}
		c.wmu.Unlock()
		if now {
			err = c.flush()
		} else if schedule {
			select {
			case c.flushSig <- struct{}{}:
			default:
			}
		}
	}
	if w == nil || fp.async {
		return err
	}
	// On a write error fail() has closed the table and signalled w.
	return c.acks.waitAck(ctx, w)
}

// Ping writes a client ping (9 zero bytes, frame id 0: it does not use a
// frame id) and flushes at once. Safe from any goroutine.
func (c *SocketClient) Ping(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.wmu.Lock()
	if f := c.failure.Load(); f != nil {
		c.wmu.Unlock()
		return f.err
	}
	c.wbuf = proto.AppendPing(c.wbuf)
	c.wmu.Unlock()
	return c.flush()
}

// flush writes the buffered frames now.
func (c *SocketClient) flush() error {
	c.fmu.Lock()
	c.wmu.Lock()
	buf := c.wbuf
	if len(buf) == 0 {
		c.wmu.Unlock()
		c.fmu.Unlock()
		return nil
	}
	c.wbuf = c.spare[:0]
	c.flushDue = false
	c.wmu.Unlock()
	err := c.writeBuf(buf, false)
	c.keepSpare(buf)
	c.fmu.Unlock()
	return err
}

// keepSpare makes buf the spare buffer unless it grew too large. The caller
// holds fmu.
func (c *SocketClient) keepSpare(buf []byte) {
	if cap(buf) > maxKeptBufFactor*c.cfg.BufSize {
		buf = make([]byte, 0, c.cfg.BufSize)
	}
	c.spare = buf[:0]
}

// writeBuf writes b to the socket within Timeout. The caller holds fmu.
// midFrame says that b continues a frame already partly written. Any
// failure stops the client: a frame may be cut, and the stream cannot be
// resynchronised.
func (c *SocketClient) writeBuf(b []byte, midFrame bool) error {
	if len(b) == 0 {
		return nil
	}
	if f := c.failure.Load(); f != nil {
		return f.err
	}
	c.refreshWriteDeadline()
	n, err := c.conn.Write(b)
	if err == nil {
		return nil
	}
	if midFrame || (n > 0 && n < len(b)) {
		err = fmt.Errorf("%w: %w (%w)", ErrDisconnected, ErrBrokenFrame, err)
	} else {
		err = disconnected(err)
	}
	c.fail(err)
	return c.Err()
}

// refreshWriteDeadline keeps the socket's write deadline between Timeout/2
// and Timeout ahead of now. Setting a deadline re-arms a runtime timer and
// can wake the network poller, which costs a third of a round trip on a
// fast socket when done per write; refreshing it only when half of it is
// used keeps every write bounded by Timeout (at least Timeout/2). The
// caller holds fmu.
func (c *SocketClient) refreshWriteDeadline() {
	now := nanotime()
	if c.writeDeadline-now >= int64(c.cfg.Timeout/2) {
		return
	}
	c.writeDeadline = now + int64(c.cfg.Timeout)
	_ = c.conn.SetWriteDeadline(epoch.Add(time.Duration(c.writeDeadline)))
}

// flushLoop writes the buffer BufTTL after its first non-realtime frame.
func (c *SocketClient) flushLoop() {
	var t *time.Timer
	for {
		select {
		case <-c.flushSig:
		case <-c.quit:
			return
		}
		c.wmu.Lock()
		due := c.dueAt
		c.wmu.Unlock()
		for {
			d := time.Duration(due - nanotime())
			if d <= 0 {
				break
			}
			if d < spinLimit {
				runtime.Gosched() // timers cannot wait microseconds
				continue
			}
			if t == nil {
				t = time.NewTimer(d)
			} else {
				t.Reset(d)
			}
			select {
			case <-t.C:
			case <-c.quit:
				return
			}
		}
		_ = c.flush()
	}
}

// pingLoop pings the broker every PingInterval until the client stops.
func (c *SocketClient) pingLoop() {
	t := time.NewTicker(c.cfg.PingInterval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			if c.Ping(context.Background()) != nil {
				return
			}
		case <-c.quit:
			return
		}
	}
}
