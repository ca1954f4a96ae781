package benchmarks

import (
	"runtime"
	"testing"
)

// TestHoldProcs: overlapping holders never restore each other's values.
// The newest exact wish wins, raised to the largest minimum, and the value
// found before the first holder returns after the last, whatever the order
// of release (the interleaving that a save-and-restore pair gets wrong).
func TestHoldProcs(t *testing.T) {
	before := runtime.GOMAXPROCS(0)
	want := func(step string, n int) {
		t.Helper()
		if got := runtime.GOMAXPROCS(0); got != n {
			t.Fatalf("%s: GOMAXPROCS %d, want %d", step, got, n)
		}
	}
	runA := holdProcs(1, 0)
	want("run A", 1)
	runB := holdProcs(1, 0)
	want("runs A and B", 1)
	stage := holdProcs(0, 3)
	want("a stage needing 3", 3)
	runA()
	want("A done", 3)
	stage()
	want("stage done", 1)
	runB()
	want("B done", before)

	// a run with a larger exact wish than an older one, released first
	a := holdProcs(before+2, 0)
	b := holdProcs(before+1, 0)
	want("newest exact wish", before+1)
	b()
	want("older wish again", before+2)
	a()
	want("all done", before)
}
