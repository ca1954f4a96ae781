package rtclient

import (
	"errors"
	"io"
	"os"
	"time"

	"github.com/busrt-go/busrt/proto"
)

// Read path. The reader goroutine reads the socket into its buffer (rd.buf,
// BufSize bytes) and handles every complete frame in it before it reads
// again: a read that returns a burst of frames costs one system call, not
// one per frame. A frame that does not fit in the buffer is read straight
// into its own.
//
// On a socket that offers syscall.RawConn (UNIX and TCP on unix systems;
// net.Pipe, and other systems, read through net.Conn.Read), the reader
// stays inside one RawConn.Read for the life of the connection and reads
// with read(2) itself. A read that returns less than it asked for has
// drained the socket, so the reader waits for readiness at once instead of
// reading again only to get EAGAIN, as net.Conn.Read must: Go's poller is
// edge-triggered and remembers a readiness that arrives before the wait, so
// no wake-up is lost (a short read means the kernel's receive queue was
// empty at that moment, and every later arrival is a new edge). This halves
// the read calls of request/response traffic: one read per ACK instead of
// two. The end of the stream is the exception: a FIN that arrives with the
// last bytes is no later edge, so skipping the EAGAIN read needs the
// hang-up watcher (socket_hup_linux.go); without one (drainRead), the reader
// reads until EAGAIN.
//
// Since the reader holds the connection's read lock while it hands frames
// on (handlers included), closing the connection would wait for it: fail
// shuts the socket down instead, which wakes the reader, and the reader
// closes the connection when it stops (closeConn).

// bodyChunk is the step by which the buffer of a large incoming frame grows
// while its bytes arrive: a declared length alone never allocates more.
const bodyChunk = 1 << 20

// errStopped ends the reader of a client that failed (its reason is
// already recorded).
var errStopped = errors.New("rtclient: client stopped")

// past is a deadline in the past: it wakes every blocked socket operation.
var past = time.Unix(1, 0)

// noDeadline lifts a deadline.
var noDeadline time.Time

// frameReader is the reader goroutine's state. Only the reader goroutine
// (and, before it starts, the handshake) touches it.
type frameReader struct {
	buf  []byte // read buffer; unparsed bytes are buf[r:w]
	r, w int

	big   *Frame // a frame larger than buf, read into big.buf
	bigN  int    // its data length
	bigRT bool   // its realtime flag
	bigK  proto.Kind
	timed bool // a read deadline is set (a frame body is incomplete)
}

// readLoop is the reader goroutine: it completes ACK waiters and hands data
// frames to the dispatcher until the connection ends.
func (c *SocketClient) readLoop() {
	err := c.parse() // what followed the handshake
	switch {
	case err != nil:
	case c.raw != nil:
		err = c.readRaw()
	default:
		err = c.readConn()
	}
	if err == nil || errors.Is(err, errStopped) {
		err = io.EOF
	}
	c.fail(disconnected(err))
	c.unwatchHangUp()
	_ = c.conn.Close() // fail may only have shut it down
	c.frames.close()
	close(c.done)
}

// readRaw reads the socket with read(2) inside one RawConn.Read.
func (c *SocketClient) readRaw() error {
	var err error
	rerr := c.raw.Read(func(fd uintptr) bool {
		for {
			if c.failure.Load() != nil {
				err = errStopped
				return true
			}
			p := c.rd.next()
			n, wouldBlock, e := sysRead(fd, p)
			switch {
			case wouldBlock:
				c.armDeadline()
				return false
			case e != nil:
				err = os.NewSyscallError("read", e)
				return true
			case n == 0:
				err = io.EOF
				return true
			}
			if err = c.consume(n); err != nil {
				return true
			}
			if n < len(p) && !c.drainRead.Load() { // drained: wait for the next edge
				c.armDeadline()
				return false
			}
		}
	})
	if err == nil {
		err = rerr
	}
	return err
}

// readConn reads through net.Conn.Read, for connections without a RawConn.
func (c *SocketClient) readConn() error {
	for {
		if c.failure.Load() != nil {
			return errStopped
		}
		c.armDeadline()
		n, err := c.conn.Read(c.rd.next())
		if n > 0 {
			if err := c.consume(n); err != nil {
				return err
			}
		}
		if err != nil {
			return err
		}
	}
}

// next returns where the next read goes: the rest of a large frame, or the
// free end of buf.
func (rd *frameReader) next() []byte {
	if f := rd.big; f != nil {
		n := len(f.buf)
		if cap(f.buf) == n { // grow by a chunk, at most to the frame's end
			step := min(rd.bigN-n, max(n, bodyChunk))
			grown := make([]byte, n, n+step)
			copy(grown, f.buf)
			f.buf = grown
		}
		return f.buf[n:min(cap(f.buf), rd.bigN)]
	}
	return rd.buf[rd.w:]
}

// armDeadline bounds the wait for the rest of a frame body by Timeout, and
// lifts the bound once no body is incomplete. Called before every wait, it
// touches the deadline only when that changes.
func (c *SocketClient) armDeadline() {
	if c.failure.Load() != nil {
		return // fail set a deadline in the past: keep it
	}
	rd := &c.rd
	// parse leaves a header behind only when its body is incomplete.
	partial := rd.big != nil || rd.w-rd.r >= proto.BrokerHeaderSize
	if partial == rd.timed {
		return
	}
	rd.timed = partial
	if partial {
		_ = c.conn.SetReadDeadline(time.Now().Add(c.cfg.Timeout))
	} else {
		_ = c.conn.SetReadDeadline(noDeadline)
	}
}

// consume takes n bytes just read at next() and handles every frame they
// complete.
func (c *SocketClient) consume(n int) error {
	rd := &c.rd
	if f := rd.big; f != nil {
		f.buf = f.buf[:len(f.buf)+n]
		if len(f.buf) < rd.bigN {
			return nil
		}
		rd.big = nil
		if err := c.deliverData(f, rd.bigK, rd.bigRT); err != nil {
			return err
		}
		return nil
	}
	rd.w += n
	return c.parse()
}

// parse handles the complete frames in buf[r:w] and moves what remains to
// the front of buf (a frame too large for buf moves to its own buffer).
func (c *SocketClient) parse() error {
	rd := &c.rd
	for rd.w-rd.r >= proto.BrokerHeaderSize {
		b := rd.buf[rd.r:rd.w]
		h, err := proto.DecodeBrokerHeader(b)
		if err != nil {
			return err
		}
		switch h.Kind {
		case proto.KindNop:
			rd.r += proto.BrokerHeaderSize
			continue
		case proto.KindAck:
			rd.r += proto.BrokerHeaderSize
			c.handleAck(h.AckID, h.Code)
			continue
		}
		if c.cfg.MaxFrame > 0 && h.Len > c.cfg.MaxFrame {
			return proto.ErrFrameTooLarge
		}
		n := int(h.Len)
		if len(b)-proto.BrokerHeaderSize >= n { // complete
			f := getFrame()
			f.buf = append(f.buf[:0], b[proto.BrokerHeaderSize:proto.BrokerHeaderSize+n]...)
			rd.r += proto.BrokerHeaderSize + n
			if err := c.deliverData(f, h.Kind, h.Realtime); err != nil {
				return err
			}
			continue
		}
		if proto.BrokerHeaderSize+n <= len(rd.buf) {
			break // the rest fits in buf
		}
		// Too large for buf: its body goes to its own buffer, which grows
		// as the bytes arrive (a declared length alone allocates at most
		// bodyChunk more than the frame pool keeps).
		f := getFrame()
		have := b[proto.BrokerHeaderSize:]
		if cap(f.buf) < n && n > bodyChunk {
			f.buf = make([]byte, 0, max(len(have), bodyChunk))
		} else if cap(f.buf) < n {
			f.buf = make([]byte, 0, n)
		}
		f.buf = append(f.buf[:0], have...)
		rd.big, rd.bigN, rd.bigK, rd.bigRT = f, n, h.Kind, h.Realtime
		rd.r, rd.w = 0, 0
		return nil
	}
	switch {
	case rd.r == rd.w:
		rd.r, rd.w = 0, 0
	case rd.r > 0:
		rd.w = copy(rd.buf, rd.buf[rd.r:rd.w])
		rd.r = 0
	}
	return nil
}

// handleAck completes the waiter of frame id.
func (c *SocketClient) handleAck(id uint32, code proto.Code) {
	// A second ACK for the same id (SUBSCRIBE denied by AAA, PROTOCOL.md
	// §7.4) finds no waiter: orphaned, ignored.
	w := c.acks.take(id)
	if w == nil {
		return
	}
	if w.ack != nil { // SendAsync: nobody waits
		ack, tag := w.ack, w.tag
		releaseWaiter(w)
		ack.HandleAck(tag, code)
		return
	}
	w.code = code
	w.ready <- struct{}{}
}

// deliverData splits a received data frame and hands it on.
func (c *SocketClient) deliverData(f *Frame, kind proto.Kind, realtime bool) error {
	sender, topic, payload, err := proto.SplitDelivery(kind, f.buf)
	if err != nil {
		f.Release()
		return err
	}
	f.Kind, f.Realtime = kind, realtime
	f.Sender, f.Topic, f.Payload = sender, topic, payload
	c.frames.deliver(f, c.quit)
	return nil
}

// readFull reads exactly len(dst) bytes through rbuf, for the handshake
// (the connection's deadlines bound it); bytes that follow stay in rbuf for
// the reader.
func (c *SocketClient) readFull(dst []byte) error {
	rd := &c.rd
	for rd.w-rd.r < len(dst) {
		if rd.r > 0 {
			rd.w = copy(rd.buf, rd.buf[rd.r:rd.w])
			rd.r = 0
		}
		n, err := c.conn.Read(rd.buf[rd.w:])
		rd.w += n
		if err != nil && rd.w-rd.r < len(dst) {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
	}
	rd.r += copy(dst, rd.buf[rd.r:rd.w])
	return nil
}

// closeConn ends the connection for fail. With a raw reader, which holds
// the connection's read lock while it hands frames on (possibly to the
// very handler that is closing the client), Close would wait for the
// reader; the socket is shut down instead (the broker sees the connection
// end at once, and blocked reads and writes return) and the reader closes
// the connection when it stops.
func (c *SocketClient) closeConn() {
	if c.raw == nil {
		_ = c.conn.Close()
		return
	}
	_ = c.raw.Control(sysShutdown)
	_ = c.conn.SetDeadline(past)
}
