package rtclient

import (
	"strings"
	"time"

	"github.com/busrt-go/busrt/proto"
)

// Defaults of the client (PROTOCOL.md §3.7).
const (
	DefaultTimeout   = time.Second
	DefaultBufSize   = 8192
	DefaultBufTTL    = 10 * time.Microsecond
	DefaultQueueSize = 8192
)

// Config configures a SocketClient. The zero value of every field but Name
// selects its default.
type Config struct {
	// Name is the client name to register; a name with "%%" is a
	// secondary and needs its primary connected.
	Name string
	// Timeout bounds connecting plus the handshake, every socket write,
	// and reading a frame body once its header arrived. Default 1 s.
	Timeout time.Duration
	// BufSize is the size of the read buffer and of the write buffer: a
	// write buffer holding BufSize bytes is flushed at once, and a payload
	// of at least BufSize bytes is written without being copied into it.
	// Default 8192.
	BufSize int
	// BufTTL is how long a non-realtime frame may wait in the write buffer
	// for others to share its socket write. Realtime frames and pings are
	// flushed at once. Default 10 µs; negative = flush every frame at once.
	BufTTL time.Duration
	// QueueSize is the capacity of the Frames channel. Default 8192.
	QueueSize int
	// PingInterval is the keep-alive period. Default Timeout/2 (keep it
	// below the broker's timeout: a broker drops a client that is silent
	// for 1.25 × its timeout); negative = never ping.
	PingInterval time.Duration
	// MaxFrame bounds the data length of incoming frames; a longer one
	// disconnects the client. 0 = unlimited, as upstream.
	MaxFrame uint32
}

func (c Config) withDefaults() Config {
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.BufSize <= 0 {
		c.BufSize = DefaultBufSize
	}
	if c.BufTTL == 0 {
		c.BufTTL = DefaultBufTTL
	}
	if c.QueueSize <= 0 {
		c.QueueSize = DefaultQueueSize
	}
	if c.PingInterval == 0 {
		c.PingInterval = c.Timeout / 2
	}
	return c
}

// Network classifies a broker address as every upstream client does
// (PROTOCOL.md §2): ws:// and wss:// are WebSocket (ErrWebSocket: not
// supported); an address ending with .sock, .socket or .ipc, or starting
// with "/", is a UNIX socket path ("unix"); anything else is a TCP
// host:port ("tcp"). Safe from any goroutine.
func Network(addr string) (string, error) {
	switch {
	case strings.HasPrefix(addr, "ws://"), strings.HasPrefix(addr, "wss://"):
		return "", ErrWebSocket
	case proto.IsUnixAddr(addr):
		return "unix", nil
	}
	return "tcp", nil
}
