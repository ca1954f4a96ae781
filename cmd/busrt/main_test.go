package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/busrt-go/busrt/bus"
	"github.com/busrt-go/busrt/gen"
	"github.com/busrt-go/busrt/netloop"
	"github.com/busrt-go/busrt/proto"
	"github.com/busrt-go/busrt/rtclient"
)

const waitTimeout = 10 * time.Second

// syncBuffer is an output buffer written by a running command and read by
// the test; changed is closed and replaced on every write.
type syncBuffer struct {
	mu      sync.Mutex
	b       bytes.Buffer
	changed chan struct{}
}

func newSyncBuffer() *syncBuffer { return &syncBuffer{changed: make(chan struct{})} }

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	close(s.changed)
	s.changed = make(chan struct{})
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitFor waits until the output contains sub.
func (s *syncBuffer) waitFor(t *testing.T, sub string) {
	t.Helper()
	deadline := time.After(waitTimeout)
	for {
		s.mu.Lock()
		ok, ch := strings.Contains(s.b.String(), sub), s.changed
		s.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("output has no %q:\n%s", sub, s.String())
		}
	}
}

// startBroker serves a broker on a UNIX socket (netloop) and returns its
// address and the broker, for in-process helper clients.
func startBroker(t *testing.T) (string, *bus.Broker) {
	t.Helper()
	dir, err := os.MkdirTemp("", "cli")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	addr := filepath.Join(dir, "b.sock")
	b := bus.New(bus.Config{Timeout: 5 * time.Second})
	srv, err := netloop.New(b, netloop.Config{Binds: []netloop.Listener{{Addr: addr}}, Loops: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	return addr, b
}

// embedded registers an in-process helper client.
func embedded(t *testing.T, b *bus.Broker, name string) *rtclient.EmbeddedClient {
	t.Helper()
	c, err := rtclient.RegisterEmbedded(b, name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// runCLI runs the CLI with args and stdin, returning the exit code,
// stdout and stderr.
func runCLI(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	code := run(ctx, args, stdio{in: strings.NewReader(stdin), out: &out, err: &errOut})
	return code, out.String(), errOut.String()
}

func recv(t *testing.T, c rtclient.Client) *rtclient.Frame {
	t.Helper()
	select {
	case f := <-c.Frames():
		return f
	case <-time.After(waitTimeout):
		t.Fatalf("%s received nothing", c.Name())
		return nil
	}
}

func TestHelpAndVersion(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"-h"}, {"/tmp/x.sock", "--help"}} {
		code, out, _ := runCLI(t, "", args...)
		if code != 0 || !strings.Contains(out, "Usage: busrt [OPTIONS] <SOCKET> <COMMAND>") ||
			!strings.Contains(out, "--timeout") || !strings.Contains(out, "client.list") {
			t.Fatalf("%v: %d\n%s", args, code, out)
		}
	}
	helps := map[string][]string{
		"send TARGET [PAYLOAD]":                {"/tmp/x.sock", "send", "--help"},
		"publish TOPIC [PAYLOAD]":              {"publish", "--help"},
		"broadcast MASK [PAYLOAD]":             {"/tmp/x.sock", "broadcast", "-h"},
		"listen [-t TOPIC]...":                 {"/tmp/x.sock", "listen", "--help"},
		"rpc call TARGET METHOD [PARAMS]...":   {"/tmp/x.sock", "rpc", "call", "t", "m", "--help"},
		"rpc call0 TARGET":                     {"rpc", "call0", "--help"},
		"rpc listen [-t TOPIC]...":             {"/tmp/x.sock", "rpc", "listen", "--help"},
		"rpc notify TARGET":                    {"/tmp/x.sock", "rpc", "notify", "--help"},
		"broker client.list":                   {"/tmp/x.sock", "broker", "client.list", "--help"},
		"broker info":                          {"/tmp/x.sock", "broker", "info", "--help"},
		"broker <client.list|info|stats|test>": {"/tmp/x.sock", "broker", "--help"},
		"rpc <listen|notify|call0|call>":       {"/tmp/x.sock", "rpc", "--help"},
		"benchmark":                            {"/tmp/x.sock", "benchmark", "--help"},
	}
	for want, args := range helps {
		code, out, errOut := runCLI(t, "", args...)
		if code != 0 || !strings.Contains(out, "<SOCKET> "+want) {
			t.Fatalf("%v: exit %d, want %q in\n%s%s", args, code, want, out, errOut)
		}
	}
	for _, f := range []string{"-V", "--version"} {
		code, out, _ := runCLI(t, "", f)
		if code != 0 || out != "busrt 0.1.0 (BUS/RT protocol 1)\n" {
			t.Fatalf("%s: %d %q", f, code, out)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{nil, "missing <SOCKET>"},
		{[]string{"/tmp/x.sock"}, "missing <COMMAND>"},
		{[]string{"--timeout", "abc", "/tmp/x.sock", "broker", "test"}, `invalid argument "abc" for "--timeout"`},
		{[]string{"--timeout", "0", "/tmp/x.sock", "broker", "test"}, "invalid --timeout"},
		{[]string{"--no-such-flag", "/tmp/x.sock", "broker", "test"}, "unknown flag: --no-such-flag"},
		{[]string{"/tmp/x.sock", "frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"/tmp/x.sock", "send"}, "missing arguments"},
		{[]string{"/tmp/x.sock", "send", "a", "b", "c"}, "too many arguments"},
		{[]string{"/tmp/x.sock", "broker", "nope"}, `unknown broker subcommand "nope"`},
		{[]string{"/tmp/x.sock", "rpc"}, "rpc needs a subcommand"},
		{[]string{"/tmp/x.sock", "rpc", "call", "t", "m", "novalue"}, "params must be key=value words"},
	}
	for _, c := range cases {
		code, out, errOut := runCLI(t, "", c.args...)
		if code != exitUsage || !strings.Contains(errOut, c.want) || strings.Count(errOut, "\n") != 1 ||
			!strings.Contains(errOut, "see busrt --help") {
			t.Fatalf("%v: exit %d stdout %q stderr %q, want %q", c.args, code, out, errOut, c.want)
		}
	}
}

func TestConnectionErrors(t *testing.T) {
	code, out, errOut := runCLI(t, "", "-s", "/nonexistent/dir/b.sock", "broker", "test")
	if code != exitError || out != "" || strings.Count(errOut, "\n") != 1 ||
		!strings.Contains(errOut, "cannot connect to the broker at /nonexistent/dir/b.sock") ||
		!strings.Contains(errOut, "check that busrtd is running") {
		t.Fatalf("unreachable: %d %q %q", code, out, errOut)
	}
	code, _, errOut = runCLI(t, "", "ws://localhost:9924", "broker", "test")
	if code != exitError || !strings.Contains(errOut, "WebSocket is not supported") {
		t.Fatalf("ws: %d %q", code, errOut)
	}
	addr, b := startBroker(t)
	embedded(t, b, "taken")
	code, _, errOut = runCLI(t, "", "-n", "taken", addr, "broker", "test")
	if code != exitError || !strings.Contains(errOut, `refused the name "taken"`) || !strings.Contains(errOut, "-n") {
		t.Fatalf("busy: %d %q", code, errOut)
	}
}

func TestSendPublishBroadcast(t *testing.T) {
	addr, b := startBroker(t)
	ctx := context.Background()
	r := embedded(t, b, "cli.target")
	if err := r.Subscribe(ctx, proto.QoSProcessed, "cli/#"); err != nil {
		t.Fatal(err)
	}
	check := func(kind proto.Kind, topic, payload string) {
		t.Helper()
		f := recv(t, r)
		defer f.Release()
		if f.Kind != kind || string(f.Sender) != "cli.tester" || string(f.Topic) != topic || string(f.Payload) != payload {
			t.Fatalf("got %v %q %q from %q", f.Kind, f.Topic, f.Payload, f.Sender)
		}
	}
	ok := func(stdin string, args ...string) {
		t.Helper()
		code, out, errOut := runCLI(t, stdin, append([]string{"-n", "cli.tester", addr}, args...)...)
		if code != 0 || !strings.HasSuffix(out, "OK\n") || errOut != "" {
			t.Fatalf("%v: %d %q %q", args, code, out, errOut)
		}
		if !strings.HasPrefix(out, "Connecting to "+addr+", using service name cli.tester\n") {
			t.Fatalf("first line: %q", out)
		}
	}
	ok("", "send", "cli.target", "hello")
	check(proto.KindMessage, "", "hello")
	ok("from stdin\x00\x01", "send", "cli.target")
	check(proto.KindMessage, "", "from stdin\x00\x01")
	ok("", "send", "cli.*", "bc")
	check(proto.KindBroadcast, "", "bc")
	ok("", "broadcast", "?.target", "bc2")
	check(proto.KindBroadcast, "", "bc2")
	ok("", "publish", "cli/x", "pub")
	check(proto.KindPublish, "cli/x", "pub")
	ok("", "rpc", "notify", "cli.target", "note")
	check(proto.KindMessage, "", "\x00note")
	ok("", "rpc", "call0", "cli.target", "do", "x=1")
	check(proto.KindMessage, "", "\x01\x00\x00\x00\x00do\x00\x81\xa1x\x01")

	code, out, errOut := runCLI(t, "", "-s", "-n", "cli.tester", addr, "send", "nobody", "x")
	if code != exitError || out != "" || !strings.Contains(errOut, "send to nobody: the broker answered client not registered (0x71)") {
		t.Fatalf("unknown target: %d %q %q", code, out, errOut)
	}
}

// rpcService registers an in-process RPC service for the CLI to call.
func rpcService(t *testing.T, b *bus.Broker) (*rtclient.RPC, chan []byte) {
	got := make(chan []byte, 10)
	svc := rtclient.NewRPC(embedded(t, b, "cli.svc"), rtclient.RPCConfig{})
	svc.Handle("info", func(_ context.Context, ev *rtclient.Event) ([]byte, error) {
		got <- append([]byte(nil), ev.Payload...)
		return rtclient.EncodeResult(ev, &gen.BrokerInfo{Author: gen.Str("me"), Version: gen.Str("1.2.3")})
	})
	svc.Handle("json", func(context.Context, *rtclient.Event) ([]byte, error) {
		return []byte(`{"b":[1,2],"a":"x<y"}`), nil
	})
	svc.Handle("text", func(context.Context, *rtclient.Event) ([]byte, error) { return []byte("plain text"), nil })
	svc.Handle("bin", func(context.Context, *rtclient.Event) ([]byte, error) { return []byte{0xc1, 0, 1}, nil })
	svc.Handle("fail", func(context.Context, *rtclient.Event) ([]byte, error) {
		return nil, rtclient.NewRPCError(-32000, []byte("it failed"))
	})
	return svc, got
}

func TestRPCCall(t *testing.T) {
	addr, b := startBroker(t)
	_, got := rpcService(t, b)
	code, out, errOut := runCLI(t, "", addr, "rpc", "call", "cli.svc", "info", "x=1", "flag=true", "name=abc")
	want := "MSGPACK:\n{\n  \"author\": \"me\",\n  \"version\": \"1.2.3\"\n}\n"
	if code != 0 || !strings.HasSuffix(out, want) || errOut != "" {
		t.Fatalf("call: %d %q %q", code, out, errOut)
	}
	if js, _ := gen.MsgpackToJSON(<-got, false); string(js) != `{"x":1,"flag":true,"name":"abc"}` {
		t.Fatalf("params %s", js)
	}
	code, out, _ = runCLI(t, "", "-s", addr, "rpc", "call", "cli.svc", "info")
	if code != 0 || out != "{\"author\":\"me\",\"version\":\"1.2.3\"}\n" {
		t.Fatalf("silent call: %d %q", code, out)
	}
	if p := <-got; len(p) != 0 {
		t.Fatalf("no params sent as %x", p)
	}
	code, _, _ = runCLI(t, "\x81\xa1k\xc3", "-s", addr, "rpc", "call", "cli.svc", "info", "-")
	if p := <-got; code != 0 || string(p) != "\x81\xa1k\xc3" {
		t.Fatalf("stdin params: %d %x", code, p)
	}
	for method, want := range map[string]string{
		"json": "JSON:\n{\n  \"a\": \"x<y\",\n  \"b\": [\n    1,\n    2\n  ]\n}\n",
		"text": "STR:  plain text\n",
		"bin":  "HEX: c10001\n",
	} {
		code, out, _ := runCLI(t, "", addr, "rpc", "call", "cli.svc", method)
		if code != 0 || !strings.HasSuffix(out, want) {
			t.Fatalf("%s: %d %q", method, code, out)
		}
	}
	code, out, errOut = runCLI(t, "", "-s", addr, "rpc", "call", "cli.svc", "fail")
	if code != 1 || out != "" || errOut != "RPC Error -32000: it failed\n" {
		t.Fatalf("error reply: %d %q %q", code, out, errOut)
	}
	code, _, errOut = runCLI(t, "", "-s", addr, "rpc", "call", "cli.svc", "nope")
	if code != 1 || errOut != "RPC Error -32601: \n" {
		t.Fatalf("unknown method: %d %q", code, errOut)
	}
	code, _, errOut = runCLI(t, "", "-s", addr, "rpc", "call", "nobody", "x")
	if code != 1 || errOut != "RPC Error -32113: client not registered (0x71)\n" {
		t.Fatalf("unknown target: %d %q", code, errOut)
	}
	// No reply within --timeout.
	blocker := rtclient.NewRPC(embedded(t, b, "cli.slow"), rtclient.RPCConfig{})
	release := make(chan struct{})
	defer close(release)
	blocker.Handle("wait", func(context.Context, *rtclient.Event) ([]byte, error) { <-release; return nil, nil })
	code, _, errOut = runCLI(t, "", "-s", "--timeout", "0.05", addr, "rpc", "call", "cli.slow", "wait")
	if code != 1 || !strings.Contains(errOut, "timed out after 50ms; raise --timeout") {
		t.Fatalf("timeout: %d %q", code, errOut)
	}
}

func TestBrokerCommands(t *testing.T) {
	addr, b := startBroker(t)
	embedded(t, b, "cli.other")
	code, out, _ := runCLI(t, "", "-n", "cli.me", addr, "broker", "client.list")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 5 || !strings.HasPrefix(lines[1], " name") ||
		!strings.Contains(lines[1], "r_frames  r_bytes  w_frames  w_bytes  queue  ins") ||
		!strings.HasPrefix(lines[2], "-----") || !strings.HasPrefix(lines[3], " .broker    internal") ||
		!strings.HasPrefix(lines[4], " cli.other  internal") || strings.Contains(out, "cli.me ") {
		t.Fatalf("client.list: %d\n%s", code, out)
	}
	code, out, _ = runCLI(t, "", "-s", addr, "broker", "info")
	if code != 0 || !strings.Contains(out, " author   "+bus.Author) || !strings.Contains(out, " version  "+bus.Version) {
		t.Fatalf("info: %d\n%s", code, out)
	}
	code, out, _ = runCLI(t, "", "-s", addr, "broker", "stats")
	for _, k := range []string{"r_frames", "r_bytes", "w_frames", "w_bytes", "uptime"} {
		if code != 0 || !strings.Contains(out, "\n "+k+" ") {
			t.Fatalf("stats: %d\n%s", code, out)
		}
	}
	code, out, _ = runCLI(t, "", addr, "broker", "test")
	if code != 0 || !strings.HasSuffix(out, "MSGPACK:\n{\n  \"ok\": true\n}\n") {
		t.Fatalf("test: %d %q", code, out)
	}
	code, out, _ = runCLI(t, "", "-s", addr, "broker", "test")
	if code != 0 || out != "{\"ok\":true}\n" {
		t.Fatalf("silent test: %d %q", code, out)
	}
	code, out, errOut := runCLI(t, "", addr, "benchmark", "-w", "2", "-i", "200", "--warmup", "0s", "--stages", "send.qos.processed,rpc.call")
	if code != 0 || !strings.Contains(out, "--- Benchmark results") || !strings.Contains(out, "send.qos.processed") {
		t.Fatalf("benchmark: %d %q %q", code, out, errOut)
	}
}

// startCLI runs a long-lived command until the returned stop is called.
func startCLI(t *testing.T, args ...string) (*syncBuffer, func() int) {
	out := newSyncBuffer()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() { done <- run(ctx, args, stdio{in: strings.NewReader(""), out: out, err: out}) }()
	stop := func() int {
		cancel()
		select {
		case code := <-done:
			return code
		case <-time.After(waitTimeout):
			t.Fatal("command did not stop")
			return -1
		}
	}
	t.Cleanup(func() { cancel() })
	return out, stop
}

func TestListen(t *testing.T) {
	addr, b := startBroker(t)
	out, stop := startCLI(t, "-n", "cli.listener", addr, "listen", "-t", "a/#", "-t", "b/+", "--exclude", "a/secret")
	out.waitFor(t, "Listening to messages for cli.listener ...")
	if !strings.Contains(out.String(), "subscribing to a topic a/#\nsubscribing to a topic b/+\n") ||
		!strings.Contains(out.String(), "excluding a topic a/secret\n") {
		t.Fatalf("log:\n%s", out)
	}
	p := embedded(t, b, "cli.pub")
	ctx := context.Background()
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(p.Publish(ctx, "a/secret", []byte("hidden"), proto.QoSProcessed))
	must(p.Publish(ctx, "a/x", []byte(`{"k":1}`), proto.QoSProcessed))
	out.waitFor(t, "Incoming frame 7 byte(s)\nPublish from cli.pub (cli.pub)\ntopic: a/x\nJSON:\n{\n  \"k\": 1\n}\n----\n")
	must(p.Send(ctx, "cli.listener", []byte("hi"), proto.QoSProcessed))
	out.waitFor(t, "Message from cli.pub (cli.pub)\nSTR:  hi\n----\n")
	if strings.Contains(out.String(), "hidden") {
		t.Fatal("excluded topic printed")
	}
	if code := stop(); code != 0 {
		t.Fatalf("exit %d", code)
	}
}

func TestRPCListen(t *testing.T) {
	addr, b := startBroker(t)
	out, stop := startCLI(t, "-n", "cli.rpc", addr, "rpc", "listen", "-t", "t/#")
	out.waitFor(t, "Listening to RPC messages for cli.rpc ...")
	r := rtclient.NewRPC(embedded(t, b, "cli.caller"), rtclient.RPCConfig{})
	ctx := context.Background()
	rep, err := r.Call(ctx, "cli.rpc", "do.it", []byte("\x81\xa1a\x01"), proto.QoSProcessed)
	if err != nil || len(rep.Data) != 0 {
		t.Fatalf("call: %v", err)
	}
	rep.Release()
	out.waitFor(t, "Incoming RPC call\nmethod: do.it\nfrom cli.caller (cli.caller)\nMSGPACK:\n{\n  \"a\": 1\n}\n----\n")
	if err := r.Notify(ctx, "cli.rpc", []byte("n1"), proto.QoSProcessed); err != nil {
		t.Fatal(err)
	}
	out.waitFor(t, "Incoming RPC notification 2 byte(s)\nNotification from cli.caller (cli.caller)\nSTR:  n1\n----\n")
	if err := r.Client().Publish(ctx, "t/1", nil, proto.QoSProcessed); err != nil {
		t.Fatal(err)
	}
	out.waitFor(t, "Publish from cli.caller (cli.caller)\ntopic: t/1\nSTR:  \n----\n")
	if code := stop(); code != 0 {
		t.Fatalf("exit %d", code)
	}
}

func TestPrintPayload(t *testing.T) {
	var out bytes.Buffer
	c := &cli{stdio: stdio{out: &out}}
	cases := []struct {
		p      string
		silent bool
		want   string
	}{
		{`{"z":1,"a":{"y":2,"b":3}}`, false, "JSON:\n{\n  \"a\": {\n    \"b\": 3,\n    \"y\": 2\n  },\n  \"z\": 1\n}\n"},
		{`{"z":1}`, true, "{\"z\":1}\n"},
		{`[1,2]`, false, "STR:  [1,2]\n"},
		{"text", true, " text\n"},
		{"", false, "STR:  \n"},
		{"\x81\xa2ok\xc3", true, "{\"ok\":true}\n"},
		{"\x92\x01\x02", false, "MSGPACK:\n[\n  1,\n  2\n]\n"},
		{"\xc1\x00", false, "HEX: c100\n"},
		{"\xc1\x00", true, "\xc1\x00"},
		{strings.Repeat("\xc1", 300), false, "HEX: " + strings.Repeat("c1", 256) + "...\n"},
	}
	for _, tc := range cases {
		out.Reset()
		c.printPayload([]byte(tc.p), tc.silent)
		if out.String() != tc.want {
			t.Errorf("%q silent=%v: %q, want %q", tc.p, tc.silent, out.String(), tc.want)
		}
	}
	for n, want := range map[uint64]string{0: "0", 999: "999", 1000: "1_000", 1234567: "1_234_567", 100000: "100_000"} {
		if got := fnum(n); got != want {
			t.Errorf("fnum(%d) = %q", n, got)
		}
	}
}

// TestListenWireFrames checks with a fake broker what `listen` sends with
// no topics: EXCLUDE then SUBSCRIBE with empty data (the empty topic), QoS
// Processed, each acknowledged, then pings every 500 ms; it exits when the
// broker goes away.
func TestListenWireFrames(t *testing.T) {
	dir, err := os.MkdirTemp("", "clif")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	addr := filepath.Join(dir, "f.sock")
	ln, err := net.Listen("unix", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	out := newSyncBuffer()
	done := make(chan int, 1)
	go func() {
		done <- run(context.Background(), []string{"-n", "cli.wire", addr, "listen"}, stdio{in: strings.NewReader(""), out: out, err: out})
	}()
	nc, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	_ = nc.SetDeadline(time.Now().Add(waitTimeout))
	br := bufio.NewReader(nc)
	read := func(n int) []byte {
		t.Helper()
		b := make([]byte, n)
		if _, err := io.ReadFull(br, b); err != nil {
			t.Fatal(err)
		}
		return b
	}
	_, _ = nc.Write([]byte{0xEB, 1, 0})
	read(3)
	_, _ = nc.Write([]byte{1})
	if name := read(int(binary.LittleEndian.Uint16(read(2)))); string(name) != "cli.wire" {
		t.Fatalf("name %q", name)
	}
	_, _ = nc.Write([]byte{1})
	for _, op := range []proto.Op{proto.OpExclude, proto.OpSubscribe} {
		h, err := proto.DecodeHeader(read(proto.ClientHeaderSize), 0)
		if err != nil || h.Op != op || h.QoS != proto.QoSProcessed || h.Len != 0 {
			t.Fatalf("want %v with empty data: %+v %v", op, h, err)
		}
		_, _ = nc.Write(proto.AppendAck(nil, h.ID, proto.CodeOK))
	}
	start := time.Now()
	for range 2 {
		if h, err := proto.DecodeHeader(read(proto.ClientHeaderSize), 0); err != nil || !h.IsPing() || h.ID != 0 {
			t.Fatalf("want a ping: %+v %v", h, err)
		}
	}
	if d := time.Since(start); d < 700*time.Millisecond {
		t.Fatalf("two pings within %v: interval too short", d)
	}
	out.waitFor(t, "Listening to messages for cli.wire ...")
	_ = nc.Close()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit %d", code)
		}
	case <-time.After(waitTimeout):
		t.Fatal("listen did not end when the broker went away")
	}
	if !strings.Contains(out.String(), "Disconnected:") {
		t.Fatalf("output:\n%s", out)
	}
}
