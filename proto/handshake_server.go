package proto

import "encoding/binary"

// ServerEvent tells the broker side what ServerHandshake.Feed found and what
// to write in return.
type ServerEvent uint8

// Server handshake events, in the order a successful handshake yields them.
const (
	// ServerNeedMore: the next step is not complete; nothing was consumed.
	// Call Feed again with the same bytes and whatever arrives after them.
	ServerNeedMore ServerEvent = iota
	// ServerGreetingOK: the client's greeting is valid; write CodeOK (01)
	// and discard n bytes.
	ServerGreetingOK
	// ServerRejected: bad greeting byte or version; write CodeNotSupported
	// (75) and close. Err says which. Every later Feed repeats it.
	ServerRejected
	// ServerName: the registration is complete and name views it. Check it
	// (CheckName), register it, write the result byte, discard n bytes and,
	// on CodeOK, switch to framed mode with the bytes after them.
	ServerName
	// ServerDone: the handshake is over; nothing is consumed, the bytes are
	// client frames.
	ServerDone
)

// String names the event.
func (e ServerEvent) String() string {
	switch e {
	case ServerNeedMore:
		return "need more"
	case ServerGreetingOK:
		return "greeting ok"
	case ServerRejected:
		return "rejected"
	case ServerName:
		return "name"
	case ServerDone:
		return "done"
	}
	return "server event(?)"
}

const (
	serverAwaitGreeting = iota
	serverAwaitName
	serverDone
	serverFailed
)

// ServerHandshake is the broker side of the handshake as a byte-level state
// machine for a transport that receives bytes in arbitrary pieces. It does
// no I/O: the broker first writes AppendGreeting, then feeds what the client
// sends. Feed consumes nothing until a whole step is there (the 3 greeting
// bytes, or 2+N name bytes), so a gnet-style caller can Peek everything it
// has, Feed it, and Discard what was consumed; it works the same whether the
// client sends one byte at a time or pipelines greeting, name and frames in
// one write. The zero value is ready; it is not safe for concurrent use.
type ServerHandshake struct {
	step uint8
	err  error // why the greeting was rejected
}

// Feed processes at most one handshake step from the start of in and returns
// how many bytes it consumed and what happened (see ServerEvent). For
// ServerName, name is a view into in; it is valid as long as in is.
func (s *ServerHandshake) Feed(in []byte) (n int, ev ServerEvent, name []byte) {
	switch s.step {
	case serverAwaitGreeting:
		if len(in) < GreetingSize {
			return 0, ServerNeedMore, nil
		}
		if err := CheckGreeting(in); err != nil {
			s.step, s.err = serverFailed, err
			return GreetingSize, ServerRejected, nil
		}
		s.step = serverAwaitName
		return GreetingSize, ServerGreetingOK, nil
	case serverAwaitName:
		if len(in) < 2 {
			return 0, ServerNeedMore, nil
		}
		n = 2 + int(binary.LittleEndian.Uint16(in))
		if len(in) < n {
			return 0, ServerNeedMore, nil
		}
		s.step = serverDone
		return n, ServerName, in[2:n:n]
	case serverDone:
		return 0, ServerDone, nil
	}
	return 0, ServerRejected, nil
}

// Need returns how many bytes in must hold for the next step to complete
// (at least; for the name it is exact once the 2 length bytes are there),
// or 0 once the handshake is over. A transport can use it to size reads.
func (s *ServerHandshake) Need(in []byte) int {
	switch s.step {
	case serverAwaitGreeting:
		return GreetingSize
	case serverAwaitName:
		if len(in) < 2 {
			return 2
		}
		return 2 + int(binary.LittleEndian.Uint16(in))
	}
	return 0
}

// Err returns why the greeting was rejected (ErrBadGreeting or
// ErrBadVersion), or nil.
func (s *ServerHandshake) Err() error { return s.err }

// Done reports whether the name has been read: the bytes that follow are
// frames (once the caller has registered the name).
func (s *ServerHandshake) Done() bool { return s.step == serverDone }
