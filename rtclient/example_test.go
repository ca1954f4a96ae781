package rtclient_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/busrt-go/busrt/bus"
	"github.com/busrt-go/busrt/gen"
	"github.com/busrt-go/busrt/netloop"
	"github.com/busrt-go/busrt/proto"
	"github.com/busrt-go/busrt/rtclient"
)

// An RPC call to the broker's built-in `.broker` service from an embedded
// client: the same code runs over a socket with a SocketClient from Dial.
func ExampleRPC_BrokerTest() {
	b := bus.New(bus.Config{})
	c, err := rtclient.RegisterEmbedded(b, "app.caller")
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	r := rtclient.NewRPC(c, rtclient.RPCConfig{})

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	fmt.Println("test:", r.BrokerTest(ctx))

	// The same call, untyped: the reply is MessagePack {"ok": true}.
	rep, err := r.Call(ctx, rtclient.BrokerTarget, "test", nil, proto.QoSProcessed)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("% x\n", rep.Data)
	rep.Release() // rep.Data must not be used after this

	// An unknown method is an error reply with code -32601.
	_, err = r.Call(ctx, rtclient.BrokerTarget, "no.such.method", nil, proto.QoSProcessed)
	fmt.Println(err, errors.Is(err, rtclient.ErrMethodNotFound))
	// Output:
	// test: <nil>
	// 81 a2 6f 6b c3
	// rtclient: RPC error -32601 true
}

// CallMsg encodes the params and decodes the result with msgp-generated
// codecs: here the empty params of `test` and gen.OK, the type of its
// reply. Any type with MarshalMsg / UnmarshalMsg methods works (see
// docs/rpc.md for generating them).
func ExampleCallMsg() {
	b := bus.New(bus.Config{})
	c, err := rtclient.RegisterEmbedded(b, "app.caller")
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	r := rtclient.NewRPC(c, rtclient.RPCConfig{})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	var ok gen.OK
	if err := rtclient.CallMsg(ctx, r, rtclient.BrokerTarget, "test", rtclient.Empty{}, &ok, proto.QoSProcessed); err != nil {
		log.Fatal(err)
	}
	fmt.Println("ok:", ok.Ok)
	// Output:
	// ok: true
}

// A service answers calls with handlers registered by method name; a
// handler builds its result in ev.Buffer() and returns errors as RPC error
// replies.
func ExampleRPC_Handle() {
	b := bus.New(bus.Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	sc, err := rtclient.RegisterEmbedded(b, "app.greeter")
	if err != nil {
		log.Fatal(err)
	}
	defer sc.Close()
	svc := rtclient.NewRPC(sc, rtclient.RPCConfig{})
	svc.Handle("greet", func(_ context.Context, ev *rtclient.Event) ([]byte, error) {
		if len(ev.Payload) == 0 {
			return nil, rtclient.NewRPCError(proto.RPCErrInvalidParams, []byte("whom?"))
		}
		// ev and its slices are valid until the handler returns
		return fmt.Appendf(ev.Buffer(), "hello, %s (from %s)", ev.Payload, ev.Sender), nil
	})

	cc, err := rtclient.RegisterEmbedded(b, "app.caller")
	if err != nil {
		log.Fatal(err)
	}
	defer cc.Close()
	r := rtclient.NewRPC(cc, rtclient.RPCConfig{})

	rep, err := r.Call(ctx, "app.greeter", "greet", []byte("world"), proto.QoSProcessed)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s\n", rep.Data)
	rep.Release()

	_, err = r.Call(ctx, "app.greeter", "greet", nil, proto.QoSProcessed)
	var re *rtclient.RPCError
	if errors.As(err, &re) {
		fmt.Printf("%d %s\n", re.Code, re.Data)
	}
	_, err = r.Call(ctx, "app.absent", "greet", nil, proto.QoSProcessed)
	fmt.Println(rtclient.RPCCode(err)) // -32000 - 0x71: target not registered
	// Output:
	// hello, world (from app.caller)
	// -32602 whom?
	// -32113
}

// A broker served in-process by netloop on a UNIX socket, and a
// SocketClient that subscribes and receives its own publication. Frames
// received from Frames belong to the receiver until Release.
func ExampleDial() {
	dir, err := os.MkdirTemp("", "dial")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	sock := filepath.Join(dir, "bus.sock")

	srv, err := netloop.New(bus.New(bus.Config{}), netloop.Config{
		Binds: []netloop.Listener{{Addr: sock}},
		Loops: 1,
	})
	if err != nil {
		log.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		log.Fatal(err)
	}
	defer srv.Shutdown(context.Background())

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := rtclient.Dial(ctx, sock, rtclient.Config{Name: "app.monitor"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	// QoS Processed waits for the broker's ACK: once Subscribe returns,
	// the subscription is in force.
	if err := c.Subscribe(ctx, proto.QoSProcessed, "plant/#"); err != nil {
		log.Fatal(err)
	}
	if err := c.Publish(ctx, "plant/boiler/temp", []byte("81.5"), proto.QoSProcessed); err != nil {
		log.Fatal(err)
	}
	select {
	case f := <-c.Frames():
		fmt.Printf("%v %s from %s: %s\n", f.Kind, f.Topic, f.Sender, f.Payload)
		f.Release()
	case <-ctx.Done():
		log.Fatal("nothing received")
	}
	// Output:
	// PUBLISH plant/boiler/temp from app.monitor: 81.5
}
