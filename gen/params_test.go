package gen

import (
	"errors"
	"strings"
	"testing"
)

// paramsCase is one client.list params input and the expected outcome.
type paramsCase struct {
	name   string
	in     string // hex
	filter string // expected filter when valid
	valid  bool   // expected Filter.Valid
	err    string // expected error text ("" = success)
}

var paramsCases = []paramsCase{
	// RPC.md §6 and the broker_api.json scenarios.
	{"spec map ^test", vecFilter, "^test", true, ""},
	{"empty map", "80", "", false, ""},
	{"filter nil", "81 a6 66 69 6c 74 65 72 c0", "", false, ""},
	{"unknown key", "81 a3 7a 7a 7a 01", "", false, ""},
	{"positional", `91 a4 5e 5c 2e 62`, `^\.b`, true, ""},
	{"positional nil", "91 c0", "", false, ""},
	{"positional empty", "90", "", false, errTextNoFilter},
	{"positional too long", "92 a2 5e 78 01", "", false, errTextTooLong},
	{"reserved c1", "c1", "", false, errTextReserved},
	{"wrong type str", "a1 78", "", false, `invalid type: string "x", expected struct Params`},
	{"wrong type nil", "c0", "", false, "invalid type: unit value, expected struct Params"},
	{"wrong type int", "05", "", false, "invalid type: integer `5`, expected struct Params"},
	{"wrong type neg", "d0 80", "", false, "invalid type: integer `-128`, expected struct Params"},
	{"wrong type bool", "c3", "", false, "invalid type: boolean `true`, expected struct Params"},
	{"wrong type float", "cb 3f f0 00 00 00 00 00 00", "", false, "invalid type: floating point `1.0`, expected struct Params"},
	{"wrong type bin", "c4 01 00", "", false, "invalid type: byte array, expected struct Params"},
	{"wrong type ext", "d4 01 00", "", false, "invalid type: newtype struct, expected struct Params"},
	// Map details.
	{"unknown keys around filter", "83 a1 61 92 01 02 a6 66 69 6c 74 65 72 a2 5e 61 a0 c0", "^a", true, ""},
	{"bin key", "81 c4 06 66 69 6c 74 65 72 a1 78", "x", true, ""},
	{"bin value", "81 a6 66 69 6c 74 65 72 c4 01 79", "y", true, ""},
	{"field index 0", "81 00 a1 7a", "z", true, ""},
	{"field index 1 ignored", "81 01 a1 7a", "", false, ""},
	{"map16", "de 00 01 a6 66 69 6c 74 65 72 a1 71", "q", true, ""},
	{"empty filter", "81 a6 66 69 6c 74 65 72 a0", "", true, ""},
	{"duplicate filter", "82 a6 66 69 6c 74 65 72 a1 61 a6 66 69 6c 74 65 72 a1 62", "", false, errTextDupFilter},
	{"signed key", "81 ff c0", "", false, "invalid type: integer `-1`, expected field identifier"},
	{"nil key", "81 c0 c0", "", false, "invalid type: unit value, expected field identifier"},
	{"filter int", "81 a6 66 69 6c 74 65 72 01", "", false, "invalid type: integer `1`, expected a string"},
	{"filter map", "81 a6 66 69 6c 74 65 72 80", "", false, "invalid type: map, expected a string"},
	{"filter bad utf8", "81 a6 66 69 6c 74 65 72 a1 ff", "", false, errTextBadUTF8},
	{"filter bin bad utf8", "81 a6 66 69 6c 74 65 72 c4 01 ff", "", false, errTextBinUTF8},
	{"positional int", "91 07", "", false, "invalid type: integer `7`, expected a string"},
	{"bad value of unknown key", "81 a1 61 c1", "", false, errTextReserved},
	{"truncated map", "81 a6 66 69", "", false, errTextDataEOF},
	{"truncated value", "81 a6 66 69 6c 74 65 72", "", false, errTextMarkerEOF},
	{"truncated array", "91", "", false, errTextMarkerEOF},
	// Truncated values skipped under unknown keys.
	{"truncated unknown value", "81 a1 61 d9 30", "", false, errTextDataEOF},
	{"truncated unknown key", "81 d9 30 61", "", false, errTextDataEOF},
	{"truncated unknown ext", "81 a1 61 c7 05 01 00", "", false, errTextDataEOF},
	{"str escapes", `a3 22 0a 01`, "", false, `invalid type: string "\"\n\u{1}", expected struct Params`},
}

func TestClientListParamsDecode(t *testing.T) {
	for _, tc := range paramsCases {
		t.Run(tc.name, func(t *testing.T) {
			in := h(t, tc.in)
			check := func(how string, p ClientListParams, err error) {
				t.Helper()
				if tc.err != "" {
					if err == nil {
						t.Fatalf("%s: no error, got %+v", how, p)
					}
					if err.Error() != tc.err {
						t.Fatalf("%s: error %q, want %q", how, err, tc.err)
					}
					var pe *ParamsError
					if !errors.Is(err, ErrInvalidParams) || !errors.As(err, &pe) {
						t.Fatalf("%s: error %T does not match ErrInvalidParams/*ParamsError", how, err)
					}
					return
				}
				if err != nil {
					t.Fatalf("%s: %v", how, err)
				}
				if p.Filter.Valid != tc.valid || string(p.Filter.Str) != tc.filter {
					t.Fatalf("%s: filter %+v, want valid=%v %q", how, p.Filter, tc.valid, tc.filter)
				}
			}
			var u ClientListParams
			u.Filter.SetString("stale")
			rest, err := u.UnmarshalMsg(in)
			check("UnmarshalMsg", u, err)
			if err == nil && len(rest) != 0 {
				t.Fatalf("UnmarshalMsg left % x", rest)
			}
			var p ClientListParams
			p.Filter.SetString("stale")
			check("UnmarshalParams", p, p.UnmarshalParams(in))
		})
	}
}

func TestClientListParamsEmptyAndTrailing(t *testing.T) {
	var p ClientListParams
	p.Filter.SetString("stale")
	if err := p.UnmarshalParams(nil); err != nil || p.Filter.Valid {
		t.Fatalf("empty params: %v %+v", err, p)
	}
	// rmp_serde::from_slice ignores bytes after the value.
	if err := p.UnmarshalParams(h(t, vecFilter+" c1 c1")); err != nil || string(p.Filter.Str) != "^test" {
		t.Fatalf("trailing bytes: %v %+v", err, p)
	}
	if _, err := p.UnmarshalMsg(nil); err == nil || err.Error() != errTextMarkerEOF {
		t.Fatalf("UnmarshalMsg(empty): %v", err)
	}
}

func TestClientListParamsEncode(t *testing.T) {
	if got := marshal(t, &ClientListParams{}); string(got) != "\x80" {
		t.Fatalf("no filter: % x", got)
	}
	long := strings.Repeat("a", 40)
	got := marshal(t, &ClientListParams{Filter: nilStr(long)})
	var back ClientListParams
	if err := back.UnmarshalParams(got); err != nil || string(back.Filter.Str) != long {
		t.Fatalf("round trip: %v %+v", err, back)
	}
}
