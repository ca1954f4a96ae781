package gen

import "github.com/tinylib/msgp/msgp"

// Str is a byte string that is encoded as a MessagePack `str`.
//
// It exists because msgp encodes a plain []byte field as `bin` while upstream
// sends and expects `str`, and because a Go string field allocates on every
// decode. Str implements msgp's Marshaler, Unmarshaler and Sizer interfaces
// by hand; the generator treats it as a foreign type (it is declared outside
// types.go) and calls those methods.
//
// Decoding accepts `str` and `bin` (as rmp-serde does for string fields),
// copies the bytes into the existing backing array when its capacity is large
// enough (no allocation) and never aliases the input. Decoding does not check
// that the bytes are valid UTF-8; callers that need that check do it
// themselves ([ClientListParams] does).
type Str []byte

// MarshalMsg appends s to b as a MessagePack `str` (fixstr, d9, da or db).
// It implements msgp.Marshaler and never fails.
func (s Str) MarshalMsg(b []byte) ([]byte, error) {
	return msgp.AppendStringFromBytes(b, s), nil
}

// UnmarshalMsg decodes a MessagePack `str` or `bin` from the front of b into
// s, reusing s's capacity, and returns the bytes after it. It implements
// msgp.Unmarshaler. On error s is left unchanged and b is returned.
func (s *Str) UnmarshalMsg(b []byte) ([]byte, error) {
	v, o, err := readStrView(b)
	if err != nil {
		return b, err
	}
	*s = append((*s)[:0], v...)
	return o, nil
}

// Msgsize returns an upper bound of the encoded size of s. It implements
// msgp.Sizer.
func (s Str) Msgsize() int {
	return msgp.StringPrefixSize + len(s)
}

// IsZero reports whether s is empty. The generator uses it for fields tagged
// `omitzero` (the key is then left out of the map).
func (s Str) IsZero() bool {
	return len(s) == 0
}

// String returns the bytes of s as a Go string (a copy).
func (s Str) String() string {
	return string(s)
}

// SetString replaces the content of s with v, reusing s's capacity.
func (s *Str) SetString(v string) {
	*s = append((*s)[:0], v...)
}

// Set replaces the content of s with a copy of v, reusing s's capacity.
func (s *Str) Set(v []byte) {
	*s = append((*s)[:0], v...)
}

// NilStr is a nullable [Str]: MessagePack `str`, or `nil` (c0) when Valid is
// false. It is the Go form of upstream's Option<String> fields that are
// written even when absent (client.list `source` and `port`).
//
// Decoding `nil` sets Valid to false and empties Str (keeping its capacity);
// decoding a `str` or `bin` sets Valid to true.
type NilStr struct {
	Str   Str  // the string; meaningful only when Valid
	Valid bool // false: the value is nil
}

// MarshalMsg appends n to b: `nil` when not Valid, else a `str`. It
// implements msgp.Marshaler and never fails.
func (n NilStr) MarshalMsg(b []byte) ([]byte, error) {
	if !n.Valid {
		return msgp.AppendNil(b), nil
	}
	return msgp.AppendStringFromBytes(b, n.Str), nil
}

// UnmarshalMsg decodes `nil`, `str` or `bin` from the front of b into n and
// returns the bytes after it. It implements msgp.Unmarshaler. On error n is
// left unchanged and b is returned.
func (n *NilStr) UnmarshalMsg(b []byte) ([]byte, error) {
	if msgp.IsNil(b) {
		n.Clear()
		return b[1:], nil
	}
	o, err := n.Str.UnmarshalMsg(b)
	if err != nil {
		return b, err
	}
	n.Valid = true
	return o, nil
}

// Msgsize returns an upper bound of the encoded size of n. It implements
// msgp.Sizer.
func (n NilStr) Msgsize() int {
	if !n.Valid {
		return msgp.NilSize
	}
	return n.Str.Msgsize()
}

// IsZero reports whether n is nil (not Valid). The generator uses it for
// fields tagged `omitzero`.
func (n NilStr) IsZero() bool {
	return !n.Valid
}

// SetString makes n valid with content v, reusing the capacity of n.Str.
func (n *NilStr) SetString(v string) {
	n.Str.SetString(v)
	n.Valid = true
}

// Set makes n valid with a copy of v, reusing the capacity of n.Str.
func (n *NilStr) Set(v []byte) {
	n.Str.Set(v)
	n.Valid = true
}

// Clear makes n nil and empties n.Str, keeping its capacity.
func (n *NilStr) Clear() {
	n.Str = n.Str[:0]
	n.Valid = false
}

// readStrView returns a view of the `str` or `bin` at the front of b and the
// bytes after it.
func readStrView(b []byte) (v, o []byte, err error) {
	if len(b) == 0 {
		return nil, b, msgp.ErrShortBytes
	}
	switch lead := b[0]; {
	case isStrLead(lead):
		return msgp.ReadStringZC(b)
	case isBinLead(lead):
		return msgp.ReadBytesZC(b)
	default:
		return nil, b, typeError(msgp.StrType, b)
	}
}

// isStrLead reports whether lead starts a MessagePack `str`.
func isStrLead(lead byte) bool {
	return lead&0xe0 == 0xa0 || lead == 0xd9 || lead == 0xda || lead == 0xdb
}

// isBinLead reports whether lead starts a MessagePack `bin`.
func isBinLead(lead byte) bool {
	return lead == 0xc4 || lead == 0xc5 || lead == 0xc6
}

// typeError is msgp's error for "wanted a `want`, found what b starts with".
func typeError(want msgp.Type, b []byte) error {
	t := msgp.NextType(b)
	if t == msgp.InvalidType {
		return msgp.InvalidPrefixError(b[0])
	}
	return msgp.TypeError{Method: want, Encoded: t}
}
