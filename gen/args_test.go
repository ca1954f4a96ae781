package gen

import (
	"bytes"
	"errors"
	"testing"
)

func TestParamsFromArgs(t *testing.T) {
	cases := []struct {
		name  string
		words []string
		want  string
	}{
		{"none", nil, "80"},
		{"empty words skipped", []string{"", ""}, "80"},
		{"int", []string{"x=1"}, "81 a1 78 01"}, // RPC.md §9 call0 vector params
		{"bools", []string{"a=true", "b=false"}, "82 a1 61 c3 a1 62 c2"},
		{"bool case-sensitive", []string{"a=True"}, "81 a1 61 a4 54 72 75 65"},
		{"uint forms", []string{"a=127", "b=128", "c=65536", "d=9223372036854775807"},
			"84 a1 61 7f a1 62 cc 80 a1 63 ce 00 01 00 00 a1 64 cf 7f ff ff ff ff ff ff ff"},
		{"negative ints", []string{"a=-1", "b=-33", "c=-129", "d=-9223372036854775808"},
			"84 a1 61 ff a1 62 d0 df a1 63 d1 ff 7f a1 64 d3 80 00 00 00 00 00 00 00"},
		{"plus sign and -0", []string{"a=+5", "b=-0"}, "82 a1 61 05 a1 62 00"},
		{"float", []string{"f=1.5"}, "81 a1 66 cb 3f f8 00 00 00 00 00 00"},
		{"float exp", []string{"f=1e3"}, "81 a1 66 cb 40 8f 40 00 00 00 00 00"},
		{"float forms", []string{"a=1.", "b=.5", "c=-0.5", "d=2E-1"},
			"84 a1 61 cb 3f f0 00 00 00 00 00 00 a1 62 cb 3f e0 00 00 00 00 00 00 a1 63 cb bf e0 00 00 00 00 00 00 a1 64 cb 3f c9 99 99 99 99 99 9a"},
		{"int overflow is float", []string{"a=9223372036854775808"}, "81 a1 61 cb 43 e0 00 00 00 00 00 00"},
		{"inf nan", []string{"a=inf", "b=-Infinity", "c=NaN", "d=-nan", "e=INF"},
			"85 a1 61 cb 7f f0 00 00 00 00 00 00 a1 62 cb ff f0 00 00 00 00 00 00 a1 63 cb 7f f8 00 00 00 00 00 00 a1 64 cb ff f8 00 00 00 00 00 00 a1 65 cb 7f f0 00 00 00 00 00 00"},
		{"huge exponent", []string{"a=1e400", "b=-1e-400"}, "82 a1 61 cb 7f f0 00 00 00 00 00 00 a1 62 cb 80 00 00 00 00 00 00 00"},
		{"not numbers", []string{"a=1_000", "b=0x10", "c=1e", "d=.", "e= 1", "f=infinite", "g=1.5f"},
			"87 a1 61 a5 31 5f 30 30 30 a1 62 a4 30 78 31 30 a1 63 a2 31 65 a1 64 a1 2e a1 65 a2 20 31 a1 66 a8 69 6e 66 69 6e 69 74 65 a1 67 a4 31 2e 35 66"},
		{"string", []string{"name=hello"}, "81 a4 6e 61 6d 65 a5 68 65 6c 6c 6f"},
		{"empty value", []string{"a="}, "81 a1 61 a0"},
		{"empty key", []string{"=1"}, "81 a0 01"},
		{"a=b=c", []string{"a=b=c"}, "81 a1 61 a1 62"},
		{"duplicate keys: first position, last value", []string{"a=1", "b=2", "a=3"}, "82 a1 61 03 a1 62 02"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want := h(t, tc.want)
			got, err := ParamsFromArgs(nil, tc.words)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("got\n% x\nwant\n% x", got, want)
			}
			// Appends to dst.
			pre := []byte{1, 2}
			got2, _ := ParamsFromArgs(pre, tc.words)
			if !bytes.Equal(got2[:2], pre) || !bytes.Equal(got2[2:], want) {
				t.Fatalf("append: % x", got2)
			}
		})
	}
}

func TestParamsFromArgsErrors(t *testing.T) {
	dst := []byte{9}
	for _, words := range [][]string{{"a"}, {"a=1", "b"}, {"", "novalue", "c=1"}} {
		got, err := ParamsFromArgs(dst, words)
		if !errors.Is(err, ErrNoValue) || err.Error() != "var value not specified" {
			t.Errorf("%q: error %v", words, err)
		}
		if !bytes.Equal(got, dst) {
			t.Errorf("%q: dst changed to % x", words, got)
		}
	}
}

// TestParamsFromArgsMapSize: more than 15 keys use map16, like rmp-serde.
func TestParamsFromArgsMapSize(t *testing.T) {
	var words []string
	for i := range 16 {
		words = append(words, string(rune('a'+i))+"=1")
	}
	got, err := ParamsFromArgs(nil, words)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(got, []byte{0xde, 0x00, 0x10}) {
		t.Fatalf("header % x", got[:3])
	}
}
