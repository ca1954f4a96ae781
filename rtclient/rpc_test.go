package rtclient_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/busrt-go/busrt/bus"
	"github.com/busrt-go/busrt/gen"
	"github.com/busrt-go/busrt/proto"
	"github.com/busrt-go/busrt/rtclient"
)

// echo answers with its params.
func echo(_ context.Context, ev *rtclient.Event) ([]byte, error) {
	return append(ev.Buffer(), ev.Payload...), nil
}

// rpcPair connects two RPC endpoints a and b; b serves "echo", "fail",
// "busy" and "sender", and counts call0s and notifications.
type rpcPair struct {
	a, b       *rtclient.RPC
	notes      chan string
	call0s     chan uint32
	blockCalls chan struct{} // "block" waits on it
}

func newRPCPair(t *testing.T, tb *testBroker, cfgA, cfgB rtclient.RPCConfig) *rpcPair {
	t.Helper()
	p := &rpcPair{notes: make(chan string, 100), call0s: make(chan uint32, 100), blockCalls: make(chan struct{})}
	cfgB.OnNotification = func(_ context.Context, ev *rtclient.Event) {
		p.notes <- string(ev.Sender) + ":" + string(ev.Payload)
	}
	p.a = rtclient.NewRPC(tb.connect(t, "rpc.a"), cfgA)
	p.b = rtclient.NewRPC(tb.connect(t, "rpc.b"), cfgB)
	p.a.Handle("echo", echo)
	p.b.Handle("echo", echo)
	p.b.Handle("fail", func(_ context.Context, ev *rtclient.Event) ([]byte, error) {
		return nil, rtclient.NewRPCError(-32000, []byte("custom failure"))
	})
	p.b.Handle("plain", func(context.Context, *rtclient.Event) ([]byte, error) {
		return nil, errors.New("plain error")
	})
	p.b.Handle("bus", func(context.Context, *rtclient.Event) ([]byte, error) {
		return nil, proto.CodeAccess.Err()
	})
	p.b.Handle("panic", func(context.Context, *rtclient.Event) ([]byte, error) {
		panic("boom")
	})
	p.b.Handle("block", func(ctx context.Context, ev *rtclient.Event) ([]byte, error) {
		select {
		case <-p.blockCalls:
		case <-ctx.Done():
		}
		return nil, nil
	})
	p.b.Handle("sender", func(_ context.Context, ev *rtclient.Event) ([]byte, error) {
		return append(ev.Buffer(), ev.Sender...), nil
	})
	p.b.Handle("call0", func(_ context.Context, ev *rtclient.Event) ([]byte, error) {
		p.call0s <- ev.CallID
		return []byte("ignored"), nil
	})
	t.Cleanup(func() {
		select {
		case <-p.blockCalls:
		default:
			close(p.blockCalls)
		}
	})
	return p
}

func callString(t *testing.T, r *rtclient.RPC, target, method, params string, qos proto.QoS) (string, error) {
	t.Helper()
	rep, err := r.Call(ctxT(t), target, method, []byte(params), qos)
	if err != nil {
		return "", err
	}
	defer rep.Release()
	return string(rep.Data), nil
}

func wantRPCError(t *testing.T, err error, code int16, data string) *rtclient.RPCError {
	t.Helper()
	var re *rtclient.RPCError
	if !errors.As(err, &re) {
		t.Fatalf("error %T %v is not an *RPCError", err, err)
	}
	if re.Code != code || (data != "*" && string(re.Data) != data) {
		t.Fatalf("RPC error %d %q, want %d %q", re.Code, re.Data, code, data)
	}
	return re
}

func TestRPCCallsBothWays(t *testing.T) {
	forEachTransport(t, func(t *testing.T, tb *testBroker) {
		p := newRPCPair(t, tb, rtclient.RPCConfig{}, rtclient.RPCConfig{})
		for _, q := range allQoS {
			got, err := callString(t, p.a, "rpc.b", "echo", "a->b "+q.String(), q)
			if err != nil || got != "a->b "+q.String() {
				t.Fatalf("%v a->b: %q %v", q, got, err)
			}
			got, err = callString(t, p.b, "rpc.a", "echo", "b->a", q)
			if err != nil || got != "b->a" {
				t.Fatalf("%v b->a: %q %v", q, got, err)
			}
		}
		// Empty params, empty result.
		got, err := callString(t, p.a, "rpc.b", "echo", "", proto.QoSProcessed)
		if err != nil || got != "" {
			t.Fatalf("empty: %q %v", got, err)
		}
		// The reply goes to the full sender name: a secondary gets its own.
		sec, err := p.a.Client().RegisterSecondary(ctxT(t))
		if err != nil {
			t.Fatal(err)
		}
		defer sec.Close()
		rs := rtclient.NewRPC(sec, rtclient.RPCConfig{})
		got, err = callString(t, rs, "rpc.b", "sender", "", proto.QoSProcessed)
		if err != nil || got != "rpc.a%%0" {
			t.Fatalf("secondary caller: %q %v", got, err)
		}
	})
}

func TestRPCReplyQoS(t *testing.T) {
	forEachTransport(t, func(t *testing.T, tb *testBroker) {
		p := newRPCPair(t, tb, rtclient.RPCConfig{}, rtclient.RPCConfig{})
		for _, q := range allQoS {
			rep, err := p.a.Call(ctxT(t), "rpc.b", "echo", nil, q)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Realtime != q.IsRealtime() {
				t.Fatalf("request %v: reply realtime %v", q, rep.Realtime)
			}
			rep.Release()
		}
	})
}

func TestRPCErrors(t *testing.T) {
	forEachTransport(t, func(t *testing.T, tb *testBroker) {
		p := newRPCPair(t, tb, rtclient.RPCConfig{}, rtclient.RPCConfig{})
		_, err := callString(t, p.a, "rpc.b", "fail", "", proto.QoSProcessed)
		wantRPCError(t, err, -32000, "custom failure")
		_, err = callString(t, p.a, "rpc.b", "plain", "", proto.QoSProcessed)
		wantRPCError(t, err, proto.RPCErrInternal, "plain error")
		_, err = callString(t, p.a, "rpc.b", "bus", "", proto.QoSProcessed)
		wantRPCError(t, err, -32121, "")
		_, err = callString(t, p.a, "rpc.b", "panic", "", proto.QoSProcessed)
		wantRPCError(t, err, proto.RPCErrInternal, "handler panicked: boom")
		_, err = callString(t, p.a, "rpc.b", "no.such.method", "", proto.QoSProcessed)
		wantRPCError(t, err, proto.RPCErrMethodNotFound, "")
		if !errors.Is(err, rtclient.ErrMethodNotFound) {
			t.Fatal("errors.Is by code")
		}
		// Unknown target with an ACK-requesting QoS: -32113 at once.
		_, err = callString(t, p.a, "nobody", "echo", "", proto.QoSProcessed)
		wantRPCError(t, err, -32113, "")
		if !errors.Is(err, proto.CodeNotRegistered.Err()) {
			t.Fatal("cause not kept")
		}
		// Method name with 00 is refused locally.
		_, err = callString(t, p.a, "rpc.b", "a\x00b", "", proto.QoSProcessed)
		if !errors.Is(err, rtclient.ErrInvalidMethod) {
			t.Fatalf("method with 00: %v", err)
		}
		// The endpoint still works.
		if got, err := callString(t, p.a, "rpc.b", "echo", "ok", proto.QoSProcessed); err != nil || got != "ok" {
			t.Fatalf("after errors: %q %v", got, err)
		}
	})
}

func TestRPCTimeouts(t *testing.T) {
	forEachTransport(t, func(t *testing.T, tb *testBroker) {
		p := newRPCPair(t, tb, rtclient.RPCConfig{Timeout: 50 * time.Millisecond}, rtclient.RPCConfig{})
		// Reply timeout of the endpoint.
		_, err := callString(t, p.a, "rpc.b", "block", "", proto.QoSProcessed)
		re := wantRPCError(t, err, -32120, "")
		if !errors.Is(re, rtclient.ErrReplyTimeout) {
			t.Fatalf("cause %v", re.Unwrap())
		}
		// The caller's deadline.
		noTimeout := rtclient.NewRPC(tb.connect(t, "rpc.c"), rtclient.RPCConfig{Timeout: -1})
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		_, err = noTimeout.Call(ctx, "rpc.b", "block", nil, proto.QoSProcessed)
		wantRPCError(t, err, -32120, "")
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatal("deadline cause lost")
		}
		// Without ACK a call to nobody can only time out.
		_, err = callString(t, p.a, "nobody", "echo", "", proto.QoSNo)
		wantRPCError(t, err, -32120, "")
		// Cancelled.
		ctx, cancel = context.WithCancel(context.Background())
		go cancel()
		_, err = noTimeout.Call(ctx, "rpc.b", "block", nil, proto.QoSProcessed)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled call: %v", err)
		}
		close(p.blockCalls)
		// Late replies to abandoned calls are dropped; calls go on. p.a
		// gives a reply 50 ms: on a loaded machine a call may time out
		// again, which is no answer either way, so it is retried; a wrong
		// or failed reply fails the test.
		for deadline := time.Now().Add(5 * time.Second); ; {
			got, err := callString(t, p.a, "rpc.b", "echo", "x", proto.QoSProcessed)
			if err == nil {
				if got != "x" {
					t.Fatalf("after timeouts: reply %q, want %q", got, "x")
				}
				break
			}
			if !errors.Is(err, rtclient.ErrReplyTimeout) || time.Now().After(deadline) {
				t.Fatalf("after timeouts: %v", err)
			}
		}
	})
}

func TestRPCCall0AndNotify(t *testing.T) {
	forEachTransport(t, func(t *testing.T, tb *testBroker) {
		p := newRPCPair(t, tb, rtclient.RPCConfig{}, rtclient.RPCConfig{})
		ctx := ctxT(t)
		for _, q := range allQoS {
			if err := p.a.Call0(ctx, "rpc.b", "call0", []byte("x"), q); err != nil {
				t.Fatal(err)
			}
			select {
			case id := <-p.call0s:
				if id != 0 {
					t.Fatalf("call0 has call id %d", id)
				}
			case <-ctx.Done():
				t.Fatal("call0 not handled")
			}
			if err := p.a.Notify(ctx, "rpc.b", []byte("note "+q.String()), q); err != nil {
				t.Fatal(err)
			}
			select {
			case n := <-p.notes:
				if n != "rpc.a:note "+q.String() {
					t.Fatalf("notification %q", n)
				}
			case <-ctx.Done():
				t.Fatal("notification not handled")
			}
		}
		if err := p.a.Call0(ctx, "nobody", "x", nil, proto.QoSProcessed); !errors.Is(err, proto.CodeNotRegistered.Err()) {
			t.Fatalf("call0 to nobody: %v", err)
		}
		if err := p.a.Notify(ctx, "nobody", nil, proto.QoSProcessed); !errors.Is(err, proto.CodeNotRegistered.Err()) {
			t.Fatalf("notify to nobody: %v", err)
		}
		// A call0 produces no reply: a later call still gets its own.
		if got, err := callString(t, p.a, "rpc.b", "echo", "after", proto.QoSProcessed); err != nil || got != "after" {
			t.Fatalf("after call0: %q %v", got, err)
		}
	})
}

// TestRPCConcurrentCalls keeps 1000 calls of one client in flight at once:
// the callee answers none of them before it has received all of them.
func TestRPCConcurrentCalls(t *testing.T) {
	const n = 1000
	forEachTransport(t, func(t *testing.T, tb *testBroker) {
		var arrived atomic.Int32
		all := make(chan struct{})
		callee := rtclient.NewRPC(tb.connect(t, "many.callee"), rtclient.RPCConfig{})
		callee.Handle("wait", func(ctx context.Context, ev *rtclient.Event) ([]byte, error) {
			if arrived.Add(1) == n {
				close(all)
			}
			select {
			case <-all:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			return append(ev.Buffer(), ev.Payload...), nil
		})
		caller := rtclient.NewRPC(tb.connect(t, "many.caller"), rtclient.RPCConfig{Timeout: waitTimeout})
		ctx := ctxT(t)
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				want := fmt.Sprintf("call-%d", i)
				rep, err := caller.Call(ctx, "many.callee", "wait", []byte(want), allQoS[i%4])
				if err != nil {
					errs <- err
					return
				}
				if string(rep.Data) != want {
					errs <- fmt.Errorf("call %d got %q", i, rep.Data)
				}
				rep.Release()
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
	})
}

func TestRPCBlockingInOrder(t *testing.T) {
	forEachTransport(t, func(t *testing.T, tb *testBroker) {
		const n = 200
		seq := make(chan uint32, n)
		callee := rtclient.NewRPC(tb.connect(t, "ord.callee"), rtclient.RPCConfig{BlockingCalls: true, BlockingNotifications: true})
		helper := rtclient.NewRPC(tb.connect(t, "ord.helper"), rtclient.RPCConfig{})
		helper.Handle("echo", echo)
		callee.Handle("seq", func(ctx context.Context, ev *rtclient.Event) ([]byte, error) {
			seq <- binary.LittleEndian.Uint32(ev.Payload)
			// A blocking handler may call out: replies are matched on
			// the reader goroutine, not in the in-order queue.
			rep, err := callee.Call(ctx, "ord.helper", "echo", ev.Payload, proto.QoSProcessed)
			if err != nil {
				return nil, err
			}
			defer rep.Release()
			return append(ev.Buffer(), rep.Data...), nil
		})
		caller := rtclient.NewRPC(tb.connect(t, "ord.caller"), rtclient.RPCConfig{Timeout: waitTimeout})
		ctx := ctxT(t)
		// Sent in order without waiting (call0), handled in order.
		for i := range uint32(n) {
			if err := caller.Call0(ctx, "ord.callee", "seq", binary.LittleEndian.AppendUint32(nil, i), proto.QoSNo); err != nil {
				t.Fatal(err)
			}
		}
		for i := range uint32(n) {
			select {
			case got := <-seq:
				if got != i {
					t.Fatalf("handled %d, want %d", got, i)
				}
			case <-ctx.Done():
				t.Fatalf("call %d not handled", i)
			}
		}
		rep, err := caller.Call(ctx, "ord.callee", "seq", binary.LittleEndian.AppendUint32(nil, 7), proto.QoSProcessed)
		if err != nil {
			t.Fatal(err)
		}
		if binary.LittleEndian.Uint32(rep.Data) != 7 {
			t.Fatalf("nested reply %x", rep.Data)
		}
		rep.Release()
		<-seq
	})
}

func TestRPCFramesAndInvalidMessages(t *testing.T) {
	forEachTransport(t, func(t *testing.T, tb *testBroker) {
		frames := make(chan string, 10)
		r := rtclient.NewRPC(tb.connect(t, "inv.r"), rtclient.RPCConfig{
			BlockingFrames: true, // in arrival order
			OnFrame: func(_ context.Context, f *rtclient.Frame) {
				frames <- fmt.Sprintf("%v %s %s", f.Kind, f.Topic, f.Payload)
			},
		})
		r.Handle("echo", echo)
		raw := tb.connect(t, "inv.raw")
		ctx := ctxT(t)
		if err := r.Client().Subscribe(ctx, proto.QoSProcessed, "inv/#"); err != nil {
			t.Fatal(err)
		}
		// Invalid RPC payloads are dropped without a reply; a broadcast and
		// a publication reach OnFrame.
		for _, bad := range [][]byte{nil, {0x55}, {0x01, 1, 0, 0}, {0x01, 1, 0, 0, 0, 'x'}, {0x11, 1}, {0x12, 1, 0, 0, 0, 0}} {
			if err := raw.Send(ctx, "inv.r", bad, proto.QoSProcessed); err != nil {
				t.Fatal(err)
			}
		}
		if err := raw.Broadcast(ctx, "inv.*", []byte("bc"), proto.QoSProcessed); err != nil {
			t.Fatal(err)
		}
		if err := raw.Publish(ctx, "inv/x", []byte("pub"), proto.QoSProcessed); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"BROADCAST  bc", "PUBLISH inv/x pub"} {
			select {
			case got := <-frames:
				if got != want {
					t.Fatalf("frame handler got %q, want %q", got, want)
				}
			case <-ctx.Done():
				t.Fatal("frame handler not called")
			}
		}
		// A raw client calling by hand gets exactly one reply.
		req := proto.AppendRPCRequest(nil, 42, []byte("echo"), []byte("hi"))
		if err := raw.Send(ctx, "inv.r", req, proto.QoSProcessed); err != nil {
			t.Fatal(err)
		}
		f := recvFrame(t, raw)
		if f.Kind == proto.KindBroadcast {
			f.Release()
			f = recvFrame(t, raw)
		}
		ev, err := proto.ParseRPCEvent(f.Payload)
		if err != nil || ev.Type != proto.RPCReply || ev.CallID != 42 || string(ev.Data) != "hi" || f.Realtime {
			t.Fatalf("manual call: %+v %v", ev, err)
		}
		f.Release()
	})
}

func TestRPCBrokerAPI(t *testing.T) {
	forEachTransport(t, func(t *testing.T, tb *testBroker) {
		r := rtclient.NewRPC(tb.connect(t, "api.client"), rtclient.RPCConfig{})
		tb.connect(t, "api.other")
		ctx := ctxT(t)
		if err := r.BrokerTest(ctx); err != nil {
			t.Fatal(err)
		}
		info, err := r.BrokerInfo(ctx)
		if err != nil || info.Version.String() != bus.Version || info.Author.String() != bus.Author {
			t.Fatalf("info %+v %v", info, err)
		}
		st, err := r.BrokerStats(ctx)
		if err != nil || st.RFrames == 0 {
			t.Fatalf("stats %+v %v", st, err)
		}
		list, err := r.BrokerClientList(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, c := range list.Clients {
			names = append(names, c.Name.String())
		}
		if fmt.Sprint(names) != "[.broker api.client api.other]" {
			t.Fatalf("client.list %v", names)
		}
		list, err = r.BrokerClientList(ctx, "^api\\.o")
		if err != nil || len(list.Clients) != 1 || list.Clients[0].Name.String() != "api.other" {
			t.Fatalf("filtered %+v %v", list, err)
		}
		_, err = r.BrokerClientList(ctx, "(")
		wantRPCError(t, err, proto.RPCErrParse, "*")
		// Typed call of a user method with gen types both ways.
		svc := rtclient.NewRPC(tb.connect(t, "api.svc"), rtclient.RPCConfig{})
		svc.Handle("double", func(_ context.Context, ev *rtclient.Event) ([]byte, error) {
			var in gen.Stats
			if err := rtclient.DecodeParams(ev, &in); err != nil {
				return nil, err
			}
			in.Uptime *= 2
			return rtclient.EncodeResult(ev, &in)
		})
		var out gen.Stats
		if err := rtclient.CallMsg(ctx, r, "api.svc", "double", &gen.Stats{Uptime: 21}, &out, proto.QoSProcessed); err != nil || out.Uptime != 42 {
			t.Fatalf("typed call: %+v %v", out, err)
		}
		err = rtclient.CallMsg(ctx, r, "api.svc", "double", rtclient.Empty{}, &out, proto.QoSProcessed)
		wantRPCError(t, err, proto.RPCErrInvalidParams, "*")
		if err := rtclient.Call0Msg(ctx, r, "api.svc", "double", &out, proto.QoSProcessed); err != nil {
			t.Fatal(err)
		}
		if err := rtclient.NotifyMsg(ctx, r, "api.svc", &out, proto.QoSProcessed); err != nil {
			t.Fatal(err)
		}
	})
}

func TestRPCCodeMapping(t *testing.T) {
	cases := []struct {
		err  error
		code int16
	}{
		{nil, 0},
		{proto.CodeNotRegistered.Err(), -32113},
		{proto.CodeTimeout.Err(), -32120}, // upstream's Rust client: -32116
		{proto.CodeEOF.Err(), -32255},     // upstream's Rust client: -32116
		{fmt.Errorf("wrapped: %w", proto.CodeAccess.Err()), -32121},
		{rtclient.ErrClosed, -32255},
		{fmt.Errorf("x: %w", rtclient.ErrDisconnected), -32255},
		{context.DeadlineExceeded, -32120},
		{rtclient.ErrReplyTimeout, -32120},
		{rtclient.ErrMethodNotFound, -32601},
		{errors.New("other"), -32603},
	}
	for _, c := range cases {
		if got := rtclient.RPCCode(c.err); got != c.code {
			t.Errorf("RPCCode(%v) = %d, want %d", c.err, got, c.code)
		}
	}
	if proto.UpstreamRPCCodeFromBus(proto.CodeTimeout) != -32116 {
		t.Error("upstream quirk changed")
	}
}
