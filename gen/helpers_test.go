package gen

import (
	"bytes"
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
	msgp.Encodable
	msgp.Sizer
}

// encodeBoth encodes v with MarshalMsg and with EncodeMsg, checks that both
// give the same bytes and that Msgsize is an upper bound, and returns them.
func encodeBoth(t testing.TB, v codec) []byte {
	t.Helper()
	m, err := v.MarshalMsg(nil)
	if err != nil {
		t.Fatalf("MarshalMsg: %v", err)
	}
	var buf bytes.Buffer
	w := msgp.NewWriter(&buf)
	if err := v.EncodeMsg(w); err != nil {
		t.Fatalf("EncodeMsg: %v", err)
	}
	if err := w.Flush(); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	if !bytes.Equal(m, buf.Bytes()) {
		t.Fatalf("MarshalMsg and EncodeMsg differ:\n% x\n% x", m, buf.Bytes())
	}
	if sz := v.Msgsize(); sz < len(m) {
		t.Fatalf("Msgsize %d < encoded size %d", sz, len(m))
	}
	return m
}

// decodeBoth decodes b into u (UnmarshalMsg) and into d (DecodeMsg from a
// stream), checking that UnmarshalMsg consumed everything.
func decodeBoth(t testing.TB, b []byte, u msgp.Unmarshaler, d msgp.Decodable) {
	t.Helper()
	rest, err := u.UnmarshalMsg(b)
	if err != nil {
		t.Fatalf("UnmarshalMsg(% x): %v", b, err)
	}
	if len(rest) != 0 {
		t.Fatalf("UnmarshalMsg left % x", rest)
	}
	if err := d.DecodeMsg(msgp.NewReader(bytes.NewReader(b))); err != nil {
		t.Fatalf("DecodeMsg(% x): %v", b, err)
	}
}

// msgpReader is msgp's stream reader.
type msgpReader = msgp.Reader

// newReader returns a stream reader over b.
func newReader(b []byte) *msgp.Reader {
	return msgp.NewReader(bytes.NewReader(b))
}
