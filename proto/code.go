package proto

import "strconv"

// Code is a single-byte result code: handshake results and ACK codes
// (PROTOCOL.md §3.5).
type Code uint8

// Result codes. Where the broker produces each one is in PROTOCOL.md §7.3.
const (
	CodeOK            Code = 0x01 // RESPONSE_OK
	CodeNotRegistered Code = 0x71 // target, or the primary of a secondary, is not registered
	CodeData          Code = 0x72 // invalid data (empty name, name starting with '.')
	CodeIO            Code = 0x73 // I/O error; never sent by the broker
	CodeOther         Code = 0x74 // other; never sent by the broker
	CodeNotSupported  Code = 0x75 // bad greeting byte or protocol version
	CodeBusy          Code = 0x76 // name already registered
	CodeNotDelivered  Code = 0x77 // target's queue was full, frame dropped
	CodeTimeout       Code = 0x78 // embedded target's queue stayed full past the timeout
	CodeAccess        Code = 0x79 // denied by the AAA model
	CodeEOF           Code = 0xFF // target's queue closed while delivering; no upstream constant
)

// Known reports whether c is one of the codes above.
func (c Code) Known() bool {
	return c == CodeOK || (c >= CodeNotRegistered && c <= CodeAccess) || c == CodeEOF
}

// String returns upstream's constant name for c.
func (c Code) String() string {
	switch c {
	case CodeOK:
		return "OK"
	case CodeNotRegistered:
		return "NOT_REGISTERED"
	case CodeData:
		return "DATA"
	case CodeIO:
		return "IO"
	case CodeOther:
		return "OTHER"
	case CodeNotSupported:
		return "NOT_SUPPORTED"
	case CodeBusy:
		return "BUSY"
	case CodeNotDelivered:
		return "NOT_DELIVERED"
	case CodeTimeout:
		return "TIMEOUT"
	case CodeAccess:
		return "ACCESS"
	case CodeEOF:
		return "EOF"
	}
	return "code(0x" + strconv.FormatUint(uint64(c), 16) + ")"
}

// Err returns nil for CodeOK and an *Error carrying c otherwise.
// The errors for the known codes are preallocated: Err never allocates.
func (c Code) Err() error {
	if c == CodeOK {
		return nil
	}
	return &codeErrors[c]
}

// Error is a bus result code used as a Go error. Match with errors.As or
// compare Code; errors.Is(err, proto.CodeX.Err()) also works.
type Error struct {
	Code Code // never CodeOK
}

// Error describes the code in words, with its byte value.
func (e *Error) Error() string {
	return "busrt: " + errText(e.Code) + " (0x" + strconv.FormatUint(uint64(e.Code), 16) + ")"
}

// Is makes errors.Is match any *Error with the same code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

var codeErrors = func() (a [256]Error) {
	for i := range a {
		a[i].Code = Code(i)
	}
	return
}()

func errText(c Code) string {
	switch c {
	case CodeNotRegistered:
		return "client not registered"
	case CodeData:
		return "invalid data"
	case CodeIO:
		return "I/O error"
	case CodeOther:
		return "other error"
	case CodeNotSupported:
		return "not supported"
	case CodeBusy:
		return "client name already registered"
	case CodeNotDelivered:
		return "frame not delivered"
	case CodeTimeout:
		return "timeout"
	case CodeAccess:
		return "access denied"
	case CodeEOF:
		return "connection closed"
	}
	return c.String()
}
