package benchmarks

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"time"
)

// Run runs the selected stages against o.Addr (or an embedded broker) and
// prints upstream's text to stdout (or, with o.JSON, one JSON document to
// stdout and the progress lines to stderr). The progress bar goes to
// stderr while a stage runs, when stderr is a terminal or o.Progress is
// set. The returned report holds the results whatever the output mode.
// Run fails on the first error of any stage (upstream panics); ctx
// cancels the run. Safe from any goroutine; runs share nothing but
// GOMAXPROCS, which the newest run against an external broker sets to its
// o.Threads until it returns (see holdProcs).
func Run(ctx context.Context, o Options, stdout, stderr io.Writer) (*Report, error) {
	sel, err := o.validate()
	if err != nil {
		return nil, err
	}
	if o.Threads > 0 && !o.Embedded {
		defer holdProcs(o.Threads, 0)()
	}
	var rep *Report
	pprof.Do(ctx, pprof.Labels("side", "client"), func(ctx context.Context) {
		rep, err = run(ctx, o, sel, stdout, stderr)
	})
	return rep, err
}

func run(ctx context.Context, o Options, sel stageSet, stdout, stderr io.Writer) (*Report, error) {
	r := &runner{o: o, sel: sel, addr: o.Addr, payload: payload(o.PayloadSize)}
	r.out = stdout
	if o.JSON {
		r.out = stderr
	}
	r.colour = !o.NoColor && os.Getenv("NO_COLOR") == "" && isTerminal(r.out)
	r.width = terminalWidth(r.out)
	if o.Progress || isTerminal(stderr) {
		r.bar = &progressBar{w: stderr, colour: r.colour}
	}
	if o.CPUProfile != "" {
		f, err := os.Create(o.CPUProfile)
		if err != nil {
			return nil, fmt.Errorf("benchmarks: cpu profile: %w", err)
		}
		r.profile = f
		defer r.stopProfile()
	}
	if o.Embedded {
		eb, err := startEmbedded(ctx, o.Addr, o.Broker, stderr)
		if err != nil {
			return nil, err
		}
		defer eb.stop()
		r.addr = eb.addr
	}
	network, err := networkOf(r.addr)
	if err != nil {
		return nil, err
	}
	r.network = network
	r.started = time.Now()
	r.clientThreads = runtime.GOMAXPROCS(0)
	r.printf("Starting benchmark, %s worker(s), %s iters, %s iters/worker, %s byte(s) payload\n",
		paint(r.colour, styleBoldBl, fmt.Sprint(o.Workers)),
		paint(r.colour, styleYellow, fnum(o.Iters)),
		paint(r.colour, styleBold, fnum(o.Iters/int64(o.Workers))),
		paint(r.colour, styleCyan, fnum(int64(o.PayloadSize))))
	for _, phase := range []func(context.Context) error{r.rpcPhase, r.sendPhase, r.extraPhase} {
		if err := phase(ctx); err != nil {
			return nil, err
		}
	}
	r.stopProfile()
	rep := r.report()
	if o.JSON {
		return rep, writeJSON(stdout, rep)
	}
	r.printResults(rep)
	return rep, nil
}

// runner is one benchmark run.
type runner struct {
	o       Options
	sel     stageSet
	addr    string // the broker address actually used
	network string // "unix" or "tcp"
	payload []byte
	out     io.Writer // upstream's text lines
	colour  bool
	width   int
	bar     *progressBar // nil: no progress bar
	profile *os.File     // CPU profile being written, or to start
	profOn  bool
	started time.Time
	// GOMAXPROCS when the run started (the epoll stages raise it for
	// themselves only)
	clientThreads int
	results       []*StageResult

	// tests only
	onBusy   func()        // called when dial is refused with BUSY
	busyWait time.Duration // overrides registerDeadline
}

// payload returns upstream's benchmark payload: n bytes of 0xEE.
func payload(n int) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = 0xEE
	}
	return p
}

func (r *runner) printf(format string, args ...any) { fmt.Fprintf(r.out, format, args...) }

// startProfile starts the CPU profile before the first stage, so that it
// covers the stages and not the set-up or the warm-up.
func (r *runner) startProfile() error {
	if r.profile == nil || r.profOn {
		return nil
	}
	if err := pprof.StartCPUProfile(r.profile); err != nil {
		return fmt.Errorf("benchmarks: cpu profile: %w", err)
	}
	r.profOn = true
	return nil
}

func (r *runner) stopProfile() {
	if r.profOn {
		pprof.StopCPUProfile()
		r.profOn = false
	}
	if r.profile != nil {
		_ = r.profile.Close()
		r.profile = nil
	}
}

// counter counts a task's completed iterations for the progress bar; one
// cache line each, so that workers never share one.
type counter struct {
	n atomic.Int64
	_ [56]byte
}

// task is one goroutine of a stage. It adds each completed iteration to
// done.
type task func(ctx context.Context, done *counter) error

// stage is what runStage measures.
type stage struct {
	name  string
	iters int64  // reported iterations (upstream: the -i value)
	tasks []task // run concurrently; the stage ends when all have returned
	want  int64  // progress total: iterations all tasks will count
	// progress returns the iterations done so far; nil = the sum of the
	// tasks' counters.
	progress func() int64
}

// runStage runs s: it prints upstream's start line, starts the clock,
// runs the tasks, stops the clock when the last one returned, prints the
// completion line and records the result. The first task error cancels
// the others and fails the stage.
func (r *runner) runStage(ctx context.Context, s stage) (*StageResult, error) {
	if err := r.startProfile(); err != nil {
		return nil, err
	}
	r.printf("%s\n", paint(r.colour, styleBlack, "!!! stage started: "+s.name+" "))
	counters := make([]counter, len(s.tasks))
	progress := s.progress
	if progress == nil {
		progress = func() int64 {
			var n int64
			for i := range counters {
				n += counters[i].n.Load()
			}
			return n
		}
	}
	stopBar := r.bar.start(s.name, s.want, progress)
	start := time.Now()
	err := runTasks(ctx, s.tasks, counters)
	elapsed := time.Since(start)
	stopBar()
	if err != nil {
		return nil, fmt.Errorf("benchmarks: stage %s: %w", s.name, err)
	}
	if n := progress(); n != s.want {
		return nil, fmt.Errorf("benchmarks: stage %s: %d iterations counted, %d expected", s.name, n, s.want)
	}
	res := newResult(s.name, s.iters, 0, elapsed)
	r.printf("%s\n", paint(r.colour, styleBlack,
		fmt.Sprintf("*** stage completed: %s (%s iters, %s secs)", s.name, fnum(s.iters), fixed3(elapsed.Seconds()))))
	r.results = append(r.results, res)
	return res, nil
}

// runTasks runs every task on its own goroutine and returns the first
// error, after cancelling the others and waiting for all of them.
func runTasks(ctx context.Context, tasks []task, counters []counter) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	for i, t := range tasks {
		wg.Go(func() {
			if err := t(ctx, &counters[i]); err != nil {
				once.Do(func() { first = err; cancel() })
			}
		})
	}
	wg.Wait()
	return first
}

// spin busy-waits for d, as upstream's warm-up does, checking ctx now and
// then.
func spin(ctx context.Context, d time.Duration) error {
	end := time.Now().Add(d)
	var x uint64
	for {
		for range 4096 {
			x = x*6364136223846793005 + 1
		}
		spinSink.Store(x)
		if err := ctx.Err(); err != nil {
			return err
		}
		if !time.Now().Before(end) {
			return nil
		}
	}
}

// spinSink keeps the warm-up loop from being optimized away.
var spinSink atomic.Uint64
