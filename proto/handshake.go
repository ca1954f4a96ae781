package proto

import "encoding/binary"

// GreetingSize is the size of the greeting: 0xEB and the u16 LE version.
const GreetingSize = 3

// AppendGreeting appends the broker's greeting EB 01 00, which a client
// echoes back (PROTOCOL.md §4.1).
func AppendGreeting(dst []byte) []byte {
	return append(dst, GreetingByte, byte(ProtocolVersion), byte(ProtocolVersion>>8))
}

// CheckGreeting validates a 3-byte greeting in upstream's order: the byte
// first (ErrBadGreeting), then the version (ErrBadVersion). It reports
// ErrShortHeader for fewer than 3 bytes.
func CheckGreeting(b []byte) error {
	if len(b) < GreetingSize {
		return ErrShortHeader
	}
	if b[0] != GreetingByte {
		return ErrBadGreeting
	}
	if binary.LittleEndian.Uint16(b[1:]) != ProtocolVersion {
		return ErrBadVersion
	}
	return nil
}

// AppendName appends the client's registration: the u16 LE byte length of
// name, then name. It fails with ErrNameTooLong (dst unchanged) when name
// does not fit the prefix.
func AppendName(dst []byte, name string) ([]byte, error) {
	if len(name) > MaxNameLen {
		return dst, ErrNameTooLong
	}
	dst = binary.LittleEndian.AppendUint16(dst, uint16(len(name)))
	return append(dst, name...), nil
}
