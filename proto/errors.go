package proto

import "errors"

// Malformed-input errors (PROTOCOL.md §9). Each says what was wrong; the
// broker's reaction to all of them is the same: close the connection.
var (
	ErrShortHeader     = errors.New("proto: header shorter than 9 bytes")
	ErrUnknownOp       = errors.New("proto: unknown operation")
	ErrUnknownKind     = errors.New("proto: unknown frame kind")
	ErrNoSeparator     = errors.New("proto: broken frame: no 00 separator")
	ErrNoReceiverSep   = errors.New("proto: broken frame: no 00 after the publish-for receiver")
	ErrInvalidUTF8     = errors.New("proto: string is not valid UTF-8")
	ErrFrameTooLarge   = errors.New("proto: frame data exceeds the size limit")
	ErrShortFrame      = errors.New("proto: frame data shorter than its declared length")
	ErrBadGreeting     = errors.New("proto: invalid greeting byte")
	ErrBadVersion      = errors.New("proto: unsupported protocol version")
	ErrInvalidRPCFrame = errors.New("proto: invalid RPC frame")
)
