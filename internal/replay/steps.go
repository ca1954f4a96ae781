package replay

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"syscall"
	"time"
)

// runner holds the state of one scenario's replay. It is used by one
// goroutine only.
type runner struct {
	s      Scenario
	opts   Options
	broker Broker
	conns  map[string]*conn
}

// closeAll closes every connection still open.
func (r *runner) closeAll() {
	for _, c := range r.conns {
		if !c.closed {
			c.closed = true
			c.nc.Close()
		}
	}
}

func (r *runner) logf(format string, args ...any) {
	if r.opts.Log != nil {
		fmt.Fprintf(r.opts.Log, "replay: %s: "+format+"\n", append([]any{r.s.Name}, args...)...)
	}
}

// step runs step i.
func (r *runner) step(i int, st *Step) error {
	switch st.Kind {
	case KindSleep:
		time.Sleep(st.Duration) // the transcript's own timing, part of the data
		return nil
	case KindBrokerSignal:
		if err := r.broker.Signal(st.Signal); err != nil {
			return fmt.Errorf("signal %s: %w", st.Signal, err)
		}
		return nil
	case KindConnect:
		if c, ok := r.conns[st.Conn]; ok && !c.closed {
			return fmt.Errorf("connection %s is already open", st.Conn)
		}
		nc, err := dial(r.broker, st.Transport)
		if err != nil {
			return err
		}
		r.conns[st.Conn] = &conn{name: st.Conn, nc: nc}
		return nil
	}

	c, ok := r.conns[st.Conn]
	switch {
	case !ok:
		return fmt.Errorf("connection %s was never opened", st.Conn)
	case c.closed:
		return fmt.Errorf("connection %s was closed by a close step", st.Conn)
	case c.stopped && st.Kind != KindSend && st.Kind != KindClose:
		return fmt.Errorf("connection %s is no longer read (stop_reading)", st.Conn)
	}

	switch st.Kind {
	case KindRegister:
		return r.register(c, st.Name)
	case KindSend:
		return r.send(c, st.Data, st.PadByte, st.PadCount)
	case KindExpect:
		exp, mask, err := r.rewrite(i, st.Data, st.Mask)
		if err != nil {
			return err
		}
		if r.opts.ErrorTextTolerant && r.s.HasTag("upstream-error-text") {
			if prefix, ok := rpcErrorPrefix(exp); ok {
				return c.expectErrorReply(exp, mask, prefix, st.Within)
			}
		}
		return c.expect(exp, mask, st.Within)
	case KindExpectUnordered:
		items := make([]Item, len(st.Items))
		for j, it := range st.Items {
			exp, mask, err := r.rewrite(i, it.Expect, it.Mask)
			if err != nil {
				return fmt.Errorf("item %d: %w", j, err)
			}
			items[j] = Item{Expect: exp, Mask: mask, Note: it.Note}
		}
		return c.expectUnordered(items, st.Within)
	case KindExpectNothing:
		return c.expectNothing(st.Duration)
	case KindExpectClosed:
		return c.expectClosed(st.Duration)
	case KindClose:
		c.closed = true
		if err := c.nc.Close(); err != nil {
			return fmt.Errorf("close: %w", err)
		}
		return nil
	case KindStopReading:
		c.stopped = true
		return nil
	}
	return fmt.Errorf("unknown step kind %q", st.Kind)
}

// rewrite applies Options.Rewrite to one expectation.
func (r *runner) rewrite(i int, exp, mask []byte) ([]byte, []byte, error) {
	if r.opts.Rewrite == nil {
		return exp, mask, nil
	}
	ne, nm := r.opts.Rewrite(r.s.Name, i, slices.Clone(exp), slices.Clone(mask))
	if nm != nil && len(nm) != len(ne) {
		return nil, nil, fmt.Errorf("the rewrite hook returned a %d-byte mask for %d expected bytes", len(nm), len(ne))
	}
	return ne, nm, nil
}

// register runs the standard handshake macro.
func (r *runner) register(c *conn, name string) error {
	if err := c.expect([]byte{0xeb, 0x01, 0x00}, nil, registerWait); err != nil {
		return fmt.Errorf("register %q, greeting eb0100: %w", name, err)
	}
	if err := r.send(c, []byte{0xeb, 0x01, 0x00}, 0, 0); err != nil {
		return fmt.Errorf("register %q: %w", name, err)
	}
	if err := c.expect([]byte{0x01}, nil, registerWait); err != nil {
		return fmt.Errorf("register %q, protocol version accepted (01): %w", name, err)
	}
	msg := binary.LittleEndian.AppendUint16(make([]byte, 0, 2+len(name)), uint16(len(name)))
	if err := r.send(c, append(msg, name...), 0, 0); err != nil {
		return fmt.Errorf("register %q: %w", name, err)
	}
	if err := c.expect([]byte{0x01}, nil, registerWait); err != nil {
		return fmt.Errorf("register %q, name accepted (01): %w", name, err)
	}
	return nil
}

// send writes data followed by count copies of pad, in one write. A write
// that fails because the broker already closed the connection is not a
// failure by itself: the scenario's later expectations decide.
func (r *runner) send(c *conn, data []byte, pad byte, count int) error {
	out := data
	if count > 0 {
		out = make([]byte, len(data)+count)
		copy(out, data)
		fillByte(out[len(data):], pad)
	}
	if err := c.nc.SetWriteDeadline(time.Now().Add(sendTimeout)); err != nil {
		return fmt.Errorf("set write deadline: %w", err)
	}
	if _, err := c.nc.Write(out); err != nil {
		if errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET) {
			r.logf("write on %s after the broker closed it: %v", c.name, err)
			return nil
		}
		return fmt.Errorf("write %d bytes on %s: %w", len(out), c.name, err)
	}
	return nil
}

// fillByte sets every byte of p to v, doubling the filled part each round.
func fillByte(p []byte, v byte) {
	if len(p) == 0 {
		return
	}
	p[0] = v
	for filled := 1; filled < len(p); filled *= 2 {
		copy(p[filled:], p[:filled])
	}
}

// expect waits for len(exp) bytes and compares them under mask.
func (c *conn) expect(exp, mask []byte, within time.Duration) error {
	deadline := time.Now().Add(within)
	for len(c.buf) < len(exp) {
		if at := firstDiff(exp, mask, c.buf); at >= 0 {
			return mismatch("received bytes differ (the rest had not arrived yet)", exp, mask, c.buf, at)
		}
		if err := c.readSome(deadline); err != nil {
			return c.shortRead(err, exp, mask, within)
		}
	}
	got := c.buf[:len(exp)]
	if at := firstDiff(exp, mask, got); at >= 0 {
		return c.withTrailer(mismatch("received bytes differ", exp, mask, got, at), len(exp))
	}
	c.consume(len(exp))
	return nil
}

// shortRead words a read that ended before an expectation was complete.
func (c *conn) shortRead(err error, exp, mask []byte, within time.Duration) error {
	switch err {
	case errTimeout:
		return mismatch(fmt.Sprintf("timeout: %d of %d bytes arrived within %v", len(c.buf), len(exp), within), exp, mask, c.buf, -1)
	case errPeerClosed:
		return mismatch(fmt.Sprintf("%s after %d of %d bytes", c.closedReason(), len(c.buf), len(exp)), exp, mask, c.buf, -1)
	}
	return err
}

// withTrailer adds the bytes buffered after the first n to a failure.
func (c *conn) withTrailer(err error, n int) error {
	if len(c.buf) <= n {
		return err
	}
	more := c.buf[n:]
	shown := more[:min(len(more), 64)]
	s := fmt.Sprintf("\n  then buffered (%d bytes): %x", len(more), shown)
	if len(shown) < len(more) {
		s += "..."
	}
	return fmt.Errorf("%w%s", err, s)
}

// expectErrorReply is the tolerant comparison of an RPC error reply: the
// received frame is taken by its own declared length, and only the bytes up
// to and including the error code are compared, without the length field.
func (c *conn) expectErrorReply(exp, mask []byte, prefix int, within time.Duration) error {
	const headline = "RPC error reply differs (tolerant comparison: up to the error code; length and text ignored)"
	want, wmask := exp[:prefix], tolerantMask(mask, prefix)
	deadline := time.Now().Add(within)
	for {
		head := c.buf[:min(len(c.buf), prefix)]
		if at := firstDiff(want, wmask, head); at >= 0 {
			return mismatch(headline, want, wmask, head, at)
		}
		if len(c.buf) >= headerLen {
			total := headerLen + int(binary.LittleEndian.Uint32(c.buf[1:5]))
			if total < prefix {
				return mismatch(fmt.Sprintf("received frame is %d bytes long, too short for this RPC error reply", total), want, wmask, head, -1)
			}
			if len(c.buf) >= total {
				c.consume(total)
				return nil
			}
		}
		if err := c.readSome(deadline); err != nil {
			switch err {
			case errTimeout:
				return mismatch(fmt.Sprintf("timeout: the RPC error reply was not complete within %v (%d bytes arrived)", within, len(c.buf)), want, wmask, head, -1)
			case errPeerClosed:
				return mismatch(fmt.Sprintf("%s before the RPC error reply was complete (%d bytes arrived)", c.closedReason(), len(c.buf)), want, wmask, head, -1)
			}
			return err
		}
	}
}

// expectUnordered consumes every item, in any order: it repeatedly takes the
// first unmatched item that matches the front of the buffer, reading more
// while that item cannot be decided yet.
func (c *conn) expectUnordered(items []Item, within time.Duration) error {
	deadline := time.Now().Add(within)
	matched := make([]bool, len(items))
	for left := len(items); left > 0; {
		undecided, took := false, false
		for j, it := range items {
			if matched[j] || firstDiff(it.Expect, it.Mask, c.buf) >= 0 {
				continue
			}
			if len(c.buf) < len(it.Expect) {
				undecided = true
				break
			}
			c.consume(len(it.Expect))
			matched[j], took = true, true
			left--
			break
		}
		switch {
		case took:
			continue
		case !undecided:
			return c.unorderedFailure("no remaining item matches the front of the buffer", items, matched)
		}
		if err := c.readSome(deadline); err != nil {
			switch err {
			case errTimeout:
				return c.unorderedFailure(fmt.Sprintf("timeout: not every item arrived within %v", within), items, matched)
			case errPeerClosed:
				return c.unorderedFailure(c.closedReason()+" before every item arrived", items, matched)
			}
			return err
		}
	}
	return nil
}

// unorderedFailure lists every unmatched item against the buffer's front.
func (c *conn) unorderedFailure(headline string, items []Item, matched []bool) error {
	var b strings.Builder
	b.WriteString(headline)
	for j, it := range items {
		if matched[j] {
			fmt.Fprintf(&b, "\n item %d: matched", j)
			continue
		}
		got := c.buf[:min(len(c.buf), len(it.Expect))]
		label := fmt.Sprintf("item %d", j)
		if it.Note != "" {
			label += " (" + it.Note + ")"
		}
		if at := firstDiff(it.Expect, it.Mask, got); at >= 0 {
			label += ": differs"
			fmt.Fprintf(&b, "\n %v", mismatch(label, it.Expect, it.Mask, got, at))
		} else {
			label += fmt.Sprintf(": incomplete, %d of %d bytes", len(got), len(it.Expect))
			fmt.Fprintf(&b, "\n %v", mismatch(label, it.Expect, it.Mask, got, -1))
		}
	}
	return c.withTrailer(errors.New(b.String()), 0)
}

// expectNothing checks that nothing is buffered and nothing arrives (no
// data, no close) for d; d = 0 checks what is readable now.
func (c *conn) expectNothing(d time.Duration) error {
	if len(c.buf) > 0 {
		return fmt.Errorf("%d unconsumed bytes in the buffer: %x", len(c.buf), c.buf)
	}
	if c.peerGone != nil {
		return errors.New(c.closedReason() + " earlier")
	}
	var err error
	if d == 0 {
		err = c.readNow()
	} else {
		err = c.readSome(time.Now().Add(d))
	}
	switch err {
	case nil:
		return fmt.Errorf("unexpected bytes arrived: %x", c.buf)
	case errTimeout:
		return nil
	case errPeerClosed:
		return errors.New(c.closedReason())
	}
	return err
}

// expectClosed checks that the broker closes the connection within d,
// without sending anything that no expect step consumed.
func (c *conn) expectClosed(d time.Duration) error {
	if len(c.buf) > 0 {
		return fmt.Errorf("%d unconsumed bytes received before the close: %x", len(c.buf), c.buf)
	}
	if c.peerGone != nil {
		return nil
	}
	var err error
	if d == 0 {
		err = c.readNow()
	} else {
		err = c.readSome(time.Now().Add(d))
	}
	switch err {
	case nil:
		return fmt.Errorf("unexpected bytes arrived instead of the close: %x", c.buf)
	case errPeerClosed:
		return nil
	case errTimeout:
		return fmt.Errorf("the connection is still open after %v", d)
	}
	return err
}
