package netloop

import (
	"log/slog"
	"runtime"
	"time"

	"github.com/busrt-go/busrt/bus"
)

// Defaults of the transport (PROTOCOL.md §3.7; busrtd passes its own).
const (
	DefaultBufSize = 8192                  // output flush threshold in bytes
	DefaultBufTTL  = 10 * time.Microsecond // delay of a scheduled flush
)

// Listener is one bind address and its per-listener options.
type Listener struct {
	// Addr is the bind string, classified as upstream does (PROTOCOL.md §2):
	// ending with .sock, .socket or .ipc, or starting with "/" → UNIX socket
	// path; anything else → TCP host:port. It is also what client.list shows
	// as the client's `port`.
	Addr string
	// MaxFrame bounds the declared data length of client frames; a larger
	// one closes the connection right after its header. 0 = unlimited.
	MaxFrame uint32
	// AAA is the listener's security map; nil = no AAA.
	AAA *bus.AAAMap
	// QueueSize overrides the broker's per-client queue size (frames) for
	// clients of this listener; 0 = the broker's.
	QueueSize int
}

// Config configures a Server. The zero value of every field but Binds
// selects a default.
type Config struct {
	// Binds lists the listeners, served in this order; at least one.
	Binds []Listener
	// Loops is the number of gnet event loops; 0 = one per CPU.
	//
	// Each loop (and gnet's accept reactor) waits in epoll_wait holding a
	// scheduler P until the runtime takes it back, so run with GOMAXPROCS
	// of at least Loops+1 or wake-ups between loops are slowed down
	// (measured: 180 µs instead of 42 µs per cross-loop round trip with 2
	// loops on 2 cores). busrtd runs at most GOMAXPROCS-1 loops, raising
	// GOMAXPROCS to 2 on a single CPU.
	Loops int
	// Timeout is the broker timeout T (handshake steps, body reads, write
	// stalls: T; header idle: 1.25 T; broker pings every T/2).
	// 0 = the broker's Config().Timeout.
	Timeout time.Duration
	// BufSize is the pending output size that triggers a flush before the
	// end of the read batch; 0 = DefaultBufSize.
	BufSize int
	// BufTTL bounds how long a non-realtime frame from a producer outside
	// any event loop (embedded clients, the `.broker` service) waits before
	// the owning loop is woken; 0 = DefaultBufTTL.
	BufTTL time.Duration
	// MaxConns caps open connections; further ones are closed at once.
	// 0 = derived from RLIMIT_NOFILE with spare descriptors kept.
	MaxConns int
	// Logger receives transport and gnet events; nil discards them.
	Logger *slog.Logger
}

// withDefaults returns cfg with defaults applied for broker b.
func (cfg Config) withDefaults(b *bus.Broker) Config {
	if cfg.Loops <= 0 {
		cfg.Loops = runtime.NumCPU()
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = b.Config().Timeout
	}
	if cfg.BufSize <= 0 {
		cfg.BufSize = DefaultBufSize
	}
	if cfg.BufTTL <= 0 {
		cfg.BufTTL = DefaultBufTTL
	}
	if cfg.MaxConns <= 0 {
		cfg.MaxConns = maxConnsFromRlimit()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return cfg
}

// tickInterval is the period of the per-loop timer sweep: fine enough that
// every deadline (the shortest is T/2) fires within a few percent of T.
func tickInterval(t time.Duration) time.Duration {
	return min(max(t/20, 5*time.Millisecond), 100*time.Millisecond)
}
