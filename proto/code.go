package proto

import "strconv"

// Code is a single-byte result code: handshake results and ACK codes
// (PROTOCOL.md §3.5).
type Code uint8

// Result codes.
const (
	CodeOK            Code = 0x01
	CodeNotRegistered Code = 0x71
	CodeData          Code = 0x72
	CodeIO            Code = 0x73
	CodeOther         Code = 0x74
	CodeNotSupported  Code = 0x75
	CodeBusy          Code = 0x76
	CodeNotDelivered  Code = 0x77
	CodeTimeout       Code = 0x78
	CodeAccess        Code = 0x79
	CodeEOF           Code = 0xFF
)

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
	Code Code
}

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
