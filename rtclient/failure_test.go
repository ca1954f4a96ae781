package rtclient_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/busrt-go/busrt/proto"
	"github.com/busrt-go/busrt/rtclient"
)

// TestBrokerDies kills the broker under clients with calls in flight: every
// waiting call returns an error, nothing hangs, and the clients say they
// are disconnected. There is no reconnection.
func TestBrokerDies(t *testing.T) {
	const calls = 100
	forEachTransport(t, func(t *testing.T, tb *testBroker) {
		var arrived atomic.Int32
		all := make(chan struct{})
		callee := rtclient.NewRPC(tb.connect(t, "die.callee"), rtclient.RPCConfig{})
		callee.Handle("hang", func(ctx context.Context, _ *rtclient.Event) ([]byte, error) {
			if arrived.Add(1) == calls {
				close(all)
			}
			<-ctx.Done() // never answers while the client lives
			return nil, nil
		})
		callerClient := tb.connect(t, "die.caller")
		caller := rtclient.NewRPC(callerClient, rtclient.RPCConfig{Timeout: -1})
		sender := tb.connect(t, "die.sender")

		var wg sync.WaitGroup
		errs := make(chan error, calls+1)
		for range calls {
			wg.Add(1)
			go func() {
				defer wg.Done()
				// No deadline at all: only the connection's end can stop it.
				_, err := caller.Call(context.Background(), "die.callee", "hang", nil, proto.QoSProcessed)
				errs <- err
			}()
		}
		wg.Add(1)
		go func() { // acknowledged operations until the broker is gone
			defer wg.Done()
			for {
				if err := sender.Publish(context.Background(), "die/topic", nil, proto.QoSProcessed); err != nil {
					errs <- err
					return
				}
			}
		}()
		select {
		case <-all:
		case <-ctxT(t).Done():
			t.Fatalf("only %d calls arrived", arrived.Load())
		}
		tb.kill()
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		waitClosed(t, "every waiting call to return", done)
		close(errs)
		n := 0
		for err := range errs {
			n++
			if err == nil {
				t.Fatal("a call succeeded after the broker died")
			}
			if !errors.Is(err, rtclient.ErrDisconnected) {
				t.Fatalf("error %v does not wrap ErrDisconnected", err)
			}
			var re *rtclient.RPCError
			if errors.As(err, &re) && re.Code != -32255 {
				t.Fatalf("RPC code %d, want -32255", re.Code)
			}
		}
		if n != calls+1 {
			t.Fatalf("%d results", n)
		}
		for _, c := range []rtclient.Client{callerClient, sender} {
			waitClosed(t, c.Name()+" done", c.Done())
			if c.IsConnected() || !errors.Is(c.Err(), rtclient.ErrDisconnected) {
				t.Fatalf("%s: connected %v err %v", c.Name(), c.IsConnected(), c.Err())
			}
			if err := c.Send(context.Background(), "x", nil, proto.QoSProcessed); !errors.Is(err, rtclient.ErrDisconnected) {
				t.Fatalf("send after death: %v", err)
			}
		}
		if _, err := caller.Call(context.Background(), "die.callee", "hang", nil, proto.QoSProcessed); !errors.Is(err, rtclient.ErrDisconnected) {
			t.Fatalf("call after death: %v", err)
		}
	})
}

// TestBrokerProcessKilled kills a broker process (SIGKILL) under clients
// that wait for replies and ACKs: every one returns an error.
func TestBrokerProcessKilled(t *testing.T) {
	bp := startBrokerProcess(t)
	for _, addr := range []string{bp.unix, bp.tcp} {
		callee, err := rtclient.Dial(ctxT(t), addr, rtclient.Config{Name: "kill.callee." + addr})
		if err != nil {
			t.Fatal(err)
		}
		defer callee.Close()
		arrived := make(chan struct{}, 10)
		rtclient.NewRPC(callee, rtclient.RPCConfig{}).Handle("hang", func(ctx context.Context, _ *rtclient.Event) ([]byte, error) {
			arrived <- struct{}{}
			<-ctx.Done()
			return nil, nil
		})
		c, err := rtclient.Dial(ctxT(t), addr, rtclient.Config{Name: "kill.caller." + addr})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		r := rtclient.NewRPC(c, rtclient.RPCConfig{Timeout: -1})
		errs := make(chan error, 10)
		for range 10 {
			go func() {
				_, err := r.Call(context.Background(), callee.Name(), "hang", nil, proto.QoSProcessed)
				errs <- err
			}()
		}
		for range 10 {
			select {
			case <-arrived:
			case <-ctxT(t).Done():
				t.Fatal("calls did not arrive")
			}
		}
		defer func() {
			for range 10 {
				select {
				case err := <-errs:
					if !errors.Is(err, rtclient.ErrDisconnected) || rtclient.RPCCode(err) != -32255 {
						t.Fatalf("waiting call: %v", err)
					}
				case <-ctxT(t).Done():
					t.Fatal("a waiting call hangs")
				}
			}
		}()
	}
	bp.kill()
}
