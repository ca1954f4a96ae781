package gen

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/tinylib/msgp/msgp"
)

func TestMsgpackToJSON(t *testing.T) {
	cases := []struct {
		name    string
		in      string
		compact string
		pretty  string // "" = same as compact
	}{
		{"ok", vecOK, `{"ok":true}`, "{\n  \"ok\": true\n}"},
		{"nil", "c0", "null", ""},
		{"bools", "92 c2 c3", "[false,true]", "[\n  false,\n  true\n]"},
		{"ints", "94 00 cf ff ff ff ff ff ff ff ff ff d3 80 00 00 00 00 00 00 00",
			"[0,18446744073709551615,-1,-9223372036854775808]",
			"[\n  0,\n  18446744073709551615,\n  -1,\n  -9223372036854775808\n]"},
		{"empty containers", "82 a1 61 90 a1 62 80", `{"a":[],"b":{}}`, "{\n  \"a\": [],\n  \"b\": {}\n}"},
		{"nested", "81 a1 61 92 01 81 a1 62 c0", `{"a":[1,{"b":null}]}`, "{\n  \"a\": [\n    1,\n    {\n      \"b\": null\n    }\n  ]\n}"},
		{"string escapes", `a9 22 5c 08 0c 0a 0d 09 01 7f`, `"\"\\\b\f\n\r\t\u0001` + "\x7f" + `"`, ""},
		{"unicode kept", "a3 e2 82 ac", `"€"`, ""},
		{"html not escaped", "a3 3c 26 3e", `"<&>"`, ""},
		{"bin", "c4 03 00 7f ff", "[0,127,255]", "[\n  0,\n  127,\n  255\n]"},
		{"empty bin", "c4 00", "[]", ""},
		{"invalid utf8 str", "a2 ff 61", "[255,97]", "[\n  255,\n  97\n]"},
		{"ext", "d4 05 2a", "[5,[42]]", "[\n  5,\n  [\n    42\n  ]\n]"},
		{"ext8", "c7 02 fe 01 02", "[-2,[1,2]]", "[\n  -2,\n  [\n    1,\n    2\n  ]\n]"},
		{"non-string keys", "85 01 c3 c0 01 c3 02 92 01 02 03 c4 01 07 04",
			`{"1":true,"null":1,"true":2,"[1,2]":3,"[7]":4}`,
			"{\n  \"1\": true,\n  \"null\": 1,\n  \"true\": 2,\n  \"[1,2]\": 3,\n  \"[7]\": 4\n}"},
		{"map key of map", "81 81 a1 61 01 02", `{"{\"a\":1}":2}`, "{\n  \"{\\\"a\\\":1}\": 2\n}"},
		{"duplicate keys kept", "82 a1 61 01 a1 61 02", `{"a":1,"a":2}`, "{\n  \"a\": 1,\n  \"a\": 2\n}"},
		{"stats", vecStats, `{"uptime":3600,"r_frames":10,"r_bytes":1000,"w_frames":20,"w_bytes":70000}`,
			"{\n  \"uptime\": 3600,\n  \"r_frames\": 10,\n  \"r_bytes\": 1000,\n  \"w_frames\": 20,\n  \"w_bytes\": 70000\n}"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := h(t, tc.in)
			got, err := MsgpackToJSON(in, false)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.compact {
				t.Fatalf("compact\n%s\nwant\n%s", got, tc.compact)
			}
			want := tc.pretty
			if want == "" {
				want = tc.compact
			}
			got, err = MsgpackToJSON(in, true)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != want {
				t.Fatalf("pretty\n%s\nwant\n%s", got, want)
			}
		})
	}
}

func TestMsgpackToJSONFloats(t *testing.T) {
	f64 := []struct {
		v    float64
		want string
	}{
		{1.5, "1.5"}, {1, "1.0"}, {0, "0.0"}, {math.Copysign(0, -1), "-0.0"},
		{-2.25, "-2.25"}, {1000, "1000.0"}, {123.456, "123.456"},
		{1e15, "1000000000000000.0"}, {6473924464345088, "6473924464345088.0"},
		{1e16, "1e16"}, {1e20, "1e20"}, {1 << 64, "1.8446744073709552e19"},
		{0.1, "0.1"}, {0.001, "0.001"}, {1e-5, "0.00001"}, {1.25e-5, "0.0000125"},
		{1e-6, "1e-6"}, {1.5e-7, "1.5e-7"}, {5e-324, "5e-324"},
		{math.MaxFloat64, "1.7976931348623157e308"},
		{math.NaN(), "null"}, {math.Inf(1), "null"}, {math.Inf(-1), "null"},
	}
	for _, tc := range f64 {
		got, err := MsgpackToJSON(msgp.AppendFloat64(nil, tc.v), false)
		if err != nil || string(got) != tc.want {
			t.Errorf("float64 %v: got %s (%v), want %s", tc.v, got, err, tc.want)
		}
	}
	// float32 values keep float32's shortest digits and ryu's format32 layout.
	f32 := []struct {
		v    float32
		want string
	}{
		{1.1, "1.1"}, {1.5, "1.5"}, {16777216, "16777216.0"},
		{1e12, "1000000000000.0"}, {1e13, "1e13"}, {1e7, "10000000.0"},
		{1e-5, "0.00001"}, {1e-6, "0.000001"}, {1e-7, "1e-7"},
		{float32(math.Inf(1)), "null"},
	}
	for _, tc := range f32 {
		got, err := MsgpackToJSON(msgp.AppendFloat32(nil, tc.v), false)
		if err != nil || string(got) != tc.want {
			t.Errorf("float32 %v: got %s (%v), want %s", tc.v, got, err, tc.want)
		}
	}
}

func TestMsgpackToJSONErrors(t *testing.T) {
	for _, in := range []string{"", "c1", "81 a1 61", "92 01", "a5 61", "c4 05 00", "d5 01 00", "c9 00 00 00 05 01 00", "dd ff ff ff ff"} {
		got, err := MsgpackToJSON(h(t, in), true)
		if !errors.Is(err, ErrBadMsgpack) {
			t.Errorf("%q: error %v", in, err)
		}
		if got != nil {
			t.Errorf("%q: JSON %q returned with error", in, got)
		}
	}
	got, err := MsgpackToJSON(h(t, "01 02"), false)
	if !errors.Is(err, ErrTrailingBytes) || string(got) != "1" {
		t.Errorf("trailing: %q %v", got, err)
	}
	deep := strings.Repeat("91", MaxJSONDepth+1) + "c0"
	if _, err := MsgpackToJSON(h(t, deep), false); !errors.Is(err, ErrTooDeep) {
		t.Errorf("deep: %v", err)
	}
	ok := strings.Repeat("91", MaxJSONDepth) + "c0"
	if _, err := MsgpackToJSON(h(t, ok), false); err != nil {
		t.Errorf("depth %d: %v", MaxJSONDepth, err)
	}
}

// TestMsgpackToJSONValid: the output of every golden payload is valid JSON.
func TestMsgpackToJSONValid(t *testing.T) {
	for _, g := range loadGolden(t, "broker_api.json", "counters.json", "announcements.json") {
		for _, pretty := range []bool{false, true} {
			out, err := MsgpackToJSON(g.data, pretty)
			if err != nil {
				if errors.Is(err, ErrTrailingBytes) || errors.Is(err, ErrBadMsgpack) {
					continue // benchmark.test echoes of arbitrary bytes
				}
				t.Fatalf("%s: %v", g.where, err)
			}
			if !json.Valid(out) {
				t.Fatalf("%s: invalid JSON %s", g.where, out)
			}
		}
	}
}
