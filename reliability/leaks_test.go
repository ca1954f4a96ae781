package reliability

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/busrt-go/busrt/bus"
	"github.com/busrt-go/busrt/topictrie"
)

// brokerIndexes returns the broker's subscription and broadcast-name
// indexes. bus exports no subscription count, so the leak checks read the
// unexported fields by reflection; a rename fails here, loudly.
func brokerIndexes(t testing.TB, b *bus.Broker) (*topictrie.Subs, *topictrie.Names) {
	t.Helper()
	v := reflect.ValueOf(b).Elem()
	sf, nf := v.FieldByName("subs"), v.FieldByName("bcast")
	if !sf.IsValid() || sf.Type() != reflect.TypeFor[*topictrie.Subs]() ||
		!nf.IsValid() || nf.Type() != reflect.TypeFor[*topictrie.Names]() {
		t.Fatal("bus.Broker no longer has fields subs *topictrie.Subs and bcast *topictrie.Names: update reliability/leaks_test.go")
	}
	subs := *(**topictrie.Subs)(unsafe.Pointer(sf.UnsafeAddr()))
	names := *(**topictrie.Names)(unsafe.Pointer(nf.UnsafeAddr()))
	return subs, names
}

// snapshot is what must return to its baseline once every client left.
type snapshot struct {
	goroutines int
	clients    int // bus.Broker.ClientCount: registry entries
	subs       int // (pattern, client) subscriptions
	names      int // broadcast-name index entries
	conns      int // open connections (netloop)
	heapInuse  uint64
}

func (s snapshot) String() string {
	return fmt.Sprintf("goroutines=%d clients=%d subscriptions=%d names=%d conns=%d heap_inuse=%.1fMiB",
		s.goroutines, s.clients, s.subs, s.names, s.conns, float64(s.heapInuse)/(1<<20))
}

// take reads the gauges (without a GC; see baseline).
func (s *server) take(t testing.TB) snapshot {
	subs, names := brokerIndexes(t, s.broker)
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return snapshot{
		goroutines: goroutines(),
		clients:    s.broker.ClientCount(),
		subs:       subs.Len(),
		names:      names.Len(),
		conns:      s.srv.Conns(),
		heapInuse:  ms.HeapInuse,
	}
}

// baseline waits until the goroutines of earlier tests' servers have
// ended (none is left in netloop's Shutdown, whose gnet Engine.Stop polls
// every 500 ms, and the count is steady for 50 ms), collects garbage
// (twice: sync.Pool keeps a victim cache for one cycle) and takes a
// snapshot.
func (s *server) baseline(t testing.TB) snapshot {
	last, since := -1, time.Now()
	_ = pollUntil(waitTimeout, func() bool {
		n, stopping := goroutineCount("netloop.(*Server).Shutdown")
		if n != last || stopping > 0 {
			last, since = n, time.Now()
		}
		return time.Since(since) >= 50*time.Millisecond
	})
	runtime.GC()
	runtime.GC()
	return s.take(t)
}

// expectBaseline waits (polling gauges, within waitTimeout) until the
// registry, the indexes and the connection count are back to base and no
// goroutine is left over, then checks that the live heap is within
// heapSlack of base: pooled buffers, queues and client state were
// released. On failure it dumps the goroutines.
func (s *server) expectBaseline(t testing.TB, base snapshot, heapSlack uint64) snapshot {
	t.Helper()
	var cur snapshot
	err := pollUntil(waitTimeout, func() bool {
		cur = s.take(t)
		return cur.clients == base.clients && cur.subs == base.subs && cur.names == base.names &&
			cur.conns == base.conns && cur.goroutines <= base.goroutines
	})
	if err != nil {
		var buf bytes.Buffer
		_ = pprof.Lookup("goroutine").WriteTo(&buf, 1)
		t.Fatalf("not back to the baseline after %v:\n  base %v\n  now  %v\n%s", waitTimeout, base, cur, buf.String())
	}
	var heap uint64
	err = pollUntil(waitTimeout, func() bool {
		runtime.GC()
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		heap = ms.HeapInuse
		return heap <= base.heapInuse+heapSlack
	})
	cur.heapInuse = heap
	if err != nil {
		p := filepath.Join(os.TempDir(), fmt.Sprintf("busrt-heap-%s-%d.prof", strings.ReplaceAll(t.Name(), "/", "_"), os.Getpid()))
		if f, err := os.Create(p); err == nil {
			_ = pprof.WriteHeapProfile(f)
			_ = f.Close()
		}
		t.Fatalf("live heap %.1f MiB, baseline %.1f MiB + %.1f MiB slack (heap profile: %s)", float64(heap)/(1<<20),
			float64(base.heapInuse)/(1<<20), float64(heapSlack)/(1<<20), p)
	}
	return cur
}

// goroutines counts the goroutines, leaving out idle workers of gnet's
// goroutine pool (ants): the pool is bounded and retires an idle worker
// after its expiry time (10 s), so one may outlive the connection that
// last used it without being a leak.
func goroutines() int {
	n, _ := goroutineCount("")
	return n
}

// goroutineCount returns goroutines() and how many of them have marker in
// their stack.
func goroutineCount(marker string) (n, marked int) {
	buf := make([]byte, 1<<20)
	for {
		k := runtime.Stack(buf, true)
		if k < len(buf) {
			buf = buf[:k]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	for _, g := range bytes.Split(buf, []byte("\n\n")) {
		if len(bytes.TrimSpace(g)) == 0 || bytes.Contains(g, []byte("panjf2000/ants/v2.(*goWorker).run")) {
			continue
		}
		n++
		if marker != "" && bytes.Contains(g, []byte(marker)) {
			marked++
		}
	}
	return n, marked
}

// procStatus returns a field of /proc/self/status in bytes (VmRSS, VmHWM).
func procStatus(field string) uint64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := sc.Text()
		if !strings.HasPrefix(l, field+":") {
			continue
		}
		fs := strings.Fields(l[len(field)+1:])
		if len(fs) == 0 {
			return 0
		}
		kb, _ := strconv.ParseUint(fs[0], 10, 64)
		return kb << 10
	}
	return 0
}

// rss is the process's resident set size now.
func rss() uint64 { return procStatus("VmRSS") }

// resetPeakRSS resets VmHWM (Linux ≥ 4.0); it reports false when the
// kernel refused, in which case peakRSS is the peak since the process
// started.
func resetPeakRSS() bool {
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
}

// peakRSS is the resident set's high-water mark.
func peakRSS() uint64 { return procStatus("VmHWM") }

func mib(b uint64) string { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }
