package gen

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/tinylib/msgp/msgp"
)

// ErrInvalidParams is matched (errors.Is) by every error that the decoders
// of [ClientListParams] return.
var ErrInvalidParams = errors.New("gen: invalid params")

// ParamsError is a decode error of [ClientListParams]. Its text carries no
// package prefix because the broker sends it as the data of the -32700 error
// reply. The texts follow the shape of upstream's rmp-serde/serde messages
// (e.g. `invalid type: string "x", expected struct Params`, `wrong msgpack
// marker Reserved`) but are not guaranteed to match them.
type ParamsError struct {
	Msg string // the message, as sent to the caller
}

// Error returns the message.
func (e *ParamsError) Error() string { return e.Msg }

// Is reports whether target is [ErrInvalidParams].
func (e *ParamsError) Is(target error) bool { return target == ErrInvalidParams }

// filterKey is the only known key of the client.list params map.
const filterKey = "filter"

// Error texts (shaped like upstream's).
const (
	errTextMarkerEOF = "IO error while reading marker: failed to fill whole buffer"
	errTextDataEOF   = "IO error while reading data: failed to fill whole buffer"
	errTextReserved  = "wrong msgpack marker Reserved"
	errTextDepth     = "depth limit exceeded"
	errTextNoFilter  = "invalid length 0, expected struct Params"
	errTextTooLong   = "array had incorrect length, expected 1"
	errTextDupFilter = "duplicate field `filter`"
	errTextBadUTF8   = "string found to be invalid utf8"
	errTextBinUTF8   = "invalid value: byte array, expected a string"
)

// UnmarshalParams decodes the raw params bytes of a `client.list` call into
// p, as the upstream broker does:
//
//   - empty params: no filter;
//   - a map: key `filter` (str, or nil = no filter); unknown keys are
//     skipped; a missing key means no filter; `80` is accepted; a duplicate
//     `filter` key is an error;
//   - a positional array `[filter]`: `[nil]` = no filter, `[]` is an error
//     (serde requires the element), more than one element is an error;
//   - anything else is an error;
//   - bytes after the first value are ignored (rmp_serde::from_slice does not
//     check for trailing data).
//
// Following serde's derive, a map key that is the unsigned integer 0 names
// `filter` (field index 0), other unsigned keys are ignored, and `bin` keys
// are compared like `str` keys. A `bin` filter is accepted when it is valid
// UTF-8; a `str` filter must be valid UTF-8 too.
//
// The filter is copied into p.Filter.Str, reusing its capacity. Every error
// is a *[ParamsError]; on error p.Filter is unspecified.
func (p *ClientListParams) UnmarshalParams(params []byte) error {
	if len(params) == 0 {
		p.Filter.Clear()
		return nil
	}
	_, err := p.UnmarshalMsg(params)
	return err
}

// UnmarshalMsg decodes client.list params (a map or a positional array, see
// [ClientListParams.UnmarshalParams]) from the front of b and returns the
// bytes after them. It implements msgp.Unmarshaler; unlike UnmarshalParams it
// treats empty input as an error. Every error is a *[ParamsError]; on error b
// is returned.
func (p *ClientListParams) UnmarshalMsg(b []byte) ([]byte, error) {
	src := paramSource{b: b}
	if err := p.decode(&src); err != nil {
		return b, err
	}
	return src.b, nil
}

// decode decodes the params at the front of src.
func (p *ClientListParams) decode(src *paramSource) error {
	lead, err := src.peek()
	if err != nil {
		return paramsErr(err, errTextMarkerEOF)
	}
	switch {
	case isMapLead(lead):
		n, err := src.mapHeader()
		if err != nil {
			return paramsErr(err, errTextDataEOF)
		}
		p.Filter.Clear()
		seen := false
		for ; n > 0; n-- {
			isFilter, err := src.fieldKey()
			if err != nil {
				return err
			}
			if !isFilter {
				if err := src.skip(); err != nil {
					return paramsErr(err, errTextDataEOF)
				}
				continue
			}
			if seen {
				return &ParamsError{Msg: errTextDupFilter}
			}
			seen = true
			if err := src.filterValue(&p.Filter); err != nil {
				return err
			}
		}
		return nil
	case isArrayLead(lead):
		n, err := src.arrayHeader()
		if err != nil {
			return paramsErr(err, errTextDataEOF)
		}
		if n == 0 {
			return &ParamsError{Msg: errTextNoFilter}
		}
		p.Filter.Clear()
		if err := src.filterValue(&p.Filter); err != nil {
			return err
		}
		if n > 1 {
			return &ParamsError{Msg: errTextTooLong}
		}
		return nil
	default:
		return src.invalidType(lead, "struct Params")
	}
}

// paramSource is the input of the params decoder: a cursor over the
// remaining bytes.
type paramSource struct {
	b []byte // remaining input
}

// peek returns the next marker byte without consuming it.
func (s *paramSource) peek() (byte, error) {
	if len(s.b) == 0 {
		return 0, msgp.ErrShortBytes
	}
	return s.b[0], nil
}

// mapHeader reads a map header.
func (s *paramSource) mapHeader() (n uint32, err error) {
	n, s.b, err = msgp.ReadMapHeaderBytes(s.b)
	return n, err
}

// arrayHeader reads an array header.
func (s *paramSource) arrayHeader() (n uint32, err error) {
	n, s.b, err = msgp.ReadArrayHeaderBytes(s.b)
	return n, err
}

// skip consumes the next value, whatever it is.
func (s *paramSource) skip() (err error) {
	s.b, err = msgp.Skip(s.b)
	return err
}

// fieldKey reads a key of the params map and reports whether it names the
// filter field, following serde's derived field identifier: str/bin keys by
// name, unsigned integer keys by field index (0 = filter, others ignored);
// any other key type is an error.
func (s *paramSource) fieldKey() (bool, error) {
	lead, err := s.peek()
	if err != nil {
		return false, paramsErr(err, errTextMarkerEOF)
	}
	switch {
	case isStrLead(lead) || isBinLead(lead):
		ok, err := s.strIs(filterKey)
		if err != nil {
			return false, paramsErr(err, errTextDataEOF)
		}
		return ok, nil
	case isUintLead(lead):
		u, err := s.uint()
		if err != nil {
			return false, paramsErr(err, errTextDataEOF)
		}
		return u == 0, nil
	default:
		return false, s.invalidType(lead, "field identifier")
	}
}

// strIs reads a str or bin and reports whether its bytes equal want.
func (s *paramSource) strIs(want string) (bool, error) {
	v, o, err := readStrView(s.b)
	if err != nil {
		return false, err
	}
	s.b = o
	return string(v) == want, nil
}

// filterValue reads the filter value (nil, str or bin) into f.
func (s *paramSource) filterValue(f *NilStr) error {
	lead, err := s.peek()
	if err != nil {
		return paramsErr(err, errTextMarkerEOF)
	}
	switch {
	case lead == 0xc0:
		s.b = s.b[1:]
		f.Clear()
		return nil
	case isStrLead(lead) || isBinLead(lead):
		if s.b, err = f.UnmarshalMsg(s.b); err != nil {
			return paramsErr(err, errTextDataEOF)
		}
		if !utf8.Valid(f.Str) {
			if isBinLead(lead) {
				return &ParamsError{Msg: errTextBinUTF8}
			}
			return &ParamsError{Msg: errTextBadUTF8}
		}
		return nil
	default:
		return s.invalidType(lead, "a string")
	}
}

// uint reads an unsigned integer (positive fixint, cc..cf).
func (s *paramSource) uint() (u uint64, err error) {
	u, s.b, err = msgp.ReadUint64Bytes(s.b)
	return u, err
}

// invalidType builds serde's "invalid type: <what was found>, expected
// <expected>" error for the value starting with lead, reading that value
// when its description needs it.
func (s *paramSource) invalidType(lead byte, expected string) error {
	if lead == 0xc1 {
		return &ParamsError{Msg: errTextReserved}
	}
	what, err := s.describe(lead)
	if err != nil {
		return paramsErr(err, errTextDataEOF)
	}
	return &ParamsError{Msg: "invalid type: " + what + ", expected " + expected}
}

// describe returns serde's "unexpected" description of the value starting
// with lead (e.g. "integer `5`", `string "x"`, "map").
func (s *paramSource) describe(lead byte) (string, error) {
	switch {
	case lead == 0xc0:
		return "unit value", nil
	case lead == 0xc2 || lead == 0xc3:
		return "boolean `" + strconv.FormatBool(lead == 0xc3) + "`", nil
	case isUintLead(lead):
		u, err := s.uint()
		return "integer `" + strconv.FormatUint(u, 10) + "`", err
	case isIntLead(lead):
		i, o, err := msgp.ReadInt64Bytes(s.b)
		s.b = o
		return "integer `" + strconv.FormatInt(i, 10) + "`", err
	case lead == 0xca || lead == 0xcb:
		f, err := s.float(lead)
		return "floating point `" + serdeFloat(f) + "`", err
	case isStrLead(lead):
		v, err := s.strData()
		if err != nil {
			return "", err
		}
		if !utf8.Valid(v) {
			// rmp-serde hands invalid UTF-8 over as bytes.
			return "byte array", nil
		}
		return "string " + rustDebugStr(v), nil
	case isBinLead(lead):
		return "byte array", nil
	case isMapLead(lead):
		return "map", nil
	case isArrayLead(lead):
		return "sequence", nil
	default: // ext (d4..d8, c7..c9)
		return "newtype struct", nil
	}
}

// float reads a float32 (ca) or float64 (cb) as float64.
func (s *paramSource) float(lead byte) (f float64, err error) {
	if lead == 0xca {
		var f32 float32
		f32, s.b, err = msgp.ReadFloat32Bytes(s.b)
		return float64(f32), err
	}
	f, s.b, err = msgp.ReadFloat64Bytes(s.b)
	return f, err
}

// strData reads a str and returns a view of its bytes (only used on error
// paths).
func (s *paramSource) strData() ([]byte, error) {
	v, o, err := readStrView(s.b)
	if err != nil {
		return nil, err
	}
	s.b = o
	return v, nil
}

// paramsErr converts a low-level decode error into a *ParamsError; eofText
// is the message for running out of input. A nil err stays nil.
func paramsErr(err error, eofText string) error {
	if err == nil {
		return nil
	}
	var pe *ParamsError
	if errors.As(err, &pe) {
		return err
	}
	cause := msgp.Cause(err)
	var prefix msgp.InvalidPrefixError
	switch {
	case cause == msgp.ErrShortBytes:
		return &ParamsError{Msg: eofText}
	case errors.As(cause, &prefix):
		return &ParamsError{Msg: errTextReserved}
	case cause == msgp.ErrRecursion:
		return &ParamsError{Msg: errTextDepth}
	default:
		return &ParamsError{Msg: cause.Error()}
	}
}

// serdeFloat formats f like serde's Unexpected::Float: Rust's Display
// (plain digits, never an exponent) with ".0" added to whole numbers.
func serdeFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	t := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.Contains(t, ".") {
		t += ".0"
	}
	return t
}

// rustDebugStr quotes v (valid UTF-8) like Rust's Debug for str.
func rustDebugStr(v []byte) string {
	var sb strings.Builder
	sb.WriteByte('"')
	for _, r := range string(v) {
		switch r {
		case '"':
			sb.WriteString(`\"`)
		case '\\':
			sb.WriteString(`\\`)
		case '\n':
			sb.WriteString(`\n`)
		case '\r':
			sb.WriteString(`\r`)
		case '\t':
			sb.WriteString(`\t`)
		case 0:
			sb.WriteString(`\0`)
		default:
			if unicode.IsPrint(r) || r == ' ' {
				sb.WriteRune(r)
			} else {
				sb.WriteString(`\u{` + strconv.FormatInt(int64(r), 16) + `}`)
			}
		}
	}
	sb.WriteByte('"')
	return sb.String()
}

// isMapLead reports whether lead starts a MessagePack map.
func isMapLead(lead byte) bool { return lead&0xf0 == 0x80 || lead == 0xde || lead == 0xdf }

// isArrayLead reports whether lead starts a MessagePack array.
func isArrayLead(lead byte) bool { return lead&0xf0 == 0x90 || lead == 0xdc || lead == 0xdd }

// isUintLead reports whether lead starts an unsigned integer: a positive
// fixint or cc..cf.
func isUintLead(lead byte) bool { return lead < 0x80 || (lead >= 0xcc && lead <= 0xcf) }

// isIntLead reports whether lead starts a signed integer: a negative fixint
// or d0..d3.
func isIntLead(lead byte) bool { return lead >= 0xe0 || (lead >= 0xd0 && lead <= 0xd3) }
