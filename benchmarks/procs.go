package benchmarks

import (
	"runtime"
	"slices"
	"sync"
)

// GOMAXPROCS is process-wide, and runs and stages change it for their
// duration: a run against an external broker sets it to Options.Threads,
// and the epoll stages raise it above the threads they lock (see
// reqresp_linux.go). holdProcs keeps every holder's wish in one place, so
// overlapping runs and stages never restore each other's values: the
// setting is recomputed from the holders left each time one comes or goes,
// and the value found before the first holder comes back after the last.
var procs struct {
	sync.Mutex
	saved   int   // GOMAXPROCS before the first holder
	exact   []int // Threads of the runs in progress, oldest first
	atLeast []int // minimums of the stages in progress
}

// holdProcs asks for GOMAXPROCS = exact (0: no wish) and at least atLeast
// (0: no wish) until release is called. The newest exact wish wins, raised
// to the largest minimum.
func holdProcs(exact, atLeast int) (release func()) {
	procs.Lock()
	defer procs.Unlock()
	if len(procs.exact) == 0 && len(procs.atLeast) == 0 {
		procs.saved = runtime.GOMAXPROCS(0)
	}
	procs.exact = append(procs.exact, exact)
	procs.atLeast = append(procs.atLeast, atLeast)
	applyProcs()
	return func() {
		procs.Lock()
		defer procs.Unlock()
		i := len(procs.exact) - 1 // the newest of equal wishes
		for procs.exact[i] != exact || procs.atLeast[i] != atLeast {
			i--
		}
		procs.exact = slices.Delete(procs.exact, i, i+1)
		procs.atLeast = slices.Delete(procs.atLeast, i, i+1)
		if len(procs.exact) == 0 {
			restoreProcs(procs.saved)
			return
		}
		applyProcs()
	}
}

// applyProcs sets GOMAXPROCS from the holders' wishes (procs locked).
func applyProcs() {
	want := procs.saved
	for _, n := range procs.exact {
		if n > 0 {
			want = n // the newest exact wish
		}
	}
	for _, n := range procs.atLeast {
		want = max(want, n)
	}
	if runtime.GOMAXPROCS(0) != want {
		runtime.GOMAXPROCS(want)
	}
}

// restoreProcs puts GOMAXPROCS back to saved. Setting it explicitly would
// stop the runtime from following the process's CPU limit from then on,
// so when saved is what the runtime's default gives, the default is
// restored instead.
func restoreProcs(saved int) {
	if runtime.GOMAXPROCS(0) == saved {
		return
	}
	runtime.SetDefaultGOMAXPROCS()
	if runtime.GOMAXPROCS(0) != saved {
		runtime.GOMAXPROCS(saved)
	}
}
