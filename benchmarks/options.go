package benchmarks

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/pflag"
)

// Options configures a benchmark run. Start from DefaultOptions: the zero
// value of most fields is not a usable setting.
type Options struct {
	// Addr is the broker address (UNIX socket path or TCP host:port, as
	// rtclient.Network classifies it). With Embedded it is where the
	// in-process broker listens; "" there means a temporary UNIX socket.
	Addr string
	// Name is the client name prefix: worker k registers Name-k (the
	// busrt CLI passes its -n value or cli.<host>.<pid>); "" =
	// cli.<host>.<pid>.
	Name string

	Workers     int   // -w: client connections of each stage (upstream: default 1)
	PayloadSize int   // --payload-size in bytes (default 100)
	Iters       int64 // -i: total iterations per stage, across workers (default 1 000 000)

	// Stages selects what runs: "upstream" (the default: upstream's seven
	// stages, and exactly upstream's output), "extra", "all", or a
	// comma-separated list of groups and stage names.
	Stages string
	// LatencyIters is the number of round trips of the latency stages;
	// 0 = min(Iters, 100 000).
	LatencyIters int64
	// FanoutWindow bounds how many publications the fan-out publisher may
	// be ahead of its slowest subscriber, so that no subscriber's broker
	// queue overflows; 0 = 4096.
	FanoutWindow int
	// Warmup is the busy spin between connecting the RPC clients and the
	// first RPC stage (upstream: 5 s).
	Warmup time.Duration

	JSON     bool // print one JSON document instead of upstream's text
	Progress bool // draw the progress bar even when stderr is not a terminal
	NoColor  bool // never colour the output (NO_COLOR in the environment does the same)

	// Client settings (the busrt CLI's global options).
	Timeout   time.Duration // connect, write and reply timeout (default 5 s)
	BufSize   int           // client buffer size (default 8192)
	QueueSize int           // client incoming queue (default 8192)

	// Threads is the client's GOMAXPROCS while the stages run against an
	// external broker (default 1: every worker on one thread, as upstream's
	// CLI runs its tasks on one tokio thread; the broker gets the other
	// CPUs). 0 leaves GOMAXPROCS alone; ignored with Embedded, where the
	// broker shares the process. It is process-wide: Run restores it when
	// it returns, so concurrent runs must agree on it.
	Threads int

	// Embedded starts the broker in this process (bus + netloop) on Addr,
	// or on a temporary UNIX socket, with Broker's settings.
	Embedded bool
	Broker   BrokerOptions
	// CPUProfile, when set, receives a CPU profile of the stages. In
	// embedded mode it covers the broker and the clients, told apart by
	// the pprof label side=broker|client (go tool pprof -tagfocus
	// side=broker); otherwise it covers the client side only.
	CPUProfile string
}

// BrokerOptions are the settings of the embedded broker (busrtd's options
// of the same meaning).
type BrokerOptions struct {
	Workers   int           // event loops (busrtd -w; default 4)
	Timeout   time.Duration // broker timeout T (busrtd -t; default 5 s)
	BufSize   int           // write batch size (busrtd --buf-size; default 16384)
	BufTTL    time.Duration // scheduled flush delay (busrtd --buf-ttl; default 10 µs)
	QueueSize int           // per-client queue (busrtd --queue-size; default 262 144, as the reference measurements)
}

// Defaults.
const (
	DefaultWorkers           = 1
	DefaultThreads           = 1
	DefaultPayloadSize       = 100
	DefaultIters             = 1_000_000
	DefaultWarmup            = 5 * time.Second
	DefaultTimeout           = 5 * time.Second
	DefaultBufSize           = 8192
	DefaultQueueSize         = 8192
	DefaultFanoutWindow      = 4096
	DefaultLatencyIters      = 100_000
	DefaultBrokerWorkers     = 4
	DefaultBrokerTimeout     = 5 * time.Second
	DefaultBrokerBufSize     = 16384
	DefaultBrokerBufTTL      = 10 * time.Microsecond
	DefaultBrokerQueueSize   = 262_144
	phase2RegisterRetryFloor = 5 * time.Second
)

// DefaultOptions returns upstream's defaults (-w 1, --payload-size 100,
// -i 1000000, a 5 s warm-up, upstream's seven stages) and busrtd's broker
// defaults for embedded mode, except a 262 144-frame queue.
func DefaultOptions() Options {
	return Options{
		Workers:     DefaultWorkers,
		PayloadSize: DefaultPayloadSize,
		Iters:       DefaultIters,
		Stages:      defaultStageSelection,
		Warmup:      DefaultWarmup,
		Timeout:     DefaultTimeout,
		BufSize:     DefaultBufSize,
		QueueSize:   DefaultQueueSize,
		Threads:     DefaultThreads,
		Broker: BrokerOptions{
			Workers:   DefaultBrokerWorkers,
			Timeout:   DefaultBrokerTimeout,
			BufSize:   DefaultBrokerBufSize,
			BufTTL:    DefaultBrokerBufTTL,
			QueueSize: DefaultBrokerQueueSize,
		},
	}
}

// AddFlags defines the benchmark's own flags on fs, bound to o (set o to
// DefaultOptions first: the current values are the flags' defaults).
// Upstream's are -w/--workers, --payload-size and -i/--iters; the rest are
// busrt-go's. The client's name, timeout, buffer and queue sizes are the
// busrt CLI's global options and are not defined here.
func (o *Options) AddFlags(fs *pflag.FlagSet) {
	fs.IntVarP(&o.Workers, "workers", "w", o.Workers, "client connections (workers) per stage")
	fs.IntVar(&o.PayloadSize, "payload-size", o.PayloadSize, "payload size in bytes")
	fs.Int64VarP(&o.Iters, "iters", "i", o.Iters, "iterations per stage, in total across workers")
	fs.StringVar(&o.Stages, "stages", o.Stages, "stages to run: upstream, extra, all, or a comma-separated list of stage names")
	fs.Int64Var(&o.LatencyIters, "latency-iters", o.LatencyIters, "round trips of the latency stages (0 = min(iters, 100000))")
	fs.IntVar(&o.FanoutWindow, "fanout-window", o.FanoutWindow, "publications the fan-out publisher may be ahead of its slowest subscriber (0 = 4096)")
	fs.DurationVar(&o.Warmup, "warmup", o.Warmup, "busy spin before the first RPC stage (upstream: 5s)")
	fs.BoolVar(&o.JSON, "json", o.JSON, "print the results as one JSON document (progress lines go to stderr)")
	fs.BoolVar(&o.Progress, "progress", o.Progress, "draw a progress bar on stderr even when it is not a terminal")
	fs.BoolVar(&o.NoColor, "no-color", o.NoColor, "never colour the output")
	fs.IntVar(&o.Threads, "threads", o.Threads, "client GOMAXPROCS against an external broker (upstream's CLI: 1 thread; 0 = all CPUs)")
	fs.BoolVar(&o.Embedded, "embedded", o.Embedded, "run the broker in this process, listening on SOCKET (or a temporary UNIX socket)")
	fs.IntVar(&o.Broker.Workers, "broker-workers", o.Broker.Workers, "embedded broker: event loops (busrtd -w)")
	fs.DurationVar(&o.Broker.Timeout, "broker-timeout", o.Broker.Timeout, "embedded broker: timeout (busrtd -t)")
	fs.IntVar(&o.Broker.BufSize, "broker-buf-size", o.Broker.BufSize, "embedded broker: write batch size in bytes (busrtd --buf-size)")
	fs.DurationVar(&o.Broker.BufTTL, "broker-buf-ttl", o.Broker.BufTTL, "embedded broker: scheduled flush delay (busrtd --buf-ttl)")
	fs.IntVar(&o.Broker.QueueSize, "broker-queue-size", o.Broker.QueueSize, "embedded broker: per-client queue in frames (busrtd --queue-size)")
	fs.StringVar(&o.CPUProfile, "cpuprofile", o.CPUProfile, "write a CPU profile of the stages to this file (embedded: broker and clients, label side=broker|client)")
}

// ErrOptions is wrapped by every error about invalid Options.
var ErrOptions = errors.New("benchmarks: invalid options")

// validate checks o and fills the derived defaults.
func (o *Options) validate() (stageSet, error) {
	bad := func(format string, args ...any) (stageSet, error) {
		return nil, fmt.Errorf("%w: "+format, append([]any{ErrOptions}, args...)...)
	}
	switch {
	case o.Workers < 1:
		return bad("--workers %d: must be at least 1", o.Workers)
	case o.Iters < 1:
		return bad("--iters %d: must be at least 1", o.Iters)
	case o.PayloadSize < 0:
		return bad("--payload-size %d: must not be negative", o.PayloadSize)
	case o.LatencyIters < 0:
		return bad("--latency-iters %d: must not be negative", o.LatencyIters)
	case o.FanoutWindow < 0:
		return bad("--fanout-window %d: must not be negative", o.FanoutWindow)
	case o.Threads < 0:
		return bad("--threads %d: must not be negative", o.Threads)
	case o.Addr == "" && !o.Embedded:
		return bad("no broker address (give SOCKET, or --embedded)")
	case !o.Embedded && o.Broker != (DefaultOptions().Broker) && o.Broker != (BrokerOptions{}):
		return bad("--broker-* options need --embedded")
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.BufSize <= 0 {
		o.BufSize = DefaultBufSize
	}
	if o.QueueSize <= 0 {
		o.QueueSize = DefaultQueueSize
	}
	if o.FanoutWindow == 0 {
		o.FanoutWindow = DefaultFanoutWindow
	}
	if o.LatencyIters == 0 {
		o.LatencyIters = min(o.Iters, DefaultLatencyIters)
	}
	if o.Warmup < 0 {
		o.Warmup = 0
	}
	if o.Name == "" {
		host, err := os.Hostname()
		if err != nil {
			host = "localhost"
		}
		o.Name = fmt.Sprintf("cli.%s.%d", host, os.Getpid())
	}
	set, err := parseStages(o.Stages)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrOptions, err)
	}
	return set, nil
}
