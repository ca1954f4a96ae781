package main

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/busrt-go/busrt/bus"
	"github.com/busrt-go/busrt/proto"
)

// version is busrtd's version: the broker's, which `.broker` `info`
// reports too.
const version = bus.Version

// defaultBinds are used when no -B is given (DECISIONS.md).
var defaultBinds = []string{"/tmp/busrt.sock", "127.0.0.1:9924"}

// options are the parsed command line.
type options struct {
	binds         []string // socket binds (UNIX and TCP), in order
	fifos         []string // FIFO command channel paths
	defaultBinds  bool     // no -B was given
	pidFile       string
	daemonize     bool
	verbose       bool
	logSyslog     bool
	forceRegister bool
	workers       int
	timeout       time.Duration
	bufSize       int
	bufTTL        time.Duration
	queueSize     int
	showVersion   bool
	showHelp      bool
}

const helpText = `Usage: busrtd [-B <BIND>]... [-P <PIDFILE>] [-D] [--verbose] [--log-syslog]
              [--force-register] [-w <N>] [-t <SECONDS>] [--buf-size <BYTES>]
              [--buf-ttl <MICROSECONDS>] [--queue-size <FRAMES>]

Options:
  -B, --bind <BIND>            a listener, repeatable: a UNIX socket path (ends with
                               .sock, .socket or .ipc, or starts with /), a TCP
                               host:port, or fifo:PATH for a command FIFO
                               (default: /tmp/busrt.sock and 127.0.0.1:9924)
  -P, --pid-file <PIDFILE>     write the broker's PID to this file
  -D                           run in the background (daemon)
      --verbose                log everything to stdout
      --log-syslog             log to syslog even in the foreground
      --force-register         a new client replaces a registered one of the same name
  -w <N>                       event loops, at most CPUs-1 (default 4)
  -t <SECONDS>                 broker timeout (default 5)
      --buf-size <BYTES>       per-client write batch (default 16384)
      --buf-ttl <MICROSECONDS> delay of a scheduled flush (default 10)
      --queue-size <FRAMES>    per-client queue (default 8192)
      --version                print the version and exit
  -h, --help                   print this help and exit
`

// errUsage marks a bad command line (exit status 2).
var errUsage = errors.New("bad usage")

// parseFlags parses args (without the program name) as upstream busrtd
// does; help text goes to out.
func parseFlags(args []string, out io.Writer) (*options, error) {
	o := &options{}
	fs := pflag.NewFlagSet("busrtd", pflag.ContinueOnError)
	fs.SortFlags = false
	fs.SetOutput(io.Discard)
	var binds []string
	var timeout float64
	var bufTTL uint64
	fs.StringArrayVarP(&binds, "bind", "B", nil, "listener: UNIX socket path, TCP host:port or fifo:PATH (repeatable)")
	fs.StringVarP(&o.pidFile, "pid-file", "P", "", "write the PID to this file")
	fs.BoolVar(&o.verbose, "verbose", false, "log everything (debug level) to stdout")
	fs.BoolVarP(&o.daemonize, "daemonize", "D", false, "run in the background")
	fs.BoolVar(&o.logSyslog, "log-syslog", false, "log to syslog even in the foreground")
	fs.BoolVar(&o.forceRegister, "force-register", false, "a new client replaces a registered one of the same name")
	fs.IntVarP(&o.workers, "workers", "w", 4, "number of event loops")
	fs.Float64VarP(&timeout, "timeout", "t", 5, "broker timeout in seconds")
	fs.IntVar(&o.bufSize, "buf-size", 16384, "per-client write batch size in bytes")
	fs.Uint64Var(&bufTTL, "buf-ttl", 10, "delay of a scheduled flush in microseconds")
	fs.IntVar(&o.queueSize, "queue-size", 8192, "per-client queue size in frames")
	fs.BoolVar(&o.showVersion, "version", false, "print the version and exit")
	fs.BoolVarP(&o.showHelp, "help", "h", false, "print this help and exit")
	// upstream has no long forms for -D, -w and -t
	for _, n := range []string{"daemonize", "workers", "timeout"} {
		fs.Lookup(n).Hidden = true
	}
	if err := fs.Parse(args); err != nil {
		return nil, fmt.Errorf("%w: %v", errUsage, err)
	}
	if o.showHelp {
		fmt.Fprint(out, helpText)
		return o, nil
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	switch {
	case math.IsNaN(timeout) || math.IsInf(timeout, 0) || timeout <= 0 || timeout > 1e6:
		return nil, fmt.Errorf("%w: invalid timeout %v: must be a positive number of seconds", errUsage, timeout)
	case o.workers < 1 || o.workers > 1024:
		return nil, fmt.Errorf("%w: invalid -w %d: must be between 1 and 1024", errUsage, o.workers)
	case o.bufSize < 1:
		return nil, fmt.Errorf("%w: invalid --buf-size %d: must be positive", errUsage, o.bufSize)
	case o.queueSize < 1:
		return nil, fmt.Errorf("%w: invalid --queue-size %d: must be positive", errUsage, o.queueSize)
	case bufTTL > uint64(time.Hour/time.Microsecond):
		return nil, fmt.Errorf("%w: invalid --buf-ttl %d: too large", errUsage, bufTTL)
	}
	o.timeout = time.Duration(timeout * float64(time.Second))
	o.bufTTL = time.Duration(bufTTL) * time.Microsecond
	if len(binds) == 0 {
		binds = defaultBinds
		o.defaultBinds = true
	}
	for _, b := range binds {
		switch {
		case strings.HasPrefix(b, "fifo:"):
			p := strings.TrimPrefix(b, "fifo:")
			if p == "" {
				return nil, fmt.Errorf("%w: empty fifo path in -B %q", errUsage, b)
			}
			o.fifos = append(o.fifos, p)
		case strings.HasPrefix(b, "ws://"), strings.HasPrefix(b, "wss://"):
			return nil, fmt.Errorf("%w: -B %s: WebSocket listeners are not supported", errUsage, b)
		case b == "":
			return nil, fmt.Errorf("%w: empty -B value", errUsage)
		default:
			if !proto.IsUnixAddr(b) && !strings.Contains(b, ":") {
				return nil, fmt.Errorf("%w: -B %s: not a socket path (.sock, .socket, .ipc or /...) nor host:port", errUsage, b)
			}
			o.binds = append(o.binds, b)
		}
	}
	if len(o.binds) == 0 {
		return nil, fmt.Errorf("%w: no socket listener (only fifo: binds)", errUsage)
	}
	return o, nil
}
