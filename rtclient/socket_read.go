package rtclient

import (
	"bufio"
	"io"
	"time"

	"github.com/busrt-go/busrt/proto"
)

// bodyChunk is the step by which the buffer of a large incoming frame grows
// while its bytes arrive: a declared length alone never allocates more.
const bodyChunk = 1 << 20

// readLoop is the reader goroutine: it completes ACK waiters and hands data
// frames to the dispatcher until the connection ends.
func (c *SocketClient) readLoop() {
	err := c.readFrames()
	if err == nil {
		err = io.EOF
	}
	c.fail(disconnected(err))
	c.frames.close()
	close(c.done)
}

func (c *SocketClient) readFrames() error {
	br := c.br
	for {
		if _, err := io.ReadFull(br, c.hdr[:]); err != nil {
			return err
		}
		h, err := proto.DecodeBrokerHeader(c.hdr[:])
		if err != nil {
			return err
		}
		switch h.Kind {
		case proto.KindNop:
			continue
		case proto.KindAck:
			// A second ACK for the same id (SUBSCRIBE denied by AAA,
			// PROTOCOL.md §7.4) finds no waiter: orphaned, ignored.
			if w := c.acks.take(h.AckID); w != nil {
				if w.ack != nil { // SendAsync: nobody waits
					ack, tag := w.ack, w.tag
					releaseWaiter(w)
					ack.HandleAck(tag, h.Code)
					continue
				}
				w.code = h.Code
				w.ready <- struct{}{}
			}
			continue
		}
		if c.cfg.MaxFrame > 0 && h.Len > c.cfg.MaxFrame {
			return proto.ErrFrameTooLarge
		}
		f := getFrame()
		if f.buf, err = c.readBody(br, f.buf[:0], int(h.Len)); err != nil {
			f.Release()
			return err
		}
		sender, topic, payload, err := proto.SplitDelivery(h.Kind, f.buf)
		if err != nil {
			f.Release()
			return err
		}
		f.Kind, f.Realtime = h.Kind, h.Realtime
		f.Sender, f.Topic, f.Payload = sender, topic, payload
		c.frames.deliver(f, c.quit)
	}
}

// readBody reads a frame body of n bytes into dst[:0] within Timeout.
func (c *SocketClient) readBody(br *bufio.Reader, dst []byte, n int) ([]byte, error) {
	if br.Buffered() < n {
		_ = c.conn.SetReadDeadline(time.Now().Add(c.cfg.Timeout))
		defer func() { _ = c.conn.SetReadDeadline(time.Time{}) }()
	}
	if cap(dst) >= n || n <= bodyChunk {
		if cap(dst) < n {
			dst = make([]byte, n)
		}
		dst = dst[:n]
		_, err := io.ReadFull(br, dst)
		return dst, err
	}
	for len(dst) < n {
		step := min(n-len(dst), max(len(dst), bodyChunk))
		if cap(dst)-len(dst) < step {
			grown := make([]byte, len(dst), len(dst)+step)
			copy(grown, dst)
			dst = grown
		}
		m, err := io.ReadFull(br, dst[len(dst):len(dst)+step])
		dst = dst[:len(dst)+m]
		if err != nil {
			return dst, err
		}
	}
	return dst, nil
}
