package proto

import (
	"encoding/hex"
	"slices"
	"strings"
	"testing"
	"unsafe"
)

// hx decodes a spec hex dump ("eb 01 00"); the result's capacity equals its
// length, so any read past the end would panic instead of passing silently.
func hx(tb testing.TB, s string) []byte {
	tb.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		tb.Fatalf("bad hex %q: %v", s, err)
	}
	return slices.Clip(b)
}

// inside reports whether view lies within in (an empty view always does:
// it reads nothing).
func inside(view, in []byte) bool {
	if len(view) == 0 {
		return true
	}
	lo := uintptr(unsafe.Pointer(unsafe.SliceData(in)))
	p := uintptr(unsafe.Pointer(unsafe.SliceData(view)))
	return p >= lo && p+uintptr(len(view)) <= lo+uintptr(len(in))
}

func mustInside(tb testing.TB, what string, view, in []byte) {
	tb.Helper()
	if !inside(view, in) {
		tb.Fatalf("%s view %x lies outside the input %x", what, view, in)
	}
}

// Sinks keep the compiler from discarding results in the allocation tests
// and benchmarks.
var (
	sinkBytes  []byte
	sinkHeader Header
	sinkBroker BrokerHeader
	sinkData   ClientData
	sinkEvent  RPCEvent
	sinkErr    error
	sinkInt    int
	sinkBool   bool
	sinkCode   int16
)
