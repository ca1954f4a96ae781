package netloop

// endRing is a FIFO of stream offsets: where each queued frame ends in the
// connection's output stream. A frame is retired once the kernel has taken
// every byte up to its end, so a partial write retires exactly the frames
// it completed.
type endRing struct {
	buf  []uint64 // len is a power of two (or 0)
	head int
	n    int
}

const endRingMin = 8

// push appends the end offset of a newly queued frame.
func (r *endRing) push(end uint64) {
	if r.n == len(r.buf) {
		r.grow()
	}
	r.buf[(r.head+r.n)&(len(r.buf)-1)] = end
	r.n++
}

func (r *endRing) grow() {
	size := max(endRingMin, 2*len(r.buf))
	nb := make([]uint64, size)
	for i := 0; i < r.n; i++ {
		nb[i] = r.buf[(r.head+i)&(len(r.buf)-1)]
	}
	r.buf, r.head = nb, 0
}

// retire drops every frame that ends at or before done.
func (r *endRing) retire(done uint64) {
	for r.n > 0 && r.buf[r.head] <= done {
		r.head = (r.head + 1) & (len(r.buf) - 1)
		r.n--
	}
	if r.n == 0 {
		r.head = 0
		if len(r.buf) > 4096 {
			r.buf = nil // a burst is over: give the memory back
		}
	}
}

// reset forgets every frame.
func (r *endRing) reset() { r.head, r.n = 0, 0 }
