package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/busrt-go/busrt/bus"
	"github.com/busrt-go/busrt/proto"
	"github.com/busrt-go/busrt/rtclient"
)

// Exit codes.
const (
	exitOK    = 0
	exitError = 1 // the operation failed (broker unreachable, error reply...)
	exitUsage = 2 // bad command line
)

// stdio is where a run reads and writes.
type stdio struct {
	in         io.Reader
	out, err   io.Writer
	inTerminal bool // in is an interactive terminal
}

// cli holds the global options of one run.
type cli struct {
	stdio
	socket    string
	name      string
	bufSize   int
	queueSize int
	timeout   time.Duration
	verbose   bool
	silent    bool
}

// usageError is a command-line mistake: reported with a hint, exit code 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

const globalUsage = `Usage: busrt [OPTIONS] <SOCKET> <COMMAND> ...

The BUS/RT command-line client. SOCKET is the broker's address: a UNIX
socket path (ending with .sock, .socket or .ipc, or starting with /) or a
TCP host:port.

Commands:
  listen       print the frames the client receives
  send         send a message (a broadcast when TARGET has * or ?)
  publish      publish to a topic
  broadcast    send a broadcast to the clients matching a mask
  rpc          RPC: listen, notify, call0, call
  broker       the broker's API: client.list, info, stats, test
  benchmark    benchmark the broker (upstream's stages, and more)

Options (before SOCKET):
`

// run executes one command line and returns the process exit code.
func run(ctx context.Context, args []string, io stdio) int {
	c := &cli{stdio: io}
	err := c.main(ctx, args)
	if err == nil || errors.Is(err, pflag.ErrHelp) {
		return exitOK
	}
	var ue *usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(c.err, "busrt: %s (see busrt --help)\n", ue.msg)
		return exitUsage
	}
	var ce *exitCodeError
	if errors.As(err, &ce) {
		if ce.msg != "" {
			fmt.Fprintln(c.err, ce.msg)
		}
		return ce.code
	}
	fmt.Fprintf(c.err, "busrt: %v\n", err)
	return exitError
}

// exitCodeError ends the run with a message printed as it is.
type exitCodeError struct {
	code int
	msg  string
}

func (e *exitCodeError) Error() string { return e.msg }

func (c *cli) main(ctx context.Context, args []string) error {
	fs := pflag.NewFlagSet("busrt", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.SetInterspersed(false) // global options end at SOCKET
	fs.SortFlags = false
	fs.StringVarP(&c.name, "name", "n", "", "client `NAME` (default cli.<hostname>.<pid>)")
	fs.IntVar(&c.bufSize, "buf-size", rtclient.DefaultBufSize, "client buffer size in `BYTES`")
	fs.IntVar(&c.queueSize, "queue-size", rtclient.DefaultQueueSize, "client incoming queue size in `FRAMES`")
	timeout := fs.Float64("timeout", 5, "client timeout in `SECONDS`; also bounds each operation")
	fs.String("token", "", "bearer `TOKEN` for WebSocket connections (WebSocket is not supported: unused)")
	fs.BoolVarP(&c.verbose, "verbose", "v", false, "verbose logging")
	fs.BoolVarP(&c.silent, "silent", "s", false, "no logging; compact/raw payload output")
	version := fs.BoolP("version", "V", false, "print the version and exit")
	fs.BoolP("help", "h", false, "print this help")
	fs.Usage = func() { fmt.Fprint(c.out, globalUsage+flagUsages(fs)) }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return err
		}
		return usagef("%v", err)
	}
	if h, _ := fs.GetBool("help"); h {
		fs.Usage()
		return nil
	}
	if *version {
		fmt.Fprintf(c.out, "busrt %s (BUS/RT protocol %d)\n", bus.Version, proto.ProtocolVersion)
		return nil
	}
	if math.IsNaN(*timeout) || math.IsInf(*timeout, 0) || *timeout <= 0 || *timeout > 1e6 {
		return usagef("invalid --timeout %v: give seconds, greater than 0", *timeout)
	}
	c.timeout = time.Duration(*timeout * float64(time.Second))
	if c.bufSize <= 0 || c.queueSize <= 0 {
		return usagef("--buf-size and --queue-size must be greater than 0")
	}
	rest := fs.Args()
	// `busrt send --help`: a command's help without a socket.
	if len(rest) >= 2 && wantsHelp(rest[1:]) {
		if cmd := findCommand(rest[0]); cmd != nil {
			return c.runCommand(ctx, cmd, rest[1:])
		}
	}
	switch len(rest) {
	case 0:
		return usagef("missing <SOCKET> and <COMMAND>")
	case 1:
		if isHelp(rest[0]) {
			fs.Usage()
			return nil
		}
		return usagef("missing <COMMAND> after %s", rest[0])
	}
	c.socket = rest[0]
	if c.name == "" {
		host, err := os.Hostname()
		if err != nil {
			host = "localhost"
		}
		c.name = fmt.Sprintf("cli.%s.%d", host, os.Getpid())
	}
	cmd := findCommand(rest[1])
	if cmd == nil {
		if isHelp(rest[1]) {
			fs.Usage()
			return nil
		}
		return usagef("unknown command %q", rest[1])
	}
	return c.runCommand(ctx, cmd, rest[2:])
}

func isHelp(s string) bool { return s == "-h" || s == "--help" || s == "help" }

// wantsHelp reports whether args ask for help (-h or --help before any
// "--"), wherever they stand, as clap-based upstream tools do.
func wantsHelp(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		if a == "-h" || a == "--help" {
			return true
		}
	}
	return false
}

// infof logs at info level (unless -s): a line on stdout, as upstream.
func (c *cli) infof(format string, args ...any) {
	if !c.silent {
		fmt.Fprintf(c.out, format+"\n", args...)
	}
}

// debugf logs at trace level (-v only).
func (c *cli) debugf(format string, args ...any) {
	if c.verbose && !c.silent {
		fmt.Fprintf(c.out, "[debug] "+format+"\n", args...)
	}
}

// connect logs the first line and connects to the broker, saying what to
// do when it cannot. pingEvery overrides the keep-alive period (0: the
// client's default, timeout/2).
func (c *cli) connect(ctx context.Context, pingEvery time.Duration) (*rtclient.SocketClient, error) {
	c.infof("Connecting to %s, using service name %s", c.socket, c.name)
	cfg := rtclient.Config{
		Name:         c.name,
		Timeout:      c.timeout,
		BufSize:      c.bufSize,
		QueueSize:    c.queueSize,
		PingInterval: pingEvery,
	}
	cl, err := rtclient.Dial(ctx, c.socket, cfg)
	switch {
	case err == nil:
		c.debugf("connected to %s as %s", c.socket, c.name)
		return cl, nil
	case errors.Is(err, rtclient.ErrWebSocket):
		return nil, fmt.Errorf("%s: WebSocket is not supported; give a UNIX socket path or a TCP host:port", c.socket)
	case errors.Is(err, proto.CodeBusy.Err()):
		return nil, fmt.Errorf("the broker at %s refused the name %q: it is already registered; choose another with -n", c.socket, c.name)
	case errors.Is(err, proto.CodeData.Err()), errors.Is(err, proto.CodeNotRegistered.Err()), errors.Is(err, proto.CodeAccess.Err()):
		return nil, fmt.Errorf("the broker at %s refused the name %q (%v); choose another with -n", c.socket, c.name, codeText(err))
	}
	if errors.Is(err, os.ErrPermission) {
		return nil, fmt.Errorf("cannot connect to the broker at %s (%v); the socket's permissions do not let this user connect: run as a user who may, or change the socket's mode", c.socket, cause(err))
	}
	return nil, fmt.Errorf("cannot connect to the broker at %s (%v); check that busrtd is running and the address is right", c.socket, cause(err))
}

// cause strips rtclient's wrapping from a connection error.
func cause(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, ": dial "); i >= 0 {
		return s[i+2:]
	}
	return s
}

// codeText returns the text of a bus result code error, without prefix.
func codeText(err error) string {
	var pe *proto.Error
	if errors.As(err, &pe) {
		return strings.TrimPrefix(pe.Error(), "busrt: ")
	}
	return err.Error()
}

// opContext bounds one operation by --timeout.
func (c *cli) opContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, c.timeout)
}

// opError explains a failed operation.
func (c *cli) opError(what string, err error) error {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%s: timed out after %v; raise --timeout or check the broker", what, c.timeout)
	case errors.Is(err, context.Canceled):
		return &exitCodeError{code: 130}
	case errors.Is(err, rtclient.ErrDisconnected):
		return fmt.Errorf("%s: the connection to the broker was lost", what)
	}
	var pe *proto.Error
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: the broker answered %s", what, codeText(err))
	}
	return fmt.Errorf("%s: %v", what, err)
}
