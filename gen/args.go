package gen

import (
	"errors"
	"math"
	"strconv"
	"strings"

	"github.com/tinylib/msgp/msgp"
)

// ErrNoValue is returned by [ParamsFromArgs] for a word without `=`. Its
// text is upstream's.
var ErrNoValue = errors.New("var value not specified")

// Rust's f64::NAN and its negation; Go's math.NaN() has other payload bits.
const (
	rustNaNBits    = 0x7ff8000000000000
	rustNegNaNBits = 0xfff8000000000000
)

// ParamsFromArgs appends to dst a MessagePack map built from `key=value`
// words, the params syntax of `busrt rpc call`/`call0` and of the busrtd FIFO
// `:method` command (RPC.md §7), and returns the extended slice.
//
//   - Empty words are skipped. A word is split on `=`: the key is the part
//     before the first `=`, the value the part up to the next `=` (`a=b=c`
//     gives "b"; the rest is dropped, as upstream). A word without `=` is an
//     error, [ErrNoValue] ("var value not specified"); dst is then returned
//     unchanged.
//   - Values, first rule that applies: exactly `true`/`false` → bool; a
//     signed 64-bit decimal integer → integer in the smallest encoding
//     (non-negative values as unsigned, like rmp-serde); a float in Rust's
//     syntax (`1.5`, `1.`, `.5`, `-1e3`, `inf`, `infinity`, `nan`, any case,
//     optional sign) → float64 (`cb`); otherwise → str.
//   - A key given more than once appears once, with the last value (upstream
//     inserts into a hash map).
//   - Key order: the order in which keys first appear in words. Upstream's
//     order is unspecified (it serializes a Rust HashMap), so no receiver can
//     depend on it.
//
// An empty or all-empty words list gives the empty map `80`; callers that
// want empty params (no bytes) must check for zero words themselves.
func ParamsFromArgs(dst []byte, words []string) ([]byte, error) {
	n := 0
	for i, w := range words {
		if w == "" {
			continue
		}
		key, _, ok := strings.Cut(w, "=")
		if !ok {
			return dst, ErrNoValue
		}
		if firstKeyIndex(words, key) == i {
			n++
		}
	}
	out := msgp.AppendMapHeader(dst, uint32(n))
	for i, w := range words {
		if w == "" {
			continue
		}
		key, _, _ := strings.Cut(w, "=")
		if firstKeyIndex(words, key) != i {
			continue
		}
		out = msgp.AppendString(out, key)
		out = appendArgValue(out, lastKeyValue(words, key))
	}
	return out, nil
}

// firstKeyIndex returns the index of the first non-empty word whose key is
// key.
func firstKeyIndex(words []string, key string) int {
	for i, w := range words {
		if w == "" {
			continue
		}
		if k, _, _ := strings.Cut(w, "="); k == key {
			return i
		}
	}
	return -1
}

// lastKeyValue returns the value of the last non-empty word whose key is key
// (only the part up to a second `=`).
func lastKeyValue(words []string, key string) string {
	for i := len(words) - 1; i >= 0; i-- {
		k, rest, ok := strings.Cut(words[i], "=")
		if !ok || k != key {
			continue
		}
		v, _, _ := strings.Cut(rest, "=")
		return v
	}
	return ""
}

// appendArgValue appends v converted by the rules of RPC.md §7.
func appendArgValue(dst []byte, v string) []byte {
	switch v {
	case "true":
		return msgp.AppendBool(dst, true)
	case "false":
		return msgp.AppendBool(dst, false)
	}
	// The syntax checks spare strconv's error values (allocations) for the
	// common non-numeric words.
	if isRustInt(v) {
		if i, err := strconv.ParseInt(v, 10, 64); err == nil {
			if i >= 0 {
				return msgp.AppendUint64(dst, uint64(i))
			}
			return msgp.AppendInt64(dst, i)
		}
	}
	if f, ok := parseRustFloat(v); ok {
		return msgp.AppendFloat64(dst, f)
	}
	return msgp.AppendString(dst, v)
}

// isRustInt reports whether s has the syntax of Rust's `i64::from_str`: an
// optional sign and one or more ASCII digits (the range is checked by the
// caller).
func isRustInt(s string) bool {
	if s != "" && (s[0] == '+' || s[0] == '-') {
		s = s[1:]
	}
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// parseRustFloat parses s with the grammar of Rust's `f64::from_str`:
//
//	Float  ::= Sign? ( 'inf' | 'infinity' | 'nan' | Number )  (words in any case)
//	Number ::= ( Digit+ | Digit+ '.' Digit* | Digit* '.' Digit+ ) Exp?
//	Exp    ::= [eE] Sign? Digit+
//	Sign   ::= [+-]
//
// Out-of-range values become ±Inf or ±0, as in Rust. NaN has Rust's bits
// (sign included for "-nan").
func parseRustFloat(s string) (float64, bool) {
	body := s
	neg := false
	if body != "" && (body[0] == '+' || body[0] == '-') {
		neg = body[0] == '-'
		body = body[1:]
	}
	switch {
	case strings.EqualFold(body, "inf"), strings.EqualFold(body, "infinity"):
		if neg {
			return math.Inf(-1), true
		}
		return math.Inf(1), true
	case strings.EqualFold(body, "nan"):
		if neg {
			return math.Float64frombits(rustNegNaNBits), true
		}
		return math.Float64frombits(rustNaNBits), true
	}
	if !isRustDecimal(body) {
		return 0, false
	}
	// The grammar is a subset of what strconv accepts; ErrRange still
	// returns the correctly signed ±Inf or ±0.
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, false
	}
	return f, true
}

// isRustDecimal reports whether s is a Number of Rust's float grammar
// (without sign).
func isRustDecimal(s string) bool {
	i := 0
	intDigits := 0
	for i < len(s) && isDigit(s[i]) {
		i++
		intDigits++
	}
	fracDigits := 0
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && isDigit(s[i]) {
			i++
			fracDigits++
		}
	}
	if intDigits == 0 && fracDigits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		expDigits := 0
		for i < len(s) && isDigit(s[i]) {
			i++
			expDigits++
		}
		if expDigits == 0 {
			return false
		}
	}
	return i == len(s)
}

// isDigit reports whether c is an ASCII decimal digit.
func isDigit(c byte) bool { return c >= '0' && c <= '9' }
