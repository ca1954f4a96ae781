package bus

import (
	"net/netip"
	"time"
)

// Defaults of the broker (PROTOCOL.md §3.7).
const (
	DefaultTimeout   = time.Second
	DefaultQueueSize = 8192
)

// Config holds broker-wide options. The zero value uses the defaults.
type Config struct {
	// Timeout is the broker timeout T: embedded-receiver wait for socket
	// senders, and what transports derive their keep-alive limits from.
	Timeout time.Duration
	// QueueSize is the per-client outgoing queue length in frames.
	QueueSize int
	// ForceRegister lets a new primary replace a registered one of the same
	// name (ROUTING.md §15).
	ForceRegister bool
	// NoCoreService skips registering the built-in `.broker` client (and so
	// disables announcements), for embedders that register their own.
	NoCoreService bool
	// Logger receives broker events; nil discards them.
	Logger Logger
}

// Logger is the subset of *slog.Logger the broker uses.
type Logger interface {
	// Info logs routine events.
	Info(msg string, args ...any)
	// Warn logs what an operator should notice: a client kicked because
	// its queue was full, a previous instance displaced by force register.
	Warn(msg string, args ...any)
	// Debug logs details.
	Debug(msg string, args ...any)
}

// ClientKind is how a client is connected (client.list `kind`).
type ClientKind uint8

// Client kinds.
const (
	KindInternal ClientKind = iota
	KindLocalIPC
	KindTCP
	KindWebSocket
)

// String returns the kind as client.list reports it: internal, local_ipc,
// tcp or websocket.
func (k ClientKind) String() string {
	switch k {
	case KindInternal:
		return "internal"
	case KindLocalIPC:
		return "local_ipc"
	case KindTCP:
		return "tcp"
	case KindWebSocket:
		return "websocket"
	}
	return "unknown"
}

// ConnInfo describes a socket client at registration.
type ConnInfo struct {
	Kind   ClientKind // KindLocalIPC, KindTCP or KindWebSocket
	Source string     // peer "ip:port" for TCP ("" for UNIX)
	Port   string     // the listener's bind string
	PeerIP netip.Addr // zero for UNIX sockets (skips the AAA host check)
	AAA    *AAAMap    // the listener's security map; nil = no AAA
	Queue  int        // queue size of the listener; 0 = broker's QueueSize
}

func (c *Config) logWarn(msg string, args ...any) {
	if c.Logger != nil {
		c.Logger.Warn(msg, args...)
	}
}
