package gen

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/tinylib/msgp/msgp"
)

// Fuzz targets for every hand-written decoder. They must never panic; where
// two decoders read the same input they must agree.

// addGoldenSeeds adds the spec vectors and the upstream transcript payloads.
func addGoldenSeeds(f *testing.F) {
	for _, v := range []string{vecOK, vecInfo, vecStats, vecList, vecFilter, vecReg, vecShutdown} {
		f.Add(h(f, v))
	}
	for _, tc := range paramsCases {
		f.Add(h(f, tc.in))
	}
}

func FuzzClientListParams(f *testing.F) {
	addGoldenSeeds(f)
	f.Fuzz(func(t *testing.T, in []byte) {
		var u ClientListParams
		rest, uerr := u.UnmarshalMsg(in)
		var p ClientListParams
		perr := p.UnmarshalParams(in)
		for _, err := range []error{uerr, perr} {
			if err != nil && !errors.Is(err, ErrInvalidParams) {
				t.Fatalf("error %v (%T) is not a ParamsError", err, err)
			}
		}
		if uerr != nil {
			return
		}
		if perr != nil && len(in) != 0 {
			t.Fatalf("UnmarshalParams: %v", perr)
		}
		if u.Filter.Valid != p.Filter.Valid || !bytes.Equal(u.Filter.Str, p.Filter.Str) {
			t.Fatalf("decoders disagree: %+v vs %+v", u.Filter, p.Filter)
		}
		if len(rest) > len(in) {
			t.Fatal("rest longer than input")
		}
		// Round trip through the generated encoder.
		enc, err := u.MarshalMsg(nil)
		if err != nil {
			t.Fatal(err)
		}
		var back ClientListParams
		if err := back.UnmarshalParams(enc); err != nil {
			t.Fatalf("re-decode % x: %v", enc, err)
		}
		if back.Filter.Valid != u.Filter.Valid || !bytes.Equal(back.Filter.Str, u.Filter.Str) {
			t.Fatalf("round trip %+v -> %+v", u.Filter, back.Filter)
		}
	})
}

func FuzzStr(f *testing.F) {
	addGoldenSeeds(f)
	for _, s := range []string{"a0", "c0", "c4 00", "d9 01 61", "da 00 01 61", "db 00 00 00 01 61", "c5 00 01 61", "c6 00 00 00 01 61"} {
		f.Add(h(f, s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var u Str
		_, uerr := u.UnmarshalMsg(in)
		// NilStr reads nil itself and everything else as a Str.
		var un NilStr
		_, unerr := un.UnmarshalMsg(in)
		isNil := len(in) != 0 && in[0] == 0xc0
		if (unerr == nil) != (isNil || uerr == nil) {
			t.Fatalf("NilStr %v, Str %v", unerr, uerr)
		}
		if unerr == nil && (un.Valid == isNil || (!isNil && !bytes.Equal(un.Str, u))) {
			t.Fatalf("NilStr and Str disagree: %+v vs %q", un, u)
		}
		if uerr != nil {
			return
		}
		enc, _ := u.MarshalMsg(nil)
		var back Str
		if rest, err := back.UnmarshalMsg(enc); err != nil || len(rest) != 0 || !bytes.Equal(back, u) {
			t.Fatalf("round trip: %v %q", err, back)
		}
	})
}

func FuzzClientList(f *testing.F) {
	addGoldenSeeds(f)
	f.Fuzz(func(t *testing.T, in []byte) {
		var u ClientList
		if _, err := u.UnmarshalMsg(in); err != nil {
			return
		}
		// Stable after one round trip.
		enc, err := u.MarshalMsg(nil)
		if err != nil {
			t.Fatal(err)
		}
		var back ClientList
		if _, err := back.UnmarshalMsg(enc); err != nil {
			t.Fatalf("re-decode: %v", err)
		}
		enc2, _ := back.MarshalMsg(nil)
		if !bytes.Equal(enc, enc2) {
			t.Fatalf("unstable:\n% x\n% x", enc, enc2)
		}
	})
}

func FuzzMsgpackToJSON(f *testing.F) {
	addGoldenSeeds(f)
	for _, s := range []string{"c4 03 00 7f ff", "a2 ff 61", "d4 05 2a", "85 01 c3 c0 01 c3 02 92 01 02 03 c4 01 07 04",
		"ca 3f 8c cc cd", "cb 44 16 af 1d 78 b5 8c 40", "01 02", "a3 22 0a 01"} {
		f.Add(h(f, s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		compact, cerr := MsgpackToJSON(in, false)
		pretty, perr := MsgpackToJSON(in, true)
		if (cerr == nil) != (perr == nil) {
			t.Fatalf("compact %v, pretty %v", cerr, perr)
		}
		if cerr != nil && !errors.Is(cerr, ErrTrailingBytes) {
			if compact != nil || pretty != nil {
				t.Fatal("JSON returned with a hard error")
			}
			return
		}
		if !json.Valid(compact) {
			t.Fatalf("invalid JSON: %s", compact)
		}
		var buf bytes.Buffer
		if err := json.Compact(&buf, pretty); err != nil {
			t.Fatalf("invalid pretty JSON: %v\n%s", err, pretty)
		}
		if !bytes.Equal(buf.Bytes(), compact) {
			t.Fatalf("pretty and compact differ:\n%s\n%s", buf.Bytes(), compact)
		}
	})
}

func FuzzParamsFromArgs(f *testing.F) {
	for _, s := range []string{"", "x=1", "a=true\nb=false", "a=b=c", "a", "=\n\n=1", "f=1e3\ng=-inf\nh=NaN\ni=.5\nj=1.",
		"a=1\nb=2\na=3", "n=-9223372036854775808", "n=9223372036854775808", "s=1_000", "a=+5\nb=-0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		words := strings.Split(in, "\n")
		out, err := ParamsFromArgs([]byte{0xaa}, words)
		if err != nil {
			if !errors.Is(err, ErrNoValue) {
				t.Fatalf("error %v", err)
			}
			if !bytes.Equal(out, []byte{0xaa}) {
				t.Fatal("dst changed on error")
			}
			return
		}
		if out[0] != 0xaa {
			t.Fatal("dst prefix lost")
		}
		keys := map[string]bool{}
		for _, w := range words {
			if w != "" {
				k, _, _ := strings.Cut(w, "=")
				keys[k] = true
			}
		}
		n, rest, err := msgp.ReadMapHeaderBytes(out[1:])
		if err != nil || int(n) != len(keys) {
			t.Fatalf("map header %d (%v), want %d keys", n, err, len(keys))
		}
		for i := uint32(0); i < n; i++ {
			var k []byte
			if k, rest, err = msgp.ReadStringZC(rest); err != nil {
				t.Fatalf("key: %v", err)
			}
			if !keys[string(k)] {
				t.Fatalf("unexpected key %q", k)
			}
			delete(keys, string(k))
			if rest, err = msgp.Skip(rest); err != nil {
				t.Fatalf("value: %v", err)
			}
		}
		if len(rest) != 0 {
			t.Fatalf("trailing % x", rest)
		}
	})
}
