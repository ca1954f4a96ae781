package proto

// ClientStep is where a client handshake stands: the broker reply it waits
// for next, or the end state.
type ClientStep uint8

// Client handshake steps, in order.
const (
	ClientAwaitGreeting     ClientStep = iota // 3 bytes: EB 01 00
	ClientAwaitGreetingOK                     // 1 byte: 01 after the echoed greeting
	ClientAwaitRegistration                   // 1 byte: 01 after the name
	ClientRegistered                          // done: the bytes that follow are frames
)

// String names the step, for wrapping errors with context.
func (s ClientStep) String() string {
	switch s {
	case ClientAwaitGreeting:
		return "greeting"
	case ClientAwaitGreetingOK:
		return "greeting response"
	case ClientAwaitRegistration:
		return "registration response"
	case ClientRegistered:
		return "registered"
	}
	return "client step(?)"
}

// ClientHandshake is the client side of the handshake as a byte-level state
// machine with no I/O. Feed it the broker's bytes; it appends what the
// client must write in reply. A blocking client reads exactly Want() bytes
// per step; a non-blocking one feeds what it has and keeps the unconsumed
// rest (Feed consumes nothing until a whole step is there). It is not safe
// for concurrent use. Create it with NewClientHandshake.
type ClientHandshake struct {
	name   string
	step   ClientStep
	failed error // sticky: a failed handshake stays failed
}

// NewClientHandshake starts a handshake that registers name. Like upstream
// clients it refuses a name longer than 65535 bytes before any I/O
// (ErrNameTooLong); every other name rule is the broker's.
func NewClientHandshake(name string) (ClientHandshake, error) {
	if len(name) > MaxNameLen {
		return ClientHandshake{}, ErrNameTooLong
	}
	return ClientHandshake{name: name}, nil
}

// Want returns how many broker bytes the current step reads (3, 1, 1), or 0
// when the handshake is over.
func (c *ClientHandshake) Want() int {
	if c.failed != nil {
		return 0
	}
	switch c.step {
	case ClientAwaitGreeting:
		return GreetingSize
	case ClientAwaitGreetingOK, ClientAwaitRegistration:
		return 1
	}
	return 0
}

// Feed processes at most one step from the start of in, the bytes read from
// the broker, appends to dst what the client must write now, and returns how
// many bytes of in it consumed. n == 0 with a nil error means more bytes are
// needed. Errors: ErrBadGreeting or ErrBadVersion for an invalid greeting
// (close without writing anything), an *Error carrying the code for a
// response other than 01 (Step tells which response). Once failed, every
// call returns the same error; once registered, Feed consumes nothing.
func (c *ClientHandshake) Feed(in, dst []byte) (n int, out []byte, err error) {
	if c.failed != nil {
		return 0, dst, c.failed
	}
	want := c.Want()
	if want == 0 || len(in) < want {
		return 0, dst, nil
	}
	switch c.step {
	case ClientAwaitGreeting:
		if err := CheckGreeting(in); err != nil {
			c.failed = err
			return want, dst, err
		}
		// Upstream echoes what it read; after the check that is exactly
		// the greeting.
		dst = AppendGreeting(dst)
	case ClientAwaitGreetingOK:
		if err := Code(in[0]).Err(); err != nil {
			c.failed = err
			return want, dst, err
		}
		// The length was checked in NewClientHandshake, so this cannot fail.
		dst, _ = AppendName(dst, c.name)
	case ClientAwaitRegistration:
		if err := Code(in[0]).Err(); err != nil {
			c.failed = err
			return want, dst, err
		}
	}
	c.step++
	return want, dst, nil
}

// Step returns the current step; after a failure, the step that failed.
func (c *ClientHandshake) Step() ClientStep { return c.step }

// Err returns the error that ended the handshake, or nil.
func (c *ClientHandshake) Err() error { return c.failed }

// Done reports whether the client is registered.
func (c *ClientHandshake) Done() bool { return c.step == ClientRegistered }
