package netloop

import (
	"math/bits"
	"sync"

	"github.com/valyala/bytebufferpool"
)

// Pending output buffers come from two pools: bytebufferpool for the usual
// small batches (it calibrates itself, and drops buffers above its
// calibrated size), and power-of-two size classes for large payloads, so a
// stream of big frames reuses its buffers instead of reallocating them.
// sync.Pool releases idle buffers at GC, so neither pins memory.

// smallMax is the largest buffer kept in the small pool.
const smallMax = 64 << 10

// largeMinClass is the smallest large class (1<<17 = 128 KiB).
const largeMinClass = 17

var (
	smallPool  bytebufferpool.Pool
	largePools [48]sync.Pool // index k holds buffers of capacity exactly 1<<k
)

// getBuf returns an empty buffer that can hold at least n bytes without
// growing when n exceeds smallMax.
func getBuf(n int) *bytebufferpool.ByteBuffer {
	if n <= smallMax {
		return smallPool.Get()
	}
	return getLarge(n)
}

func getLarge(n int) *bytebufferpool.ByteBuffer {
	k := max(bits.Len(uint(n-1)), largeMinClass)
	if v := largePools[k].Get(); v != nil {
		b := v.(*bytebufferpool.ByteBuffer)
		b.B = b.B[:0]
		return b
	}
	return &bytebufferpool.ByteBuffer{B: make([]byte, 0, 1<<k)}
}

// putBuf returns b to the pool it belongs to.
func putBuf(b *bytebufferpool.ByteBuffer) {
	c := cap(b.B)
	if c <= smallMax {
		smallPool.Put(b)
		return
	}
	k := bits.Len(uint(c)) - 1
	if 1<<k == c && k < len(largePools) {
		b.B = b.B[:0]
		largePools[k].Put(b)
	}
}

// reserve makes room for n more bytes in *bp (getting a buffer when nil),
// copying the contents to a large buffer when the small one would outgrow
// smallMax; the caller then owns the old buffer.
func reserve(bp **bytebufferpool.ByteBuffer, n int) {
	b := *bp
	if b == nil {
		*bp = getBuf(n)
		return
	}
	need := len(b.B) + n
	if need <= cap(b.B) {
		return
	}
	if need <= smallMax {
		return // append grows it within the small range
	}
	nb := getLarge(need)
	nb.B = append(nb.B, b.B...)
	*bp = nb // the caller disposes of b
}
