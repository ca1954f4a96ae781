package benchmarks

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"time"
)

func TestFnum(t *testing.T) {
	for _, c := range []struct {
		n    int64
		want string
	}{
		{0, "0"}, {7, "7"}, {999, "999"}, {1000, "1_000"}, {12345, "12_345"},
		{125000, "125_000"}, {1000000, "1_000_000"}, {1886988, "1_886_988"},
		{4294967295, "4_294_967_295"}, {-1234, "-1_234"},
	} {
		if got := fnum(c.n); got != c.want {
			t.Errorf("fnum(%d) = %q, want %q", c.n, got, c.want)
		}
	}
}

// TestItersPerSec checks upstream's formula: floor((iters − errors) /
// elapsed seconds), where iters is the -i value.
func TestItersPerSec(t *testing.T) {
	for _, c := range []struct {
		iters, errors int64
		elapsed       time.Duration
		want          int64
	}{
		{1_000_000, 0, 7480339 * time.Microsecond, 133_683}, // 133 683.08…
		{1_000_000, 0, 4139317 * time.Microsecond, 241_585}, // 241 585.9…: floor, not round
		{1_000_000, 1, time.Second, 999_999},
		{10, 0, 3 * time.Second, 3},
		{200, 0, 0, math.MaxUint32}, // Rust's `as u32` saturates (infinity)
		{5, 5, time.Second, 0},
	} {
		if got := itersPerSec(c.iters, c.errors, c.elapsed); got != c.want {
			t.Errorf("itersPerSec(%d, %d, %v) = %d, want %d", c.iters, c.errors, c.elapsed, got, c.want)
		}
	}
}

// goldenStages are results whose table is goldenTable (computed
// independently with prettytable's rules).
func goldenStages() []*StageResult {
	var out []*StageResult
	for _, s := range []struct {
		name string
		us   int64
	}{ // execution order, not sorted
		{StageRPCCall, 7480339}, {StageRPCCallHandle, 12101619}, {StageRPCCall0, 4202423},
		{StageSendNo, 529945}, {StageSendProcessed, 4139317},
		{StageSendRecvNo, 998339}, {StageSendRecvProc, 6030339},
	} {
		out = append(out, newResult(s.name, 1_000_000, 0, time.Duration(s.us)*time.Microsecond))
	}
	return out
}

// goldenTable is upstream's output after the stages, for goldenStages,
// when stdout is not a terminal: trailing spaces included.
var goldenTable = strings.Join([]string{
	"--- Benchmark results ------------------",
	" stage                    iters      secs    msecs      iters/s    ",
	"-------------------------------------------------------------------",
	" rpc.call                 1_000_000  7.480   7480.339   133_683    ",
	" rpc.call+handle          1_000_000  12.102  12101.619  82_633     ",
	" rpc.call0                1_000_000  4.202   4202.423   237_957    ",
	" send+recv.qos.no         1_000_000  0.998   998.339    1_001_663  ",
	" send+recv.qos.processed  1_000_000  6.030   6030.339   165_828    ",
	" send.qos.no              1_000_000  0.530   529.945    1_886_988  ",
	" send.qos.processed       1_000_000  4.139   4139.317   241_585    ",
	"",
}, "\n")

func TestResultTableGolden(t *testing.T) {
	var out bytes.Buffer
	r := &runner{o: DefaultOptions(), out: &out, width: defaultWidth, results: goldenStages()}
	r.printResults(r.report())
	if got := out.String(); got != goldenTable {
		t.Fatalf("table differs from upstream's layout\n got:\n%s\nwant:\n%s\n got %q\nwant %q", got, goldenTable, got, goldenTable)
	}
}

func TestSeparatorWidth(t *testing.T) {
	if got := separator(resultsTitle, 40); len(got) != 40 || !strings.HasPrefix(got, "--- Benchmark results ---") {
		t.Fatalf("separator(40) = %q", got)
	}
	if got := separator(resultsTitle, 100); len(got) != 100 {
		t.Fatalf("separator(100) has %d columns", len(got))
	}
	if got := separator("--- Latency (µs) ", 40); len([]rune(got)) != 40 {
		t.Fatalf("separator counts bytes, not columns: %q", got)
	}
	if got := separator(resultsTitle, 10); got != resultsTitle {
		t.Fatalf("narrow terminal: %q", got)
	}
}

// TestColour checks that a terminal gets ANSI styles that do not change
// the layout (widths count the text only).
func TestColour(t *testing.T) {
	plain := resultTable(goldenStages()[:2]).render(false)
	coloured := resultTable(goldenStages()[:2]).render(true)
	if !strings.Contains(coloured, "\x1b[33m133_683\x1b[0m") {
		t.Fatalf("no colour: %q", coloured)
	}
	stripped := coloured
	for _, seq := range []string{"\x1b[0m", "\x1b[32m", "\x1b[33m", "\x1b[34m", "\x1b[36m"} {
		stripped = strings.ReplaceAll(stripped, seq, "")
	}
	if stripped != plain {
		t.Fatalf("colours change the layout\n got %q\nwant %q", stripped, plain)
	}
}

func TestProgressLine(t *testing.T) {
	p := &progressBar{}
	got := p.line("send.qos.no", 500_000, 1_000_000, time.Second)
	want := "\r\x1b[Ksend.qos.no [###############...............]  50% 500_000/1_000_000 500_000/s"
	if got != want {
		t.Fatalf("progress line\n got %q\nwant %q", got, want)
	}
	if got := p.line("x", 7, 5, 0); !strings.Contains(got, "100% 5/5") {
		t.Fatalf("overshoot not clamped: %q", got)
	}
}

func TestPercentile(t *testing.T) {
	var s []time.Duration
	for i := 1000; i >= 1; i-- {
		s = append(s, time.Duration(i)*time.Microsecond)
	}
	l := latencyOf(s)
	if l.P50 != 500*time.Microsecond || l.P99 != 990*time.Microsecond || l.P999 != 999*time.Microsecond || l.Max != 1000*time.Microsecond {
		t.Fatalf("percentiles: %+v", l)
	}
	if l := latencyOf(nil); *l != (Latency{}) {
		t.Fatalf("empty: %+v", l)
	}
}
