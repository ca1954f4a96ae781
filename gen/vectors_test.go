package gen

import (
	"bytes"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/tinylib/msgp/msgp"
)

// Test vectors of RPC.md §6 and ROUTING.md §12.
const (
	vecOK    = "81 a2 6f 6b c3"
	vecInfo  = "82 a6 61 75 74 68 6f 72 d9 27 28 63 29 20 32 30 32 32 20 42 6f 68 65 6d 69 61 20 41 75 74 6f 6d 61 74 69 6f 6e 20 2f 20 41 6c 74 65 72 74 65 63 68 a7 76 65 72 73 69 6f 6e a5 30 2e 35 2e 36"
	vecStats = "85 a6 75 70 74 69 6d 65 cd 0e 10 a8 72 5f 66 72 61 6d 65 73 0a a7 72 5f 62 79 74 65 73 cd 03 e8 a8 77 5f 66 72 61 6d 65 73 14 a7 77 5f 62 79 74 65 73 ce 00 01 11 70"
	vecList  = `81 a7 63 6c 69 65 6e 74 73 91 8a a4 6e 61 6d 65 ab 74 65 73 74 2e 63 6c 69
    65 6e 74 a4 6b 69 6e 64 a9 6c 6f 63 61 6c 5f 69 70 63 a6 73 6f 75 72 63 65
    c0 a4 70 6f 72 74 af 2f 74 6d 70 2f 62 75 73 72 74 2e 73 6f 63 6b a8 72 5f
    66 72 61 6d 65 73 03 a7 72 5f 62 79 74 65 73 2a a8 77 5f 66 72 61 6d 65 73
    02 a7 77 5f 62 79 74 65 73 0c a5 71 75 65 75 65 00 a9 69 6e 73 74 61 6e 63
    65 73 01`
	vecFilter   = "81 a6 66 69 6c 74 65 72 a5 5e 74 65 73 74"
	vecReg      = "83 a1 73 a3 72 65 67 a1 64 ab 74 65 73 74 2e 63 6c 69 65 6e 74 a1 74 cf 17 97 9c fe 3d 85 cd 15"
	vecShutdown = "82 a1 73 a8 73 68 75 74 64 6f 77 6e a1 74 cf 17 97 9c fe 3d 85 cd 15"
)

// Values of the vectors.
const (
	upstreamAuthor = "(c) 2022 Bohemia Automation / Altertech"
	announceT      = 1700000000123456789
)

// nilStr returns a valid NilStr holding s.
func nilStr(s string) NilStr { return NilStr{Str: Str(s), Valid: true} }

func TestSpecVectors(t *testing.T) {
	listExample := ClientList{Clients: []ClientInfo{{
		Name: Str("test.client"), Kind: Str("local_ipc"), Source: NilStr{}, Port: nilStr("/tmp/busrt.sock"),
		RFrames: 3, RBytes: 42, WFrames: 2, WBytes: 12, Queue: 0, Instances: 1,
	}}}
	cases := []struct {
		name string
		v    codec
		want string
		dec  func() codec // a fresh value to decode into
	}{
		{"ok", &OK{Ok: true}, vecOK, func() codec { return &OK{} }},
		{"info 0.5.6", &BrokerInfo{Author: Str(upstreamAuthor), Version: Str("0.5.6")}, vecInfo, func() codec { return &BrokerInfo{} }},
		{"stats", &Stats{Uptime: 3600, RFrames: 10, RBytes: 1000, WFrames: 20, WBytes: 70000}, vecStats, func() codec { return &Stats{} }},
		{"client.list", &listExample, vecList, func() codec { return &ClientList{} }},
		{"client.list params ^test", &ClientListParams{Filter: nilStr("^test")}, vecFilter, func() codec { return &ClientListParams{} }},
		{"announce reg", &Announcement{S: Str("reg"), D: Str("test.client"), T: announceT}, vecReg, func() codec { return &Announcement{} }},
		// D: Str{} because the generated clearomitted code assigns Str{} (not nil).
		{"announce shutdown (no d)", &Announcement{S: Str("shutdown"), D: Str{}, T: announceT}, vecShutdown, func() codec { return &Announcement{} }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want := h(t, tc.want)
			got := marshal(t, tc.v)
			if !bytes.Equal(got, want) {
				t.Fatalf("encoded\n% x\nwant\n% x", got, want)
			}
			u := tc.dec()
			unmarshalAll(t, want, u.(msgp.Unmarshaler))
			if !reflect.DeepEqual(u, tc.v) {
				t.Fatalf("decoded\n%+v\nwant\n%+v", u, tc.v)
			}
		})
	}
}

// TestUintEncoding checks that unsigned fields use the smallest MessagePack
// form, like rmp-serde: positive fixint, then cc, cd, ce, cf.
func TestUintEncoding(t *testing.T) {
	cases := []struct {
		v    uint64
		want string
	}{
		{0, "00"}, {1, "01"}, {127, "7f"},
		{128, "cc 80"}, {255, "cc ff"},
		{256, "cd 01 00"}, {65535, "cd ff ff"},
		{65536, "ce 00 01 00 00"}, {math.MaxUint32, "ce ff ff ff ff"},
		{math.MaxUint32 + 1, "cf 00 00 00 01 00 00 00 00"},
		{announceT, "cf 17 97 9c fe 3d 85 cd 15"},
		{math.MaxUint64, "cf ff ff ff ff ff ff ff ff"},
	}
	for _, tc := range cases {
		st := Stats{Uptime: tc.v}
		got := marshal(t, &st)
		head := h(t, "85 a6 75 70 74 69 6d 65")
		want := append(append([]byte{}, head...), h(t, tc.want)...)
		if !bytes.HasPrefix(got, want) {
			t.Errorf("uptime %d: got % x, want prefix % x", tc.v, got, want)
		}
		var back Stats
		unmarshalAll(t, got, &back)
		if back.Uptime != tc.v {
			t.Errorf("uptime %d decoded as %d", tc.v, back.Uptime)
		}
	}
}

// TestStrEncoding checks the str forms by length (fixstr, d9, da, db) and
// that Str never encodes as bin.
func TestStrEncoding(t *testing.T) {
	cases := []struct {
		n    int
		head string
	}{
		{0, "a0"}, {1, "a1"}, {31, "bf"},
		{32, "d9 20"}, {255, "d9 ff"},
		{256, "da 01 00"}, {65535, "da ff ff"},
		{65536, "db 00 01 00 00"},
	}
	for _, tc := range cases {
		s := Str(strings.Repeat("x", tc.n))
		got := marshal(t, s)
		head := h(t, tc.head)
		if !bytes.HasPrefix(got, head) || len(got) != len(head)+tc.n {
			t.Errorf("len %d: got header % x (len %d), want % x", tc.n, got[:min(len(got), 5)], len(got), head)
		}
		var back Str
		unmarshalAll(t, got, &back)
		if string(back) != string(s) {
			t.Errorf("len %d: round trip differs", tc.n)
		}
	}
}

func TestStrDecodeAcceptsBin(t *testing.T) {
	var s Str
	unmarshalAll(t, h(t, "c4 03 61 62 63"), &s)
	if string(s) != "abc" {
		t.Fatalf("got %q", s)
	}
}

func TestStrDecodeErrors(t *testing.T) {
	for _, in := range []string{"", "c0", "01", "90", "80", "c1", "a3 61 62", "d9", "c4 05 61", "db ff ff ff ff 61"} {
		b := h(t, in)
		s := Str("keep")
		if rest, err := s.UnmarshalMsg(b); err == nil {
			t.Errorf("UnmarshalMsg(% x) = nil error, rest % x", b, rest)
		}
		if string(s) != "keep" {
			t.Errorf("UnmarshalMsg(% x) changed s on error: %q", b, s)
		}
	}
}

// TestStrDecodeReusesCapacity: decoding copies into the existing backing
// array and never aliases the input.
func TestStrDecodeReusesCapacity(t *testing.T) {
	buf := make([]byte, 0, 64)
	s := Str(buf)
	in := h(t, "a5 68 65 6c 6c 6f")
	if _, err := s.UnmarshalMsg(in); err != nil {
		t.Fatal(err)
	}
	if &s[0] != &buf[:1][0] {
		t.Fatal("UnmarshalMsg did not reuse the backing array")
	}
	in[1] = 'X'
	if string(s) != "hello" {
		t.Fatalf("decoded Str aliases the input: %q", s)
	}
}

func TestNilStr(t *testing.T) {
	if got := marshal(t, NilStr{}); !bytes.Equal(got, []byte{0xc0}) {
		t.Fatalf("nil NilStr encoded as % x", got)
	}
	if got := marshal(t, nilStr("")); !bytes.Equal(got, []byte{0xa0}) {
		t.Fatalf(`NilStr "" encoded as % x`, got)
	}
	n := nilStr("old")
	unmarshalAll(t, []byte{0xc0}, &n)
	if n.Valid || len(n.Str) != 0 {
		t.Fatalf("nil decoded as %+v", n)
	}
	unmarshalAll(t, h(t, "a2 68 69"), &n)
	if !n.Valid || string(n.Str) != "hi" {
		t.Fatalf("str decoded as %+v", n)
	}
	n.Clear()
	if n.Valid || len(n.Str) != 0 || cap(n.Str) == 0 {
		t.Fatalf("Clear: %+v (cap %d)", n, cap(n.Str))
	}
	n.SetString("x")
	if !n.Valid || string(n.Str) != "x" || n.IsZero() {
		t.Fatalf("SetString: %+v", n)
	}
}

// TestAnnouncementReuseClearsD: decoding a shutdown (no d) into a value that
// held a reg must clear D (the clearomitted directive).
func TestAnnouncementReuseClearsD(t *testing.T) {
	a := Announcement{}
	unmarshalAll(t, h(t, vecReg), &a)
	if string(a.D) != "test.client" {
		t.Fatalf("reg: %+v", a)
	}
	if _, err := a.UnmarshalMsg(h(t, vecShutdown)); err != nil {
		t.Fatal(err)
	}
	if len(a.D) != 0 || string(a.S) != "shutdown" || a.T != announceT {
		t.Fatalf("shutdown decoded into reused value: %+v", a)
	}
}

// TestClientListReuse: decoding into a reused ClientList reuses entries and
// follows the new length.
func TestClientListReuse(t *testing.T) {
	two := ClientList{Clients: []ClientInfo{
		{Name: Str(".broker"), Kind: Str("internal"), Instances: 1},
		{Name: Str("caller"), Kind: Str("local_ipc"), Port: nilStr("/tmp/x.sock"), RFrames: 5, Instances: 1},
	}}
	b2 := marshal(t, &two)
	var l ClientList
	unmarshalAll(t, b2, &l)
	if !reflect.DeepEqual(l, two) {
		t.Fatalf("decoded %+v", l)
	}
	first := &l.Clients[0]
	one := ClientList{Clients: []ClientInfo{{Name: Str("z"), Kind: Str("tcp"), Source: nilStr("127.0.0.1:40000"), Port: nilStr("127.0.0.1:9924"), Instances: 2}}}
	if _, err := l.UnmarshalMsg(marshal(t, &one)); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(l, one) {
		t.Fatalf("reused decode %+v", l)
	}
	if &l.Clients[0] != first {
		t.Fatal("backing array not reused")
	}
	empty := ClientList{Clients: []ClientInfo{}}
	eb := marshal(t, &empty)
	if !bytes.Equal(eb, h(t, "81 a7 63 6c 69 65 6e 74 73 90")) {
		t.Fatalf("empty list % x", eb)
	}
	if _, err := l.UnmarshalMsg(eb); err != nil || len(l.Clients) != 0 {
		t.Fatalf("empty: %v %+v", err, l)
	}
}

// TestClientListHugeDeclaredLength: a declared length far beyond the input
// fails without allocating for it.
func TestClientListHugeDeclaredLength(t *testing.T) {
	in := h(t, "81 a7 63 6c 69 65 6e 74 73 dd ff ff ff ff 80")
	var l ClientList
	if _, err := l.UnmarshalMsg(in); err == nil {
		t.Fatal("no error")
	}
	if cap(l.Clients) > 16 {
		t.Fatalf("allocated %d entries", cap(l.Clients))
	}
}

// TestUnknownKeysSkipped: generated and hand-written decoders skip unknown
// keys, including the empty key.
func TestUnknownKeysSkipped(t *testing.T) {
	// {"zz": [1, {"a": nil}], "ok": true, "": 1}
	in := h(t, "83 a2 7a 7a 92 01 81 a1 61 c0 a2 6f 6b c3 a0 01")
	var u OK
	if _, err := u.UnmarshalMsg(in); err != nil || !u.Ok {
		t.Fatalf("UnmarshalMsg: %v %+v", err, u)
	}
	// {"x": 1, "clients": [], "": 2}
	l := h(t, "83 a1 78 01 a7 63 6c 69 65 6e 74 73 90 a0 02")
	var cl ClientList
	unmarshalAll(t, l, &cl)
	// A truncated unknown value is an error.
	bad := h(t, "82 a1 78 d9 30 61 a7 63 6c 69 65 6e 74 73 90")[:6]
	if _, err := cl.UnmarshalMsg(bad); err == nil {
		t.Error("UnmarshalMsg accepted a truncated value")
	}
}
