package netloop

// flush gives the pending output to gnet (on c's loop). gnet writes what
// the kernel takes at once and keeps the rest in its own outbound buffer,
// so the buffer is free again right after. Each connection keeps two small
// buffers while it is busy: producers append to one while the loop writes
// the other, so a busy connection causes no pool traffic at all (the sweep
// returns them once the connection is quiet); a large buffer goes back to
// its pool at once.
func (c *conn) flush() {
	c.mu.Lock()
	c.inInbox = false
	if c.closeReq != closeNone {
		c.mode = c.closeReq
	}
	buf := c.pending
	if buf == nil || len(buf.B) == 0 || c.closed {
		c.mu.Unlock()
		c.refresh()
		return
	}
	c.pending, c.spare = c.spare, nil
	c.mu.Unlock()
	n := len(buf.B)
	_, err := c.gc.Write(buf.B) // on failure gnet closes c: OnClose runs here
	if err != nil || c.closed {
		putBuf(buf)
		return
	}
	c.handed += uint64(n)
	c.wrote = true
	buf.B = buf.B[:0]
	done := c.progress()
	c.mu.Lock() // once: keep the spare and retire what the kernel took
	if c.spare == nil && cap(buf.B) <= smallMax && !c.sinkDone {
		c.spare, buf = buf, nil
	}
	c.retireLocked(done)
	c.mu.Unlock()
	if buf != nil {
		putBuf(buf)
	}
}

// releaseIdle returns the buffers of a connection that wrote nothing
// since the previous sweep (loop).
func (c *conn) releaseIdle() {
	if c.wrote {
		c.wrote = false
		return
	}
	c.mu.Lock()
	c.releaseBuffersLocked(false)
	c.mu.Unlock()
}

// releaseBuffersLocked returns the spare buffer, and the pending one when
// it is empty or all is true, to their pools (c.mu held).
func (c *conn) releaseBuffersLocked(all bool) {
	if c.spare != nil {
		putBuf(c.spare)
		c.spare = nil
	}
	if b := c.pending; b != nil && (all || len(b.B) == 0) {
		putBuf(b)
		c.pending = nil
	}
}

// reserveLocked makes room for n more bytes of pending output (c.mu held):
// the spare buffer first, then the pools; output that outgrows the small
// range moves to a large buffer.
func (c *conn) reserveLocked(n int) {
	if c.pending == nil && c.spare != nil && n <= smallMax {
		c.pending, c.spare = c.spare, nil
	}
	old := c.pending
	reserve(&c.pending, n)
	if old != nil && c.pending != old && c.spare == nil {
		// moved to a large buffer: keep the small one as the spare
		old.B = old.B[:0]
		c.spare = old
	} else if old != nil && c.pending != old {
		putBuf(old)
	}
}

// refresh retires the frames the kernel has taken completely (on c's
// loop) and notes write progress for the stall timeout.
func (c *conn) refresh() {
	if c.closed {
		return
	}
	done := c.progress()
	c.mu.Lock()
	c.retireLocked(done)
	c.mu.Unlock()
}

// progress returns the output bytes the kernel has taken and notes write
// progress for the stall timeout (on c's loop).
func (c *conn) progress() (done uint64) {
	ob := uint64(c.gc.OutboundBuffered())
	done = c.handed - ob
	if done != c.kernelDone || ob == 0 {
		c.kernelDone = done
		c.progressAt = c.lp.now
	}
	return done
}

// retireLocked drops the queue entries of frames the kernel has taken
// completely (c.mu held).
func (c *conn) retireLocked(done uint64) {
	c.ends.retire(done)
	c.queued.Store(int32(max(c.ends.n-1, 0)))
}

// applyClose carries out a Disconnect request (on c's loop, after flush).
func (c *conn) applyClose() {
	switch c.mode {
	case closeNow:
		c.closeConn()
	case closeFlush:
		if c.closed {
			return
		}
		if c.gc.OutboundBuffered() == 0 {
			c.closeConn()
		} else if c.lingerUntil == 0 {
			c.lingerUntil = c.lp.now + int64(c.srv.timeout)
		}
	}
}
