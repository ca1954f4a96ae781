package gen

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/tinylib/msgp/msgp"
)

// Errors of [MsgpackToJSON].
var (
	// ErrTrailingBytes: the input holds more bytes after the first value.
	ErrTrailingBytes = errors.New("gen: trailing bytes after the MessagePack value")
	// ErrTooDeep: arrays/maps nest deeper than MaxJSONDepth.
	ErrTooDeep = errors.New("gen: MessagePack value nested too deeply")
	// ErrJSONTooLarge: the JSON text would exceed MaxJSONSize.
	ErrJSONTooLarge = errors.New("gen: JSON text too large")
	// ErrBadMsgpack: the input is not valid MessagePack (wraps msgp's error).
	ErrBadMsgpack = errors.New("gen: invalid MessagePack")
)

// Limits of [MsgpackToJSON].
const (
	// MaxJSONDepth is the deepest nesting of arrays and maps accepted (the
	// default depth limit of rmp-serde).
	MaxJSONDepth = 1024
	// MaxJSONSize bounds the JSON text. Pretty printing indents every
	// element, so a deeply nested input can expand a lot.
	MaxJSONSize = 256 << 20
)

// MsgpackToJSON converts the MessagePack value at the start of b into JSON
// text, for the CLI's `MSGPACK:` payload printing (SERVER_AND_CLI.md §2.3).
// With pretty set the layout is serde_json's pretty printer (two-space
// indent, `"key": value`, `[]`/`{}` for empty containers, no final newline);
// otherwise compact (no spaces).
//
// Mapping:
//   - nil → null; bool; integers in decimal;
//   - float64/float32 → the shortest text that reads back to the same value,
//     in the layout of serde_json/ryu (`1.0`, `0.001`, `1e20`, `1.5e-7`;
//     float32 values keep float32 precision); NaN and ±Inf → null (JSON has
//     no such numbers, serde_json writes null);
//   - str → JSON string (escaping like serde_json: `"`, `\`, \b \f \n \r \t,
//     other control characters as \u00XX, nothing else); a str that is not
//     valid UTF-8 → array of byte values (rmp-serde hands it over as bytes);
//   - bin → array of byte values (numbers 0..255), like serde_json's bytes;
//   - ext → [type, [byte values]];
//   - array → array; map → object, in the input's order, duplicate keys
//     kept; a key that is not a valid UTF-8 str becomes the string of its
//     compact JSON text (1 → "1", nil → "null", true → "true", bin [1,2] →
//     "[1,2]", a map → "{...}").
//
// Upstream converts through a serde value, whose maps are sorted by key; this
// function keeps the input order instead.
//
// Exactly one value is expected. If bytes follow it, the JSON of the first
// value is returned together with an error wrapping [ErrTrailingBytes]
// (upstream's rmp_serde::from_slice ignores trailing bytes: a caller that
// wants its behaviour uses the returned JSON when errors.Is(err,
// ErrTrailingBytes)). Other errors wrap [ErrBadMsgpack], [ErrTooDeep] or
// [ErrJSONTooLarge] and return nil JSON.
func MsgpackToJSON(b []byte, pretty bool) ([]byte, error) {
	c := jsonConv{pretty: pretty, out: make([]byte, 0, 2*len(b)+16)}
	rest, err := c.value(b, 0)
	if err != nil {
		return nil, err
	}
	if len(rest) != 0 {
		return c.out, fmt.Errorf("%w (%d bytes)", ErrTrailingBytes, len(rest))
	}
	return c.out, nil
}

// jsonConv accumulates the JSON text of one conversion.
type jsonConv struct {
	out    []byte // JSON text so far
	pretty bool   // serde_json pretty layout
}

// value converts the value at the front of b (at nesting depth) and returns
// the bytes after it.
func (c *jsonConv) value(b []byte, depth int) ([]byte, error) {
	if len(c.out) > MaxJSONSize {
		return nil, ErrJSONTooLarge
	}
	if len(b) == 0 {
		return nil, badMsgpack(msgp.ErrShortBytes)
	}
	lead := b[0]
	switch {
	case lead == 0xc0:
		c.out = append(c.out, "null"...)
		return b[1:], nil
	case lead == 0xc2 || lead == 0xc3:
		c.out = strconv.AppendBool(c.out, lead == 0xc3)
		return b[1:], nil
	case isUintLead(lead):
		u, o, err := msgp.ReadUint64Bytes(b)
		if err != nil {
			return nil, badMsgpack(err)
		}
		c.out = strconv.AppendUint(c.out, u, 10)
		return o, nil
	case isIntLead(lead):
		i, o, err := msgp.ReadInt64Bytes(b)
		if err != nil {
			return nil, badMsgpack(err)
		}
		c.out = strconv.AppendInt(c.out, i, 10)
		return o, nil
	case lead == 0xca:
		f, o, err := msgp.ReadFloat32Bytes(b)
		if err != nil {
			return nil, badMsgpack(err)
		}
		c.out = appendJSONFloat(c.out, float64(f), 32)
		return o, nil
	case lead == 0xcb:
		f, o, err := msgp.ReadFloat64Bytes(b)
		if err != nil {
			return nil, badMsgpack(err)
		}
		c.out = appendJSONFloat(c.out, f, 64)
		return o, nil
	case isStrLead(lead):
		v, o, err := msgp.ReadStringZC(b)
		if err != nil {
			return nil, badMsgpack(err)
		}
		if utf8.Valid(v) {
			c.out = appendJSONString(c.out, v)
		} else {
			c.byteArray(v, depth)
		}
		return o, nil
	case isBinLead(lead):
		v, o, err := msgp.ReadBytesZC(b)
		if err != nil {
			return nil, badMsgpack(err)
		}
		c.byteArray(v, depth)
		return o, nil
	case isArrayLead(lead):
		return c.array(b, depth)
	case isMapLead(lead):
		return c.object(b, depth)
	case lead == 0xc1:
		return nil, badMsgpack(msgp.InvalidPrefixError(lead))
	default:
		return c.ext(b, depth)
	}
}

// array converts an array.
func (c *jsonConv) array(b []byte, depth int) ([]byte, error) {
	if depth >= MaxJSONDepth {
		return nil, ErrTooDeep
	}
	n, o, err := msgp.ReadArrayHeaderBytes(b)
	if err != nil {
		return nil, badMsgpack(err)
	}
	c.out = append(c.out, '[')
	for i := uint32(0); i < n; i++ {
		c.separator(i == 0, depth+1)
		if o, err = c.value(o, depth+1); err != nil {
			return nil, err
		}
	}
	c.closing(n == 0, depth, ']')
	return o, nil
}

// object converts a map.
func (c *jsonConv) object(b []byte, depth int) ([]byte, error) {
	if depth >= MaxJSONDepth {
		return nil, ErrTooDeep
	}
	n, o, err := msgp.ReadMapHeaderBytes(b)
	if err != nil {
		return nil, badMsgpack(err)
	}
	c.out = append(c.out, '{')
	for i := uint32(0); i < n; i++ {
		c.separator(i == 0, depth+1)
		if o, err = c.key(o, depth+1); err != nil {
			return nil, err
		}
		c.out = append(c.out, ':')
		if c.pretty {
			c.out = append(c.out, ' ')
		}
		if o, err = c.value(o, depth+1); err != nil {
			return nil, err
		}
	}
	c.closing(n == 0, depth, '}')
	return o, nil
}

// key converts a map key: a valid UTF-8 str as itself, anything else as the
// string of its compact JSON text.
func (c *jsonConv) key(b []byte, depth int) ([]byte, error) {
	if len(b) != 0 && isStrLead(b[0]) {
		v, o, err := msgp.ReadStringZC(b)
		if err != nil {
			return nil, badMsgpack(err)
		}
		if utf8.Valid(v) {
			c.out = appendJSONString(c.out, v)
			return o, nil
		}
	}
	sub := jsonConv{out: make([]byte, 0, 16)}
	o, err := sub.value(b, depth)
	if err != nil {
		return nil, err
	}
	c.out = appendJSONString(c.out, sub.out)
	return o, nil
}

// ext converts an extension to [type, [byte values]].
func (c *jsonConv) ext(b []byte, depth int) ([]byte, error) {
	if depth >= MaxJSONDepth {
		return nil, ErrTooDeep
	}
	typ, data, o, err := readExt(b)
	if err != nil {
		return nil, err
	}
	c.out = append(c.out, '[')
	c.separator(true, depth+1)
	c.out = strconv.AppendInt(c.out, int64(typ), 10)
	c.separator(false, depth+1)
	c.byteArray(data, depth+1)
	c.closing(false, depth, ']')
	return o, nil
}

// byteArray writes v as an array of numbers.
func (c *jsonConv) byteArray(v []byte, depth int) {
	c.out = append(c.out, '[')
	for i, x := range v {
		c.separator(i == 0, depth+1)
		c.out = strconv.AppendUint(c.out, uint64(x), 10)
	}
	c.closing(len(v) == 0, depth, ']')
}

// separator writes what precedes an element at depth: a comma unless first,
// and in pretty mode a newline and the indent.
func (c *jsonConv) separator(first bool, depth int) {
	if !first {
		c.out = append(c.out, ',')
	}
	if c.pretty {
		c.newline(depth)
	}
}

// closing writes the closing bracket of a container at depth.
func (c *jsonConv) closing(empty bool, depth int, bracket byte) {
	if c.pretty && !empty {
		c.newline(depth)
	}
	c.out = append(c.out, bracket)
}

// newline writes a newline and two spaces per depth level.
func (c *jsonConv) newline(depth int) {
	c.out = append(c.out, '\n')
	for range depth {
		c.out = append(c.out, ' ', ' ')
	}
}

// readExt reads an extension (fixext d4..d8 or ext c7..c9) from b.
func readExt(b []byte) (typ int8, data, o []byte, err error) {
	var n, hdr int
	switch lead := b[0]; lead {
	case 0xd4, 0xd5, 0xd6, 0xd7, 0xd8:
		n, hdr = 1<<(lead-0xd4), 2
	case 0xc7:
		if len(b) < 2 {
			return 0, nil, nil, badMsgpack(msgp.ErrShortBytes)
		}
		n, hdr = int(b[1]), 3
	case 0xc8:
		if len(b) < 3 {
			return 0, nil, nil, badMsgpack(msgp.ErrShortBytes)
		}
		n, hdr = int(b[1])<<8|int(b[2]), 4
	case 0xc9:
		if len(b) < 5 {
			return 0, nil, nil, badMsgpack(msgp.ErrShortBytes)
		}
		n, hdr = int(b[1])<<24|int(b[2])<<16|int(b[3])<<8|int(b[4]), 6
	default:
		return 0, nil, nil, badMsgpack(msgp.InvalidPrefixError(lead))
	}
	if len(b) < hdr || len(b)-hdr < n {
		return 0, nil, nil, badMsgpack(msgp.ErrShortBytes)
	}
	return int8(b[hdr-1]), b[hdr : hdr+n], b[hdr+n:], nil
}

// badMsgpack wraps a msgp decode error into ErrBadMsgpack.
func badMsgpack(err error) error {
	return fmt.Errorf("%w: %w", ErrBadMsgpack, err)
}

// hexDigits are serde_json's (lowercase) for \u00XX escapes.
const hexDigits = "0123456789abcdef"

// appendJSONString appends v (valid UTF-8) as a JSON string, escaped like
// serde_json.
func appendJSONString(dst, v []byte) []byte {
	dst = append(dst, '"')
	start := 0
	for i, ch := range v {
		var esc string
		switch {
		case ch == '"':
			esc = `\"`
		case ch == '\\':
			esc = `\\`
		case ch == '\b':
			esc = `\b`
		case ch == '\f':
			esc = `\f`
		case ch == '\n':
			esc = `\n`
		case ch == '\r':
			esc = `\r`
		case ch == '\t':
			esc = `\t`
		case ch < 0x20:
		default:
			continue
		}
		dst = append(dst, v[start:i]...)
		if esc != "" {
			dst = append(dst, esc...)
		} else {
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[ch>>4], hexDigits[ch&0xf])
		}
		start = i + 1
	}
	dst = append(dst, v[start:]...)
	return append(dst, '"')
}

// appendJSONFloat appends f in the layout of serde_json (ryu's "pretty"
// format) using the shortest digits that read back as the same float of the
// given bit size; non-finite values become null.
func appendJSONFloat(dst []byte, f float64, bitSize int) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(dst, "null"...)
	}
	var buf [32]byte
	// d.ddddde±XX: digits and the decimal exponent.
	e := strconv.AppendFloat(buf[:0], f, 'e', -1, bitSize)
	if e[0] == '-' {
		dst = append(dst, '-')
		e = e[1:]
	}
	var digits [24]byte
	nd := 0
	i := 0
	for ; i < len(e) && e[i] != 'e'; i++ {
		if e[i] != '.' {
			digits[nd] = e[i]
			nd++
		}
	}
	exp, _ := strconv.Atoi(string(e[i+1:]))
	d := digits[:nd]
	// value = 0.d × 10^kk
	kk := exp + 1
	k := kk - nd
	// ryu's thresholds: format64 uses 16 and -5, format32 13 and -6.
	maxKK, minKK := 16, -5
	if bitSize == 32 {
		maxKK, minKK = 13, -6
	}
	switch {
	case k >= 0 && kk <= maxKK: // 1234e7 → 12340000000.0
		dst = append(dst, d...)
		for range k {
			dst = append(dst, '0')
		}
		return append(dst, '.', '0')
	case kk > 0 && kk <= maxKK: // 1234e-2 → 12.34
		dst = append(dst, d[:kk]...)
		dst = append(dst, '.')
		return append(dst, d[kk:]...)
	case kk > minKK && kk <= 0: // 1234e-6 → 0.001234
		dst = append(dst, '0', '.')
		for range -kk {
			dst = append(dst, '0')
		}
		return append(dst, d...)
	case nd == 1: // 1e30
		dst = append(dst, d[0], 'e')
		return strconv.AppendInt(dst, int64(kk-1), 10)
	default: // 1234e30 → 1.234e33
		dst = append(dst, d[0], '.')
		dst = append(dst, d[1:]...)
		dst = append(dst, 'e')
		return strconv.AppendInt(dst, int64(kk-1), 10)
	}
}
