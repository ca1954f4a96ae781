package benchmarks

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/spf13/pflag"
)

// Help describes the benchmark command, for `busrt <SOCKET> benchmark
// --help` and the stand-alone driver.
const Help = `Runs upstream BUS/RT's benchmark: W client connections (-w), each doing
its share of -i iterations with a payload of --payload-size bytes of 0xEE.
Phase 1 (RPC clients NAME-1 … NAME-W, after a 5 s warm-up): rpc.call (to
.broker), rpc.call+handle (to itself), rpc.call0 (to the absent
NAME-k-null). Phase 2 (plain clients, same names): send.qos.no,
send.qos.processed, send+recv.qos.no, send+recv.qos.processed. The
output, a table sorted by stage name with iters/s = floor(iters / secs),
is upstream's. As upstream's CLI, which runs every worker on one thread,
the client runs on one (GOMAXPROCS=1, --threads) and leaves the other CPUs
to the broker.

--stages extra (or all) adds what upstream lacks: pubsub.fanout.N (one
publisher, N = 1, 10, 100 subscribers; iters/s = frames delivered per
second), latency.rtt (QoS realtime round trips echoed by a second client;
p50, p99, p99.9), and the same over raw sockets with no broker
(raw.pubsub.fanout.N, raw.latency.rtt), compared as "broker / raw socket".
It also adds send.qos.processed's traffic from one thread with its own
epoll, as upstream's single-threaded CLI (Linux only): to the broker as
NAME-1 … NAME-W (lean.send.qos.processed) and, with no broker, to an echo
thread that answers with the broker's ACK (raw.send.qos.processed). Each
operation is a write and a read on both sides, so the raw stage is the
ceiling for strictly sequential request/response traffic as Go reaches it
(benchmarks/ceiling/pingpong.c measures it without Go);
send.qos.processed / lean.send.qos.processed is what the Go client costs,
lean.send.qos.processed / raw.send.qos.processed what the broker costs.

--embedded runs the broker in this process (on SOCKET, or a temporary UNIX
socket), with the --broker-* settings; --cpuprofile then profiles broker and
clients (pprof label side=broker|client).`

// RunCLI runs the stand-alone benchmark command line (without the program
// name): [OPTIONS] [SOCKET], where OPTIONS are AddFlags' flags plus the
// client options the busrt CLI has as global ones (-n/--name, --timeout
// in seconds, --buf-size, --queue-size). SOCKET may be omitted with
// --embedded. Help goes to stdout; the result is Run's error, or an error
// wrapping ErrOptions for a bad command line. Safe from any goroutine.
func RunCLI(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o := DefaultOptions()
	fs := pflag.NewFlagSet("busrt-bench", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.SortFlags = false
	fs.StringVarP(&o.Name, "name", "n", "", "client name prefix (default cli.<hostname>.<pid>)")
	timeout := fs.Float64("timeout", o.Timeout.Seconds(), "client timeout in seconds")
	fs.IntVar(&o.BufSize, "buf-size", o.BufSize, "client buffer size in bytes")
	fs.IntVar(&o.QueueSize, "queue-size", o.QueueSize, "client incoming queue size in frames")
	o.AddFlags(fs)
	help := fs.BoolP("help", "h", false, "print this help")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", ErrOptions, err)
	}
	if *help {
		fmt.Fprintf(stdout, "Usage: busrt-bench [OPTIONS] [SOCKET]\n\n%s\n\nOptions:\n%s", Help, fs.FlagUsages())
		return nil
	}
	switch fs.NArg() {
	case 0:
	case 1:
		o.Addr = fs.Arg(0)
	default:
		return fmt.Errorf("%w: unexpected argument %q", ErrOptions, fs.Arg(1))
	}
	if math.IsNaN(*timeout) || *timeout <= 0 || *timeout > 1e6 {
		return fmt.Errorf("%w: --timeout %v: give seconds, greater than 0", ErrOptions, *timeout)
	}
	o.Timeout = time.Duration(*timeout * float64(time.Second))
	_, err := Run(ctx, o, stdout, stderr)
	return err
}

// IsUsageError reports whether err is about the command line or the
// options (exit status 2 in the drivers) rather than the run.
func IsUsageError(err error) bool { return errors.Is(err, ErrOptions) }
