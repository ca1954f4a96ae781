package benchmarks

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/pprof"
	"time"

	"github.com/busrt-go/busrt/bus"
	"github.com/busrt-go/busrt/netloop"
)

// embeddedBroker is a broker (bus + netloop) running in this process, on
// a real socket, so that the benchmark clients are exactly those of a
// stand-alone run.
type embeddedBroker struct {
	srv  *netloop.Server
	addr string // where clients connect
	dir  string // temporary directory of the socket, if any
	t    time.Duration
}

// withDefaults fills the zero fields of o with the defaults.
func (o BrokerOptions) withDefaults() BrokerOptions {
	d := DefaultOptions().Broker
	if o.Workers <= 0 {
		o.Workers = d.Workers
	}
	if o.Timeout <= 0 {
		o.Timeout = d.Timeout
	}
	if o.BufSize <= 0 {
		o.BufSize = d.BufSize
	}
	if o.BufTTL <= 0 {
		o.BufTTL = d.BufTTL
	}
	if o.QueueSize <= 0 {
		o.QueueSize = d.QueueSize
	}
	return o
}

// startEmbedded starts a broker listening on bind (a UNIX socket path or a
// TCP host:port, port 0 allowed) or, when bind is "", on a socket in a new
// temporary directory. Its goroutines carry the pprof label side=broker.
// Broker warnings (a client kicked for a full queue...) go to logw.
func startEmbedded(ctx context.Context, bind string, o BrokerOptions, logw io.Writer) (*embeddedBroker, error) {
	o = o.withDefaults()
	eb := &embeddedBroker{t: o.Timeout}
	if bind == "" {
		dir, err := os.MkdirTemp("", "busrt-bench")
		if err != nil {
			return nil, fmt.Errorf("benchmarks: embedded broker: %w", err)
		}
		eb.dir = dir
		bind = filepath.Join(dir, "busrt.sock")
	}
	log := slog.New(slog.NewTextHandler(logw, &slog.HandlerOptions{Level: slog.LevelWarn}))
	var err error
	pprof.Do(ctx, pprof.Labels("side", "broker"), func(context.Context) {
		b := bus.New(bus.Config{Timeout: o.Timeout, QueueSize: o.QueueSize, Logger: log})
		eb.srv, err = netloop.New(b, netloop.Config{
			Binds:   []netloop.Listener{{Addr: bind}},
			Loops:   o.Workers,
			Timeout: o.Timeout,
			BufSize: o.BufSize,
			BufTTL:  o.BufTTL,
			Logger:  log,
		})
		if err == nil {
			err = eb.srv.Start()
		}
	})
	if err != nil {
		eb.removeDir()
		return nil, fmt.Errorf("benchmarks: embedded broker on %s: %w", bind, err)
	}
	eb.addr = bind
	if a := eb.srv.Addrs()[0]; a.Network() == "tcp" {
		eb.addr = a.String() // the real port when bind asked for port 0
	}
	return eb, nil
}

// stop shuts the broker down (within its timeout plus a margin) and
// removes the temporary directory.
func (eb *embeddedBroker) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), eb.t+2*time.Second)
	defer cancel()
	_ = eb.srv.Shutdown(ctx)
	eb.removeDir()
}

func (eb *embeddedBroker) removeDir() {
	if eb.dir != "" {
		_ = os.RemoveAll(eb.dir)
	}
}
