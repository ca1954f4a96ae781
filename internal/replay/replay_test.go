package replay

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"
)

// oneScenario builds a scenario from step objects written as JSON, through
// the same parser LoadDir uses.
func oneScenario(t testing.TB, tags string, steps ...string) Scenario {
	t.Helper()
	doc := fmt.Sprintf(`{"scenarios": [{"name": "t", "description": "d", "tags": [%s],
		"broker": {"timeout": 5, "queue_size": null, "force_register": false},
		"steps": [%s]}]}`, tags, strings.Join(steps, ",\n"))
	ss, err := parseFile("test.json", []byte(doc))
	if err != nil {
		t.Fatalf("parse: %v\n%s", err, doc)
	}
	return ss[0]
}

// RPC error reply from .broker, call id 1, code -32700, with the given text.
func rpcErrorFrame(callID, code string, text string) string {
	body := "2e62726f6b657200" + "12" + callID + code + hex.EncodeToString([]byte(text))
	return fmt.Sprintf("12%08x00", swap32(len(body)/2)) + body
}

// swap32 turns n into the value whose big-endian hex is n's little-endian bytes.
func swap32(n int) uint32 {
	return uint32(n&0xff)<<24 | uint32(n>>8&0xff)<<16 | uint32(n>>16&0xff)<<8 | uint32(n>>24&0xff)
}

const (
	upstreamAuthor = "(c) 2022 Bohemia Automation / Altertech"
	infoExpect     = "124c000000002e62726f6b657200110500000082a6617574686f72d927286329203230323220426f68656d6961204175746f6d6174696f6e202f20416c74657274656368a776657273696f6ea5302e352e36"
	infoMask       = "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff0000000000"
)

// ourInfo is an info reply with another author and version.
func ourInfo(author, version string) string {
	body := "2e62726f6b657200" + "1105000000" + "82a6617574686f72" + hex.EncodeToString(msgpackString(author)) +
		"a776657273696f6e" + hex.EncodeToString(msgpackString(version))
	return fmt.Sprintf("12%08x00", swap32(len(body)/2)) + body
}

func TestRun(t *testing.T) {
	tolerantReply := rpcErrorFrame("01000000", "4480", "our own error text, longer than upstream's")
	upstreamReply := rpcErrorFrame("01000000", "4480", "wrong msgpack marker Reserved")
	request := "01000000121a0000002e62726f6b6572000101000000636c69656e742e6c69737400c1"
	rewriteInfo := func(scenario string, step int, e, m []byte) ([]byte, []byte) {
		e, m, _ = ReplaceMsgpackString(e, m, upstreamAuthor, "busrt-go authors")
		e, m, _ = ReplaceMsgpackString(e, m, "0.5.6", "0.1.0")
		return e, m
	}
	padded := bytes.Repeat([]byte{0x78}, 4<<20)
	written := make(chan struct{}) // A's bytes are written before B's

	cases := []struct {
		name    string
		tags    string
		steps   []string
		unix    [][]action
		tcp     [][]action
		opts    Options
		wantErr []string // substrings of the one failure; nil = must pass
		maxTime time.Duration
	}{
		{
			name: "register, send and expect over UNIX and TCP",
			steps: []string{
				`{"conn": "A", "connect": "unix"}`, `{"conn": "A", "register": "a"}`,
				`{"conn": "B", "connect": "tcp"}`, `{"conn": "B", "register": "bee"}`,
				`{"conn": "A", "send": "01000000420c0000002e62726f6b65722f7761726e", "note": "SUBSCRIBE"}`,
				`{"conn": "A", "expect": "fe0100000001", "within_ms": 2000}`,
				`{"conn": "B", "expect_nothing_ms": 20}`, `{"conn": "A", "expect_nothing_ms": 0}`,
			},
			unix: [][]action{script(handshake("a"), rd("01000000420c0000002e62726f6b65722f7761726e"), wr("fe0100000001"))},
			tcp:  [][]action{handshake("bee")},
		},
		{
			name:  "masked bytes are skipped",
			steps: []string{`{"conn": "A", "connect": "unix"}`, `{"conn": "A", "expect": "01020304", "mask": "ffff00ff"}`},
			unix:  [][]action{{wr("0102aa04")}},
		},
		{
			name:    "unmasked bytes are compared",
			steps:   []string{`{"conn": "A", "connect": "unix"}`, `{"conn": "A", "expect": "01020304", "mask": "ffff00ff", "note": "the note"}`},
			unix:    [][]action{{wr("0102aa05")}},
			wantErr: []string{"scenario t (test.json), steps[1] expect on A", "(note: the note)", "expected (   4 bytes): 01020304", "got      (   4 bytes): 0102aa05", "first difference at byte 3: expected 04, got 05"},
		},
		{
			name: "partial arrival and leftover bytes",
			steps: []string{`{"conn": "A", "connect": "tcp"}`,
				`{"conn": "A", "expect": "0102030405", "within_ms": 2000}`,
				`{"conn": "A", "expect": "aabb"}`, `{"conn": "A", "expect": "ccdd"}`, `{"conn": "A", "expect_nothing_ms": 0}`},
			tcp: [][]action{{wr("0102"), pause(30 * time.Millisecond), wr("03"), pause(30 * time.Millisecond), wr("0405aabbccdd")}},
		},
		{
			name:    "leftover bytes fail expect_nothing_ms",
			steps:   []string{`{"conn": "A", "connect": "unix"}`, `{"conn": "A", "expect": "aabb"}`, `{"conn": "A", "expect_nothing_ms": 0}`},
			unix:    [][]action{{wr("aabbcc")}},
			wantErr: []string{"steps[2] expect_nothing on A", "1 unconsumed bytes in the buffer: cc"},
		},
		{
			name: "expect_nothing_ms 0 sees bytes already readable",
			steps: []string{`{"conn": "A", "connect": "unix"}`, `{"conn": "B", "connect": "unix"}`,
				`{"conn": "B", "expect": "01"}`, `{"conn": "A", "expect_nothing_ms": 0}`},
			unix:    [][]action{{wr("ee"), signal(written)}, {await(written), wr("01")}},
			wantErr: []string{"steps[3] expect_nothing on A for 0s", "unexpected bytes arrived: ee"},
		},
		{
			name: "expect_nothing_ms fails as soon as a byte arrives",
			steps: []string{`{"conn": "A", "connect": "unix"}`, `{"conn": "A", "send": "01"}`,
				`{"conn": "A", "expect_nothing_ms": 5000}`},
			unix:    [][]action{{rd("01"), wr("ff")}},
			wantErr: []string{"unexpected bytes arrived: ff"},
			maxTime: 2 * time.Second,
		},
		{
			name:    "expect_nothing_ms fails on a close",
			steps:   []string{`{"conn": "A", "connect": "unix"}`, `{"conn": "A", "expect_nothing_ms": 5000}`},
			unix:    [][]action{{hangup()}},
			wantErr: []string{"connection closed by the broker (EOF)"},
			maxTime: 2 * time.Second,
		},
		{
			name:  "expect_closed_ms after consumed bytes",
			steps: []string{`{"conn": "A", "connect": "unix"}`, `{"conn": "A", "expect": "aa"}`, `{"conn": "A", "expect_closed_ms": 2000}`},
			unix:  [][]action{{wr("aa"), hangup()}},
		},
		{
			name:  "expect_closed_ms counts a reset as closed (TCP)",
			steps: []string{`{"conn": "A", "connect": "tcp"}`, `{"conn": "A", "send": "0102030405060708"}`, `{"conn": "A", "expect_closed_ms": 2000}`},
			tcp:   [][]action{{rd("01"), hangup()}}, // unread bytes: the close resets
		},
		{
			name:  "expect_closed_ms counts a reset as closed (UNIX)",
			steps: []string{`{"conn": "A", "connect": "unix"}`, `{"conn": "A", "send": "0102030405060708"}`, `{"conn": "A", "expect_closed_ms": 2000}`},
			unix:  [][]action{{rd("01"), hangup()}},
		},
		{
			name:    "expect_closed_ms fails with leftover bytes",
			steps:   []string{`{"conn": "A", "connect": "unix"}`, `{"conn": "A", "expect": "aa"}`, `{"conn": "A", "expect_closed_ms": 2000}`},
			unix:    [][]action{{wr("aabb"), hangup()}},
			wantErr: []string{"steps[2] expect_closed on A", "1 unconsumed bytes received before the close: bb"},
		},
		{
			name:    "expect_closed_ms fails with bytes arriving before the close",
			steps:   []string{`{"conn": "A", "connect": "unix"}`, `{"conn": "A", "send": "01"}`, `{"conn": "A", "expect_closed_ms": 2000}`},
			unix:    [][]action{{rd("01"), wr("cc"), hangup()}},
			wantErr: []string{"unexpected bytes arrived instead of the close: cc"},
		},
		{
			name:    "expect_closed_ms fails while open",
			steps:   []string{`{"conn": "A", "connect": "unix"}`, `{"conn": "A", "expect_closed_ms": 50}`},
			wantErr: []string{"still open after 50ms"},
		},
		{
			name:    "expect times out",
			steps:   []string{`{"conn": "A", "connect": "unix"}`, `{"conn": "A", "expect": "0102", "within_ms": 100}`},
			unix:    [][]action{{wr("01")}},
			wantErr: []string{"timeout: 1 of 2 bytes arrived within 100ms", "got      (   1 bytes): 01"},
		},
		{
			name:    "expect fails on a close before the bytes",
			steps:   []string{`{"conn": "A", "connect": "unix"}`, `{"conn": "A", "expect": "0102"}`},
			unix:    [][]action{{wr("01"), hangup()}},
			wantErr: []string{"connection closed by the broker (EOF) after 1 of 2 bytes"},
		},
		{
			name:    "expect fails at once on a differing prefix",
			steps:   []string{`{"conn": "A", "connect": "unix"}`, `{"conn": "A", "expect": "fe0100000001", "within_ms": 5000}`},
			unix:    [][]action{{wr("fe02")}},
			wantErr: []string{"the rest had not arrived yet", "first difference at byte 1: expected 01, got 02"},
			maxTime: 2 * time.Second,
		},
		{
			name:    "register macro reports the failing exchange",
			steps:   []string{`{"conn": "A", "connect": "unix"}`, `{"conn": "A", "register": "a"}`},
			unix:    [][]action{{wr("eb0100"), rd("eb0100"), wr("75")}},
			wantErr: []string{`register "a", protocol version accepted (01)`, "first difference at byte 0: expected 01, got 75"},
		},
		{
			name: "expect_unordered, items in file order",
			steps: []string{`{"conn": "A", "connect": "unix"}`,
				`{"conn": "A", "expect_unordered": [{"expect": "fe0100000001", "note": "ack"}, {"expect": "12aa0000000011", "mask": "ff00ffffffffff"}]}`,
				`{"conn": "A", "expect_nothing_ms": 0}`},
			unix: [][]action{{wr("fe0100000001"), pause(20 * time.Millisecond), wr("12bb0000000011")}},
		},
		{
			name: "expect_unordered, items in reverse order, arriving in pieces",
			steps: []string{`{"conn": "A", "connect": "unix"}`,
				`{"conn": "A", "expect_unordered": [{"expect": "fe0100000001", "note": "ack"}, {"expect": "12aa0000000011", "mask": "ff00ffffffffff"}]}`,
				`{"conn": "A", "expect_nothing_ms": 0}`},
			unix: [][]action{{wr("12cc"), pause(20 * time.Millisecond), wr("00000000"), pause(20 * time.Millisecond), wr("11fe01"), pause(20 * time.Millisecond), wr("00000001")}},
		},
		{
			name: "expect_unordered fails on a stranger",
			steps: []string{`{"conn": "A", "connect": "unix"}`,
				`{"conn": "A", "expect_unordered": [{"expect": "fe0100000001", "note": "ack"}, {"expect": "12aa0000000011"}]}`},
			unix:    [][]action{{wr("fe0100000001"), wr("12aa0000000022")}},
			wantErr: []string{"no remaining item matches the front of the buffer", "item 0: matched", "item 1: differs", "first difference at byte 6: expected 11, got 22"},
		},
		{
			name: "expect_unordered times out on a missing item",
			steps: []string{`{"conn": "A", "connect": "unix"}`,
				`{"conn": "A", "expect_unordered": [{"expect": "fe0100000001"}, {"expect": "12aa0000000011"}], "within_ms": 100}`},
			unix:    [][]action{{wr("12aa0000000011")}},
			wantErr: []string{"timeout: not every item arrived within 100ms", "item 0: incomplete, 0 of 6 bytes", "item 1: matched"},
		},
		{
			name: "tolerant error text: other text and length",
			tags: `"upstream-error-text"`,
			steps: []string{`{"conn": "C", "connect": "unix"}`, `{"conn": "C", "send": "` + request + `"}`,
				`{"conn": "C", "expect": "` + upstreamReply + `"}`, `{"conn": "C", "expect_nothing_ms": 30}`},
			unix: [][]action{{rd(request), wr(tolerantReply[:20]), pause(20 * time.Millisecond), wr(tolerantReply[20:])}},
			opts: Options{ErrorTextTolerant: true},
		},
		{
			name: "tolerant error text: strict mode compares the text",
			tags: `"upstream-error-text"`,
			steps: []string{`{"conn": "C", "connect": "unix"}`, `{"conn": "C", "send": "` + request + `"}`,
				`{"conn": "C", "expect": "` + upstreamReply + `"}`},
			unix:    [][]action{{rd(request), wr(tolerantReply)}},
			wantErr: []string{"first difference at byte 1"},
		},
		{
			name: "tolerant error text: untagged scenarios stay strict",
			steps: []string{`{"conn": "C", "connect": "unix"}`, `{"conn": "C", "send": "` + request + `"}`,
				`{"conn": "C", "expect": "` + upstreamReply + `"}`},
			unix:    [][]action{{rd(request), wr(tolerantReply)}},
			opts:    Options{ErrorTextTolerant: true},
			wantErr: []string{"first difference at byte 1"},
		},
		{
			name: "tolerant error text: the code is compared",
			tags: `"upstream-error-text"`,
			steps: []string{`{"conn": "C", "connect": "unix"}`, `{"conn": "C", "send": "` + request + `"}`,
				`{"conn": "C", "expect": "` + upstreamReply + `"}`},
			unix:    [][]action{{rd(request), wr(rpcErrorFrame("01000000", "a780", "x"))}},
			opts:    Options{ErrorTextTolerant: true},
			wantErr: []string{"tolerant comparison", "first difference at byte 19: expected 44, got a7"},
		},
		{
			name: "tolerant error text: the call id is compared",
			tags: `"upstream-error-text"`,
			steps: []string{`{"conn": "C", "connect": "unix"}`, `{"conn": "C", "send": "` + request + `"}`,
				`{"conn": "C", "expect": "` + upstreamReply + `"}`},
			unix:    [][]action{{rd(request), wr(rpcErrorFrame("02000000", "4480", "x"))}},
			opts:    Options{ErrorTextTolerant: true},
			wantErr: []string{"first difference at byte 15: expected 01, got 02"},
		},
		{
			name: "tolerant error text: a frame too short to hold the code",
			tags: `"upstream-error-text"`,
			steps: []string{`{"conn": "C", "connect": "unix"}`,
				`{"conn": "C", "expect": "` + upstreamReply + `"}`},
			unix:    [][]action{{wr("fe01000000"), wr("01")}},
			opts:    Options{ErrorTextTolerant: true},
			wantErr: []string{"first difference at byte 0: expected 12, got fe"},
		},
		{
			name: "tolerant error text: a declared length too short for the code",
			tags: `"upstream-error-text"`,
			steps: []string{`{"conn": "C", "connect": "unix"}`,
				`{"conn": "C", "expect": "` + upstreamReply + `"}`},
			unix:    [][]action{{wr("1201000000002e")}},
			opts:    Options{ErrorTextTolerant: true},
			wantErr: []string{"received frame is 7 bytes long, too short for this RPC error reply"},
		},
		{
			name: "rewrite hook: our author and version",
			steps: []string{`{"conn": "C", "connect": "unix"}`,
				`{"conn": "C", "expect": "` + infoExpect + `", "mask": "` + infoMask + `"}`, `{"conn": "C", "expect_nothing_ms": 0}`},
			unix: [][]action{{wr(ourInfo("busrt-go authors", "0.1.0"))}},
			opts: Options{Rewrite: rewriteInfo},
		},
		{
			name: "rewrite hook: the replaced version is compared",
			steps: []string{`{"conn": "C", "connect": "unix"}`,
				`{"conn": "C", "expect": "` + infoExpect + `", "mask": "` + infoMask + `"}`},
			unix:    [][]action{{wr(ourInfo("busrt-go authors", "0.1.1"))}},
			opts:    Options{Rewrite: rewriteInfo},
			wantErr: []string{"first difference at byte 57: expected 30, got 31"},
		},
		{
			name: "without the rewrite the author differs",
			steps: []string{`{"conn": "C", "connect": "unix"}`,
				`{"conn": "C", "expect": "` + infoExpect + `", "mask": "` + infoMask + `"}`},
			unix:    [][]action{{wr(ourInfo("busrt-go authors", "0.1.0"))}},
			wantErr: []string{"first difference at byte 1"},
		},
		{
			name: "4 MiB padding in one frame",
			steps: []string{`{"conn": "F", "connect": "unix"}`,
				`{"conn": "F", "send": "0100000052050040", "pad_byte": "78", "pad_count": 4194304}`,
				`{"conn": "F", "expect": "fe0100000001"}`},
			unix: [][]action{{rd("0100000052050040"), rd(hex.EncodeToString(padded)), wr("fe0100000001")}},
		},
		{
			name: "stop_reading forbids later expectations",
			steps: []string{`{"conn": "S", "connect": "unix"}`, `{"conn": "S", "stop_reading": true}`,
				`{"conn": "S", "send": "00"}`, `{"conn": "S", "expect_nothing_ms": 0}`},
			wantErr: []string{"steps[3]", "no longer read (stop_reading)"},
		},
		{
			name: "steps on a closed connection fail",
			steps: []string{`{"conn": "A", "connect": "unix"}`, `{"conn": "A", "close": true}`,
				`{"conn": "A", "send": "00"}`},
			wantErr: []string{"steps[2]", "closed by a close step"},
		},
		{
			name: "a closed connection can be opened again",
			steps: []string{`{"conn": "A", "connect": "unix"}`, `{"conn": "A", "close": true}`,
				`{"conn": "A", "connect": "unix"}`, `{"conn": "A", "expect": "77"}`},
			unix: [][]action{nil, {wr("77")}},
		},
		{
			name:  "broker_signal and sleep_ms",
			steps: []string{`{"sleep_ms": 1}`, `{"broker_signal": "SIGTERM"}`},
		},
		{
			name: "the first failure ends the scenario",
			steps: []string{`{"conn": "A", "connect": "unix"}`, `{"conn": "A", "expect": "01", "within_ms": 50}`,
				`{"conn": "A", "expect": "02", "within_ms": 50}`, `{"broker_signal": "SIGTERM"}`},
			wantErr: []string{"steps[1]"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := oneScenario(t, tc.tags, tc.steps...)
			b := newFakeBroker(t)
			b.serveScripts(tc.unix, tc.tcp)
			rec := &recordingTB{TB: t}
			var log bytes.Buffer
			tc.opts.Log = &log
			began := time.Now()
			Run(rec, s, b.startFunc(), tc.opts)
			took := time.Since(began)
			got := rec.recorded()
			if b.stopCount() != 1 {
				t.Errorf("broker stopped %d times by Run, want 1", b.stopCount())
			}
			if tc.maxTime > 0 && took > tc.maxTime {
				t.Errorf("Run took %v, want under %v", took, tc.maxTime)
			}
			if tc.wantErr == nil {
				if len(got) > 0 {
					t.Fatalf("Run failed:\n%s\nlog:\n%s", strings.Join(got, "\n"), log.String())
				}
				if errs := b.serverErrors(); len(errs) > 0 {
					t.Fatalf("fake server: %v", errs)
				}
				if n := strings.Count(log.String(), " ok ("); n != len(s.Steps) {
					t.Errorf("log shows %d passed steps, want %d:\n%s", n, len(s.Steps), log.String())
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("Run reported %d failures, want exactly 1: %q", len(got), got)
			}
			for _, want := range tc.wantErr {
				if !strings.Contains(got[0], want) {
					t.Errorf("failure lacks %q:\n%s", want, got[0])
				}
			}
			if len(b.signals) > 0 {
				t.Errorf("steps after the failure ran (signals %v)", b.signals)
			}
			t.Logf("reported as expected:\n%s", got[0])
		})
	}
}

func TestRunPassesConfigAndSignals(t *testing.T) {
	doc := `{"scenarios": [{"name": "cfg", "description": "", "broker": {"timeout": 1, "queue_size": 1, "force_register": true,
		"binds": {"unix": "/tmp/x.sock", "tcp": "127.0.0.1:1"}}, "steps": [{"broker_signal": "SIGTERM"}]}]}`
	ss, err := parseFile("cfg.json", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	b := newFakeBroker(t)
	Run(t, ss[0], b.startFunc(), Options{})
	want := BrokerConfig{Timeout: 1, QueueSize: 1, ForceRegister: true, Unix: "/tmp/x.sock", TCP: "127.0.0.1:1"}
	if b.cfg != want {
		t.Errorf("config %+v, want %+v", b.cfg, want)
	}
	if len(b.signals) != 1 || b.signals[0] != "SIGTERM" {
		t.Errorf("signals %v", b.signals)
	}
}

func TestRunNilBroker(t *testing.T) {
	s := oneScenario(t, "", `{"sleep_ms": 0}`)
	rec := &recordingTB{TB: t}
	Run(rec, s, func(testing.TB, BrokerConfig) Broker { return nil }, Options{})
	if got := rec.recorded(); len(got) != 1 || !strings.Contains(got[0], "start returned no broker") {
		t.Errorf("failures %q", got)
	}
}

func TestRunClosesConnections(t *testing.T) {
	s := oneScenario(t, "", `{"conn": "A", "connect": "unix"}`, `{"conn": "B", "connect": "tcp"}`)
	b := newFakeBroker(t)
	closed := make(chan string, 2)
	waitEOF := func(name string) action {
		return func(c net.Conn) error {
			if _, err := readFull(c, 1); err != io.EOF {
				return fmt.Errorf("%s: %v", name, err)
			}
			closed <- name
			return errHungUp
		}
	}
	b.serveScripts([][]action{{waitEOF("A")}}, [][]action{{waitEOF("B")}})
	Run(t, s, func(testing.TB, BrokerConfig) Broker { return stopLater{b} }, Options{})
	for range 2 {
		select {
		case <-closed:
		case <-time.After(5 * time.Second):
			t.Fatal("Run left a connection open")
		}
	}
	if errs := b.serverErrors(); len(errs) > 0 {
		t.Fatal(errs)
	}
}

// stopLater hides Stop, so the server side can see the client's close.
type stopLater struct{ *fakeBroker }

func (stopLater) Stop() {}

// TestConnResetIsClosed checks that a reset is taken as the broker's close.
func TestConnResetIsClosed(t *testing.T) {
	for _, network := range []string{"tcp", "unix"} {
		t.Run(network, func(t *testing.T) {
			b := newFakeBroker(t)
			accepted := make(chan net.Conn, 1)
			b.serveScripts([][]action{{func(c net.Conn) error { accepted <- c; return errHungUp }}},
				[][]action{{func(c net.Conn) error { accepted <- c; return errHungUp }}})
			nc, err := dial(b, network)
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
			srv := <-accepted
			if _, err := nc.Write([]byte{1, 2, 3, 4}); err != nil {
				t.Fatal(err)
			}
			if _, err := readFull(srv, 1); err != nil { // the rest stays unread
				t.Fatal(err)
			}
			srv.Close()
			c := &conn{name: "A", nc: nc}
			if err := c.expectClosed(2 * time.Second); err != nil {
				t.Fatal(err)
			}
			if !errors.Is(c.peerGone, syscall.ECONNRESET) {
				t.Errorf("peer gone with %v, want ECONNRESET", c.peerGone)
			}
		})
	}
}

func TestReplaceMsgpackString(t *testing.T) {
	exp, mask := mustHex(infoExpect), mustHex(infoMask)
	long := strings.Repeat("x", 40) // str8 encoding
	e, m, ok := ReplaceMsgpackString(exp, mask, upstreamAuthor, long)
	if !ok {
		t.Fatal("author not found")
	}
	e, m, ok = ReplaceMsgpackString(e, m, "0.5.6", "10.20.30")
	if !ok {
		t.Fatal("version not found")
	}
	want := mustHex(ourInfo(long, "10.20.30"))
	if !bytes.Equal(e, want) {
		t.Errorf("frame\n got %x\nwant %x", e, want)
	}
	if !bytes.Equal(m, bytes.Repeat([]byte{0xff}, len(want))) {
		t.Errorf("mask %x, want all ff", m)
	}
	if _, _, ok := ReplaceMsgpackString(exp, mask, "absent", "x"); ok {
		t.Error("replaced an absent string")
	}
	if e, m, _ := ReplaceMsgpackString([]byte{0xa1, 'a', 0}, nil, "a", "bc"); !bytes.Equal(e, []byte{0xa2, 'b', 'c', 0}) || m != nil {
		t.Errorf("bare bytes: %x %x", e, m)
	}
	for n, prefix := range map[int]string{31: "bf", 32: "d920", 255: "d9ff", 256: "da0100", 65536: "db00010000"} {
		if got := hex.EncodeToString(msgpackString(strings.Repeat("a", n))[:len(prefix)/2]); got != prefix {
			t.Errorf("msgpack str of %d bytes starts %s, want %s", n, got, prefix)
		}
	}
}

func TestParseRejects(t *testing.T) {
	wrap := func(step string) string {
		return `{"scenarios": [{"name": "x", "broker": {"timeout": 5}, "steps": [` + step + `]}]}`
	}
	cases := map[string]string{
		"no kind":             wrap(`{"conn": "A", "note": "n"}`),
		"two kinds":           wrap(`{"conn": "A", "send": "00", "expect": "00"}`),
		"bad hex":             wrap(`{"conn": "A", "send": "0g"}`),
		"odd hex":             wrap(`{"conn": "A", "expect": "012"}`),
		"mask length":         wrap(`{"conn": "A", "expect": "0102", "mask": "ff"}`),
		"mask value":          wrap(`{"conn": "A", "expect": "0102", "mask": "ff0f"}`),
		"item mask length":    wrap(`{"conn": "A", "expect_unordered": [{"expect": "01", "mask": "ffff"}]}`),
		"no items":            wrap(`{"conn": "A", "expect_unordered": []}`),
		"missing conn":        wrap(`{"connect": "unix"}`),
		"bad transport":       wrap(`{"conn": "A", "connect": "udp"}`),
		"negative ms":         wrap(`{"conn": "A", "expect_nothing_ms": -1}`),
		"close false":         wrap(`{"conn": "A", "close": false}`),
		"unknown signal":      wrap(`{"broker_signal": "SIGHUP"}`),
		"pad_byte two bytes":  wrap(`{"conn": "A", "send": "00", "pad_byte": "7878", "pad_count": 2}`),
		"pad_count alone":     wrap(`{"conn": "A", "send": "00", "pad_count": 2}`),
		"no steps":            `{"scenarios": [{"name": "x", "broker": {}, "steps": []}]}`,
		"no name":             `{"scenarios": [{"broker": {}, "steps": [{"sleep_ms": 1}]}]}`,
		"duplicate name":      `{"scenarios": [{"name": "x", "broker": {}, "steps": [{"sleep_ms": 1}]}, {"name": "x", "broker": {}, "steps": [{"sleep_ms": 1}]}]}`,
		"half binds":          `{"scenarios": [{"name": "x", "broker": {"binds": {"unix": "/a"}}, "steps": [{"sleep_ms": 1}]}]}`,
		"no scenarios":        `{}`,
		"not json":            `[`,
		"zero timeout":        `{"scenarios": [{"name": "x", "broker": {"timeout": 0}, "steps": [{"sleep_ms": 1}]}]}`,
		"register wrong type": wrap(`{"conn": "A", "register": 5}`),
	}
	for name, doc := range cases {
		if _, err := parseFile("bad.json", []byte(doc)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// Unknown keys are ignored; defaults apply.
	ss, err := parseFile("ok.json", []byte(wrap(`{"conn": "A", "expect": "01", "note": "n", "extra": [1]}`)))
	if err != nil {
		t.Fatal(err)
	}
	if st := ss[0].Steps[0]; st.Kind != KindExpect || st.Within != defaultWithin || st.Note != "n" {
		t.Errorf("step %+v", st)
	}
}

func FuzzParseFile(f *testing.F) {
	f.Add([]byte(`{"scenarios": [{"name": "x", "broker": {"timeout": 5}, "steps": [{"conn": "A", "expect": "01", "mask": "ff"}]}]}`))
	f.Add([]byte(`{"scenarios": [{"name": "x", "broker": {}, "steps": [{"conn": "A", "expect_unordered": [{"expect": "01"}]}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		ss, err := parseFile("fuzz.json", data)
		if err != nil {
			return
		}
		for _, s := range ss {
			for _, st := range s.Steps {
				if st.Mask != nil && len(st.Mask) != len(st.Data) {
					t.Fatalf("mask length %d for %d bytes", len(st.Mask), len(st.Data))
				}
			}
		}
	})
}
