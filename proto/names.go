package proto

import (
	"bytes"
	"unicode/utf8"
)

// PrimaryName returns the part of name before the first "%%".
func PrimaryName(name []byte) []byte {
	if i := bytes.Index(name, []byte(SecondarySep)); i >= 0 {
		return name[:i:i]
	}
	return name
}

// IsSecondary reports whether name contains "%%".
func IsSecondary(name []byte) bool { return bytes.Contains(name, []byte(SecondarySep)) }

// CheckName applies the name rules a broker checks before it looks at AAA
// and its registry (PROTOCOL.md §4.2 rows 1–3). It returns CodeOK for a name
// that may go on, CodeData for an empty name or one that starts with '.',
// and reply=false for a name that is not valid UTF-8: upstream then closes
// the connection without writing any result byte.
func CheckName(name []byte) (code Code, reply bool) {
	switch {
	case !utf8.Valid(name):
		return 0, false
	case len(name) == 0, name[0] == '.':
		return CodeData, true
	}
	return CodeOK, true
}
