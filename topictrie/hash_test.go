package topictrie

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

func TestSegHash(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	seen := map[uint64]string{}
	for n := range 40 {
		for range 2000 {
			b := make([]byte, n)
			for i := range b {
				b[i] = byte(r.IntN(4)) // few distinct bytes: many near-equal segments
			}
			h := hashBytes(b)
			if h != hashString(string(b)) {
				t.Fatalf("hashBytes(%q) != hashString", b)
			}
			if h == 0 || (n <= shortMax) != (h>>62 == 1) || (n > shortMax) != (h>>63 == 1) {
				t.Fatalf("hash %x of a %d-byte segment has the wrong tag", h, n)
			}
			if prev, ok := seen[h]; ok && prev != string(b) {
				if n <= shortMax {
					t.Fatalf("short segments %q and %q share hash %x", prev, b, h)
				}
				t.Logf("64-bit collision of %q and %q", prev, b)
			}
			seen[h] = string(b)
		}
	}
	// Every short segment of bytes 0..3 up to 7 long is distinct by hash.
	all := map[uint64]bool{}
	var gen func(prefix []byte)
	gen = func(prefix []byte) {
		h := hashBytes(prefix)
		if all[h] {
			t.Fatalf("short collision at %q", prefix)
		}
		all[h] = true
		if len(prefix) < shortMax {
			for c := range byte(4) {
				gen(append(prefix, c))
			}
		}
	}
	gen(nil)
	// Position bits are spread: 32 first-level positions for 3200 tokens.
	var counts [32]int
	for i := range 3200 {
		counts[hashString(fmt.Sprintf("t%d", i))&levelMask]++
	}
	for pos, c := range counts {
		if c < 50 || c > 150 {
			t.Fatalf("position %d holds %d of 3200 tokens", pos, c)
		}
	}
}
