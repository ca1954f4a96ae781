package gen

import (
	"encoding/hex"
	"strings"
	"testing"

	"github.com/tinylib/msgp/msgp"
)

// h decodes hex written with any whitespace between the bytes.
func h(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

// codec is what the generated and hand-written types implement.
type codec interface {
	msgp.Marshaler
	msgp.Sizer
}

// marshal encodes v with MarshalMsg, checks that Msgsize is an upper bound,
// and returns the bytes.
func marshal(t testing.TB, v codec) []byte {
	t.Helper()
	m, err := v.MarshalMsg(nil)
	if err != nil {
		t.Fatalf("MarshalMsg: %v", err)
	}
	if sz := v.Msgsize(); sz < len(m) {
		t.Fatalf("Msgsize %d < encoded size %d", sz, len(m))
	}
	return m
}

// unmarshalAll decodes b into u (UnmarshalMsg), checking that it consumed
// everything.
func unmarshalAll(t testing.TB, b []byte, u msgp.Unmarshaler) {
	t.Helper()
	rest, err := u.UnmarshalMsg(b)
	if err != nil {
		t.Fatalf("UnmarshalMsg(% x): %v", b, err)
	}
	if len(rest) != 0 {
		t.Fatalf("UnmarshalMsg left % x", rest)
	}
}
