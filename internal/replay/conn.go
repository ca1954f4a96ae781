package replay

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"time"
)

const (
	dialTimeout  = 2 * time.Second  // limit for opening a connection
	sendTimeout  = 10 * time.Second // limit for one send step's write
	readChunk    = 64 << 10         // spare room guaranteed before each Read
	registerWait = 2000 * time.Millisecond
)

var (
	errTimeout    = errors.New("timeout")
	errPeerClosed = errors.New("closed by the broker")
)

// conn is one named client connection with its receive buffer. It is used
// only by the goroutine running the scenario.
type conn struct {
	name     string
	nc       net.Conn
	buf      []byte // received, not yet consumed bytes
	peerGone error  // set once the broker closed the connection: io.EOF or the reset error
	closed   bool   // closed by a close step
	stopped  bool   // a stop_reading step ran: never read again
}

// readSome does one Read with the given deadline and appends what arrived.
// It returns nil when bytes arrived, errTimeout when the deadline passed,
// errPeerClosed when the broker closed the connection (EOF or a reset), or
// another error.
func (c *conn) readSome(deadline time.Time) error {
	if c.peerGone != nil {
		return errPeerClosed
	}
	if err := c.nc.SetReadDeadline(deadline); err != nil {
		return fmt.Errorf("set read deadline: %w", err)
	}
	c.reserve()
	n, err := c.nc.Read(c.buf[len(c.buf):cap(c.buf)])
	c.buf = c.buf[:len(c.buf)+n]
	return c.readResult(n, err)
}

// readNow reads what is already readable, without waiting. It returns
// errTimeout when nothing is, like readSome.
func (c *conn) readNow() error {
	if c.peerGone != nil {
		return errPeerClosed
	}
	// A past deadline would make even the raw read fail at once.
	if err := c.nc.SetReadDeadline(time.Time{}); err != nil {
		return fmt.Errorf("clear read deadline: %w", err)
	}
	c.reserve()
	n, ok, err := readNonblocking(c.nc, c.buf[len(c.buf):cap(c.buf)])
	if !ok {
		// No non-blocking read on this platform/connection: a very short wait.
		return c.readSome(time.Now().Add(time.Millisecond))
	}
	c.buf = c.buf[:len(c.buf)+n]
	return c.readResult(n, err)
}

func (c *conn) readResult(n int, err error) error {
	if err != nil && isPeerClosed(err) {
		c.peerGone = err
	}
	switch {
	case n > 0:
		return nil
	case err == nil:
		return errTimeout // a zero-byte read without error; treated as nothing yet
	case c.peerGone != nil:
		return errPeerClosed
	case errors.Is(err, os.ErrDeadlineExceeded):
		return errTimeout
	}
	return fmt.Errorf("read: %w", err)
}

// reserve makes sure buf has room for a whole chunk.
func (c *conn) reserve() {
	if cap(c.buf)-len(c.buf) < readChunk {
		nb := make([]byte, len(c.buf), 2*cap(c.buf)+readChunk)
		copy(nb, c.buf)
		c.buf = nb
	}
}

// consume drops the first n buffered bytes.
func (c *conn) consume(n int) {
	rest := copy(c.buf, c.buf[n:])
	c.buf = c.buf[:rest]
}

// isPeerClosed reports whether a read error means the broker closed the
// connection: EOF or a reset.
func isPeerClosed(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET)
}

// closedReason words how the broker closed a connection.
func (c *conn) closedReason() string {
	if errors.Is(c.peerGone, io.EOF) {
		return "connection closed by the broker (EOF)"
	}
	return fmt.Sprintf("connection closed by the broker (%v)", c.peerGone)
}

// dial opens a raw connection to the broker.
func dial(b Broker, transport string) (net.Conn, error) {
	var addr string
	if transport == "unix" {
		addr = b.UnixAddr()
	} else {
		addr = b.TCPAddr()
	}
	if addr == "" {
		return nil, fmt.Errorf("broker reports no %s address", transport)
	}
	nc, err := net.DialTimeout(transport, addr, dialTimeout)
	if err != nil {
		return nil, fmt.Errorf("dial %s %s: %w", transport, addr, err)
	}
	if tc, ok := nc.(*net.TCPConn); ok {
		if err := tc.SetNoDelay(true); err != nil {
			nc.Close()
			return nil, fmt.Errorf("set TCP_NODELAY: %w", err)
		}
	}
	return nc, nil
}
