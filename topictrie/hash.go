package topictrie

import (
	"hash/maphash"
	"math/bits"
)

// Segment hashes, stored in slots and compared before segment bytes.
//
// A hash's top two bits say what it is:
//   - 1x: a segment of 8 bytes or more: a seeded wyhash-style mix;
//   - 01: a segment of at most 7 bytes: its bytes and length packed into
//     59 bits, then scrambled by a seeded bijection of 62-bit values, so
//     equal hashes mean equal segments and lookups of short segments never
//     read the stored bytes (a cache miss saved per level);
//   - 00: no segment (0 marks a deeper table level).
//
// Both are a few multiplications, inlined where maphash would cost a call
// into the runtime per segment. The seed is random per process, so table
// layouts cannot be predicted from outside. Equal bytes hash equally
// whether held as string or []byte.

const (
	hashM1 = 0xa0761d6478bd642f
	hashM2 = 0xe7037ed1a0b428db
	hashM3 = 0x8ebc6af09c88c6e3

	shortMax  = 7 // longest segment hashed by bijection
	shortTag  = 1 << 62
	longTag   = 1 << 63
	mask62    = 1<<62 - 1
	shortMul1 = 0xbf58476d1ce4e5b9 & mask62 // odd: invertible mod 2^62
	shortMul2 = 0x94d049bb133111eb & mask62
)

var hashSeed = func() uint64 {
	s := maphash.MakeSeed()
	return maphash.String(s, "busrt-go topictrie")
}()

// hashMask narrows the hashes of long segments; tests shrink it to force
// collisions.
var hashMask uint64 = longTag - 1

func hashMix(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}

func load64[T string | []byte](b T, i int) uint64 {
	_ = b[i+7]
	return uint64(b[i]) | uint64(b[i+1])<<8 | uint64(b[i+2])<<16 | uint64(b[i+3])<<24 |
		uint64(b[i+4])<<32 | uint64(b[i+5])<<40 | uint64(b[i+6])<<48 | uint64(b[i+7])<<56
}

func load32[T string | []byte](b T, i int) uint64 {
	_ = b[i+3]
	return uint64(b[i]) | uint64(b[i+1])<<8 | uint64(b[i+2])<<16 | uint64(b[i+3])<<24
}

// segHash returns the hash of a segment as stored in slots: never 0.
func segHash[T string | []byte](b T) uint64 {
	n := len(b)
	if n <= shortMax {
		var x uint64 // bytes in bits 0..55, length in bits 56..58
		switch {
		case n >= 4:
			x = load32(b, 0) | load32(b, n-4)<<(8*(n-4))
		case n > 0:
			x = uint64(b[0]) | uint64(b[n>>1])<<(8*(n>>1)) | uint64(b[n-1])<<(8*(n-1))
		}
		x |= uint64(n) << 56
		// A bijection of 62-bit values: xor with a constant, multiply by
		// an odd number, xor-shift right, all modulo 2^62.
		x ^= hashSeed & mask62
		x = x * shortMul1 & mask62
		x ^= x >> 29
		x = x * shortMul2 & mask62
		x ^= x >> 31
		return x | shortTag
	}
	h := hashSeed ^ hashM1*uint64(n+1)
	var x, y uint64
	if n > 16 {
		i := 0
		for ; n-i > 16; i += 16 {
			h = hashMix(load64(b, i)^hashM2, load64(b, i+8)^h)
		}
		x, y = load64(b, n-16), load64(b, n-8)
	} else {
		x, y = load64(b, 0), load64(b, n-8)
	}
	h = hashMix(x^hashM2, y^h)
	return hashMix(h^hashM3, hashM1^uint64(n))&hashMask | longTag
}

func hashBytes(b []byte) uint64  { return segHash(b) }
func hashString(s string) uint64 { return segHash(s) }

// sameSeg reports whether a slot's segment equals seg, given that their
// hashes are equal: short segments are equal by construction.
func sameSeg(slotSeg string, seg []byte) bool {
	return len(seg) <= shortMax || slotSeg == string(seg)
}
