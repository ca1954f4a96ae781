package benchmarks

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/busrt-go/busrt/proto"
	"github.com/busrt-go/busrt/rtclient"
)

// testTimeout bounds every run in these tests.
const testTimeout = 60 * time.Second

// tinyOptions are options for a quick run against an embedded broker.
func tinyOptions(stages string) Options {
	o := DefaultOptions()
	o.Embedded = true
	o.Name = "bench"
	o.Stages = stages
	o.Workers = 2
	o.Iters = 200
	o.LatencyIters = 50
	o.Warmup = 0
	return o
}

func runTiny(t *testing.T, o Options) (*Report, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	var stdout, stderr bytes.Buffer
	rep, err := Run(ctx, o, &stdout, &stderr)
	if err != nil {
		t.Fatalf("Run: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	return rep, stdout.String(), stderr.String()
}

// TestUpstreamStages runs upstream's seven stages against an in-process
// broker and checks upstream's output line by line: the first line, the
// start and completion lines in execution order, the separator and the
// table sorted by name, with iters = the -i value (not workers × per
// worker) in the counts and the iters/s formula.
func TestUpstreamStages(t *testing.T) {
	o := tinyOptions(groupUpstream)
	o.Workers, o.Iters = 3, 10 // 3 per worker: 9 operations, 10 reported
	rep, out, _ := runTiny(t, o)
	lines := strings.Split(out, "\n")
	want := []string{"Starting benchmark, 3 worker(s), 10 iters, 3 iters/worker, 100 byte(s) payload"}
	for _, s := range UpstreamStages {
		want = append(want, "!!! stage started: "+s+" ",
			`\*\*\* stage completed: `+regexp.QuoteMeta(s)+` \(10 iters, \d+\.\d{3} secs\)`)
	}
	want = append(want, "--- Benchmark results ------------------",
		" stage  +iters  secs  +msecs  +iters/s  +", "-+")
	sorted := []string{StageRPCCall, StageRPCCallHandle, StageRPCCall0, StageSendRecvNo, StageSendRecvProc, StageSendNo, StageSendProcessed}
	for _, s := range sorted {
		res := rep.Stage(s)
		if res == nil {
			t.Fatalf("no result for %s", s)
		}
		if res.Iters != 10 || res.Errors != 0 || res.ItersPerSec != itersPerSec(10, 0, res.Elapsed) {
			t.Errorf("%s: %+v", s, res)
		}
		want = append(want, fmt.Sprintf(` %s +10  +%s  +%s  +%s  +`, regexp.QuoteMeta(s),
			fixed3(res.Elapsed.Seconds()), fixed3(res.Elapsed.Seconds()*1000), fnum(res.ItersPerSec)))
	}
	want = append(want, "")
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(want), out)
	}
	for i := range want {
		if i == 0 || strings.HasPrefix(want[i], "!!!") || strings.HasPrefix(want[i], "---") {
			if lines[i] != want[i] {
				t.Errorf("line %d: %q, want %q", i+1, lines[i], want[i])
			}
			continue
		}
		if !regexp.MustCompile(`^` + want[i] + `$`).MatchString(lines[i]) {
			t.Errorf("line %d: %q does not match %q", i+1, lines[i], want[i])
		}
	}
	if len(rep.Stages) != 7 || rep.Ratios != nil || rep.ItersPerWorker != 3 {
		t.Fatalf("report: %+v", rep)
	}
}

// TestAllStages runs every stage, the extra ones included, with tiny
// counts.
func TestAllStages(t *testing.T) {
	rep, out, _ := runTiny(t, tinyOptions(groupAll))
	stages, nRatios := len(UpstreamStages)+len(ExtraStages), 6
	if epollStages {
		nRatios += 2 // send.qos.processed / lean, lean / raw
	} else {
		stages -= 2 // skipped
	}
	if len(rep.Stages) != stages {
		t.Fatalf("%d stages: %v", len(rep.Stages), out)
	}
	for _, s := range rep.Stages {
		want := int64(200) // upstream's -i; fan-out: 200/n publications × n deliveries
		if s.Name == StageLatency || s.Name == StageRawLatency {
			want = 50
			if l := s.Latency; l == nil || l.P50 <= 0 || l.P50 > l.P99 || l.P99 > l.P999 || l.P999 > l.Max {
				t.Errorf("%s: latency %+v", s.Name, l)
			}
		}
		if s.Iters != want || s.ItersPerSec != itersPerSec(want, 0, s.Elapsed) {
			t.Errorf("%s: %+v", s.Name, s)
		}
	}
	if len(rep.Ratios) != nRatios {
		t.Fatalf("ratios: %+v", rep.Ratios)
	}
	parts := []string{"--- Latency (µs) ", " latency.rtt      50 ", "--- Broker / raw socket ", " pubsub.fanout.100        iters/s ",
		" broker / raw socket"}
	if epollStages {
		parts = append(parts, " lean.send.qos.processed  iters/s ", "--- Stage / baseline ",
			" send.qos.processed / lean.send.qos.processed  iters/s ")
	}
	for _, part := range parts {
		if !strings.Contains(out, part) {
			t.Errorf("output lacks %q:\n%s", part, out)
		}
	}
}

// TestJSON checks that --json prints one parsable document on stdout and
// the stage lines on stderr.
func TestJSON(t *testing.T) {
	o := tinyOptions("rpc.call,send.qos.no,latency.rtt,raw.latency.rtt")
	o.JSON = true
	_, out, errOut := runTiny(t, o)
	var doc struct {
		Workers int    `json:"workers"`
		Threads int    `json:"client_threads"`
		Iters   int64  `json:"iters"`
		Network string `json:"network"`
		Broker  *struct {
			QueueSize int `json:"queue_size"`
		} `json:"broker"`
		Stages []struct {
			Name        string  `json:"name"`
			Iters       int64   `json:"iters"`
			Secs        float64 `json:"secs"`
			ItersPerSec int64   `json:"iters_per_sec"`
			Latency     *struct {
				P50 float64 `json:"p50_us"`
			} `json:"latency"`
		} `json:"stages"`
		Ratios []struct {
			Stage    string  `json:"stage"`
			Baseline string  `json:"baseline"`
			Metric   string  `json:"metric"`
			Ratio    float64 `json:"ratio"`
		} `json:"ratios"`
		Machine struct {
			CPUs int `json:"cpus"`
		} `json:"machine"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, out)
	}
	names := []string{}
	for _, s := range doc.Stages {
		names = append(names, s.Name)
		if s.Secs <= 0 || s.ItersPerSec <= 0 {
			t.Errorf("%s: %+v", s.Name, s)
		}
	}
	if got := strings.Join(names, ","); got != "latency.rtt,raw.latency.rtt,rpc.call,send.qos.no" {
		t.Errorf("stages %s", got)
	}
	if doc.Threads != runtime.GOMAXPROCS(0) { // embedded: --threads does not apply
		t.Errorf("client_threads %d, want %d", doc.Threads, runtime.GOMAXPROCS(0))
	}
	if doc.Workers != 2 || doc.Iters != 200 || doc.Network != "unix" || doc.Broker == nil || doc.Broker.QueueSize != DefaultBrokerQueueSize ||
		doc.Stages[0].Latency == nil || doc.Stages[0].Latency.P50 <= 0 || len(doc.Ratios) != 3 || doc.Machine.CPUs < 1 ||
		doc.Ratios[0].Stage != StageLatency || doc.Ratios[0].Baseline != StageRawLatency {
		t.Errorf("document: %+v", doc)
	}
	if !strings.Contains(errOut, "!!! stage started: rpc.call \n") || !strings.HasPrefix(errOut, "Starting benchmark, 2 worker(s)") {
		t.Errorf("stderr: %q", errOut)
	}
}

// TestTCP runs stages over TCP: an embedded broker on 127.0.0.1:0 and the
// raw baselines on loopback.
func TestTCP(t *testing.T) {
	o := tinyOptions("send+recv.qos.processed,rpc.call+handle,pubsub.fanout.10,raw.pubsub.fanout.10,raw.latency.rtt," +
		"raw.send.qos.processed,lean.send.qos.processed")
	o.Addr = "127.0.0.1:0"
	rep, _, _ := runTiny(t, o)
	stages := 7
	if !epollStages {
		stages = 5
	}
	if rep.Network != "tcp" || !strings.HasPrefix(rep.Address, "127.0.0.1:") || rep.Address == "127.0.0.1:0" || len(rep.Stages) != stages {
		t.Fatalf("report: %+v", rep)
	}
}

// TestRequestResponseCeiling runs send.qos.processed with the two stages
// that take the Go client, then the broker, out of it, and checks their
// counts and the two ratios. The lean stage registers phase 2's names
// right after phase 2 closed them, through the BUSY retry.
func TestRequestResponseCeiling(t *testing.T) {
	o := tinyOptions(StageRawSendProc + "," + StageLeanSendProc + "," + StageSendProcessed)
	o.Workers, o.Iters = 3, 3000
	rep, out, _ := runTiny(t, o)
	if !epollStages {
		if len(rep.Stages) != 1 || !strings.Contains(out, "!!! stage skipped: "+StageLeanSendProc+" (needs Linux epoll) \n") {
			t.Fatalf("stages %+v, output:\n%s", rep.Stages, out)
		}
		return
	}
	started := []string{}
	for _, l := range strings.Split(out, "\n") {
		if s, ok := strings.CutPrefix(l, "!!! stage started: "); ok {
			started = append(started, strings.TrimSpace(s))
		}
	}
	if got := strings.Join(started, ","); got != StageSendProcessed+","+StageRawSendProc+","+StageLeanSendProc {
		t.Errorf("execution order %s", got)
	}
	for _, name := range []string{StageRawSendProc, StageLeanSendProc, StageSendProcessed} {
		s := rep.Stage(name)
		if s == nil || s.Iters != 3000 || s.Errors != 0 || s.Elapsed <= 0 || s.ItersPerSec != itersPerSec(3000, 0, s.Elapsed) {
			t.Fatalf("%s: %+v\n%s", name, s, out)
		}
	}
	want := []string{
		StageLeanSendProc + " / " + StageRawSendProc,
		StageSendProcessed + " / " + StageLeanSendProc,
	}
	var got []string
	for _, q := range rep.Ratios {
		got = append(got, q.Stage+" / "+q.Baseline)
		if base := rep.Stage(q.Baseline); q.Metric != "iters/s" || q.Raw != float64(base.ItersPerSec) || q.Ratio != q.Broker/q.Raw {
			t.Errorf("ratio %+v", q)
		}
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("ratios %q, want %q", got, want)
	}
}

// TestRequestResponseLargeFrames runs the two epoll stages with frames far
// larger than a socket buffer: the client's and the echo's writes are
// short and wait for EPOLLOUT, the reads get frames in pieces.
func TestRequestResponseLargeFrames(t *testing.T) {
	if !epollStages {
		t.Skip("needs Linux epoll")
	}
	for _, addr := range []string{"", "127.0.0.1:0"} {
		o := tinyOptions(StageRawSendProc + "," + StageLeanSendProc)
		o.Addr, o.Workers, o.Iters, o.PayloadSize = addr, 2, 10, 3<<20
		rep, _, _ := runTiny(t, o)
		if len(rep.Stages) != 2 || rep.Stages[0].Iters != 10 || rep.Stages[1].Iters != 10 {
			t.Fatalf("%s: %+v", rep.Network, rep.Stages)
		}
	}
}

// TestExternalBroker runs against a broker address, as against busrtd.
func TestExternalBroker(t *testing.T) {
	eb, err := startEmbedded(context.Background(), "", BrokerOptions{}, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	defer eb.stop()
	o := tinyOptions("rpc.call0,send.qos.processed,pubsub.fanout.1")
	o.Embedded, o.Addr, o.Broker = false, eb.addr, BrokerOptions{}
	o.Threads = 1 // the default: the client on one thread, the broker here too
	procs := runtime.GOMAXPROCS(0)
	rep, _, _ := runTiny(t, o)
	if rep.ClientThreads != 1 {
		t.Errorf("report: client threads %d, want 1", rep.ClientThreads)
	}
	if got := runtime.GOMAXPROCS(0); got != procs {
		t.Errorf("GOMAXPROCS after the run = %d, want it restored to %d", got, procs)
	}
	if rep.Embedded || rep.Broker != nil || rep.Address != eb.addr || len(rep.Stages) != 3 {
		t.Fatalf("report: %+v", rep)
	}
}

// TestBusyRetry checks that dial retries a name the broker still holds
// (phase 2 after phase 1) until it is free, and gives up at the deadline.
func TestBusyRetry(t *testing.T) {
	eb, err := startEmbedded(context.Background(), "", BrokerOptions{}, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	defer eb.stop()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	o := DefaultOptions()
	o.Addr = eb.addr
	r := &runner{o: o, addr: eb.addr}
	holder, err := rtclient.Dial(ctx, eb.addr, rtclient.Config{Name: "x-1"})
	if err != nil {
		t.Fatal(err)
	}
	busy := make(chan struct{})
	var once sync.Once
	r.onBusy = func() { once.Do(func() { close(busy) }) }
	type result struct {
		c   *rtclient.SocketClient
		err error
	}
	res := make(chan result, 1)
	go func() {
		c, err := r.dial(ctx, "x-1")
		res <- result{c, err}
	}()
	select { // refused at least once while the holder is registered
	case <-busy:
	case got := <-res:
		t.Fatalf("dial of a held name returned before any BUSY: %v", got.err)
	case <-ctx.Done():
		t.Fatal("no BUSY refusal before the test's deadline")
	}
	_ = holder.Close()
	got := <-res
	if got.err != nil {
		t.Fatalf("dial after the holder left: %v", got.err)
	}
	_ = got.c.Close()

	holder2, err := rtclient.Dial(ctx, eb.addr, rtclient.Config{Name: "x-2"})
	if err != nil {
		t.Fatal(err)
	}
	defer holder2.Close()
	r.onBusy, r.busyWait = nil, 50*time.Millisecond
	if _, err := r.dial(ctx, "x-2"); !errors.Is(err, proto.CodeBusy.Err()) {
		t.Fatalf("dial of a held name: %v, want BUSY after the deadline", err)
	}
}

// TestProgressAndProfile forces the progress bar onto a buffer and writes
// a CPU profile.
func TestProgressAndProfile(t *testing.T) {
	o := tinyOptions("send+recv.qos.no")
	o.Progress = true
	o.CPUProfile = filepath.Join(t.TempDir(), "cpu.pprof")
	_, _, errOut := runTiny(t, o)
	if !strings.Contains(errOut, "\r\x1b[K") {
		t.Errorf("no progress bar drawn: %q", errOut)
	}
	if st, err := os.Stat(o.CPUProfile); err != nil || st.Size() == 0 {
		t.Errorf("cpu profile: %v", err)
	}
}
