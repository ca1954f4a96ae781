package proto

// MalformedError is the type of every error this package returns for input
// that breaks the wire format (PROTOCOL.md §9–10, RPC.md §2). The values are
// preallocated sentinels, so reporting one never allocates; match them with
// errors.Is, or the whole class with errors.As(err, new(*MalformedError)).
// A broker's reaction to any of them is the same: close without a reply.
type MalformedError struct {
	msg    string
	parent error // the broader class this error belongs to, if any
}

func newMalformed(msg string, parent error) *MalformedError {
	return &MalformedError{msg: msg, parent: parent}
}

// Error returns a message that says what was wrong.
func (e *MalformedError) Error() string { return e.msg }

// Unwrap returns the broader class of a specific error, so that for example
// errors.Is(ErrRPCShortReply, ErrInvalidRPCFrame) holds.
func (e *MalformedError) Unwrap() error { return e.parent }

// Malformed-input errors of the frame layer (PROTOCOL.md §9).
var (
	ErrShortHeader   error = newMalformed("proto: header shorter than its fixed size", nil)
	ErrUnknownOp     error = newMalformed("proto: unknown operation", nil)
	ErrUnknownKind   error = newMalformed("proto: unknown frame kind", nil)
	ErrNoSeparator   error = newMalformed("proto: broken frame: no 00 separator", nil)
	ErrNoReceiverSep error = newMalformed("proto: broken frame: no 00 after the publish-for receiver", nil)
	ErrInvalidUTF8   error = newMalformed("proto: string is not valid UTF-8", nil)
	ErrFrameTooLarge error = newMalformed("proto: frame data exceeds the size limit", nil)
	// ErrShortFrame is for a reader whose stream ended inside a frame body;
	// NextClientFrame itself reports a partial frame as "need more".
	ErrShortFrame error = newMalformed("proto: frame data shorter than its declared length", nil)
)

// Handshake errors (PROTOCOL.md §4).
var (
	ErrBadGreeting error = newMalformed("proto: invalid greeting byte", nil)
	ErrBadVersion  error = newMalformed("proto: unsupported protocol version", nil)
	// ErrNameTooLong is a local refusal: a name must fit the u16 length
	// prefix, and upstream clients check this before connecting.
	ErrNameTooLong error = newMalformed("proto: client name longer than 65535 bytes", nil)
)

// RPC event errors (RPC.md §2). Each specific error unwraps to
// ErrInvalidRPCFrame, the class upstream logs and drops without a reply.
var (
	ErrInvalidRPCFrame error = newMalformed("proto: invalid RPC frame", nil)
	ErrRPCEmpty        error = newMalformed("proto: invalid RPC frame: empty payload", ErrInvalidRPCFrame)
	ErrRPCUnknownType  error = newMalformed("proto: invalid RPC frame: unknown event type", ErrInvalidRPCFrame)
	ErrRPCShortRequest error = newMalformed("proto: invalid RPC frame: request shorter than 6 bytes", ErrInvalidRPCFrame)
	ErrRPCNoMethodEnd  error = newMalformed("proto: invalid RPC frame: no 00 after the method", ErrInvalidRPCFrame)
	ErrRPCShortReply   error = newMalformed("proto: invalid RPC frame: reply shorter than 5 bytes", ErrInvalidRPCFrame)
	ErrRPCShortError   error = newMalformed("proto: invalid RPC frame: error reply shorter than 7 bytes", ErrInvalidRPCFrame)
)
