package bus_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/netip"
	"os"
	"path/filepath"
	"time"

	"github.com/busrt-go/busrt/bus"
	"github.com/busrt-go/busrt/netloop"
	"github.com/busrt-go/busrt/proto"
	"github.com/busrt-go/busrt/rtclient"
)

// An embedded broker with two in-process clients exchanging a publication
// and a direct message. No sockets are involved: every operation routes
// synchronously in the caller's goroutine, and the returned error is the
// ACK a socket client would get.
func Example() {
	b := bus.New(bus.Config{}) // registers the `.broker` service too

	sensor, err := b.Register("plant.sensor")
	if err != nil {
		log.Fatal(err)
	}
	defer sensor.Close()
	display, err := b.Register("plant.display")
	if err != nil {
		log.Fatal(err)
	}
	defer display.Close()

	if err := display.Subscribe("plant/+/temp"); err != nil {
		log.Fatal(err)
	}
	if err := sensor.Publish("plant/boiler/temp", []byte("81.5"), proto.QoSProcessed); err != nil {
		log.Fatal(err)
	}
	if err := sensor.Send("plant.display", []byte("hello"), proto.QoSProcessed); err != nil {
		log.Fatal(err)
	}

	for range 2 {
		d := <-display.Frames()
		fmt.Printf("%v from %s topic=%q payload=%q\n", d.Kind, d.Sender, d.Topic, d.Payload)
		d.Release() // d's slices must not be used after this
	}
	// Output:
	// PUBLISH from plant.sensor topic="plant/boiler/temp" payload="81.5"
	// MESSAGE from plant.sensor topic="" payload="hello"
}

// A direct message to a name nobody holds fails with NOT_REGISTERED, as
// the ACK of a socket client would say.
func ExampleEmbeddedClient_Send() {
	b := bus.New(bus.Config{})
	c, err := b.Register("app.worker")
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	err = c.Send("app.absent", []byte("ping"), proto.QoSProcessed)
	fmt.Println(err)
	fmt.Println(errors.Is(err, proto.CodeNotRegistered.Err()))
	// Output:
	// busrt: client not registered (0x71)
	// true
}

// Secondary clients are named PRIMARY%%N and live only as long as their
// primary: closing the primary removes them too.
func ExampleEmbeddedClient_RegisterSecondary() {
	b := bus.New(bus.Config{})
	svc, err := b.Register("app.svc")
	if err != nil {
		log.Fatal(err)
	}
	sec, err := svc.RegisterSecondary()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(sec.Name())

	svc.Close()
	<-sec.Done() // the broker removed the secondary with its primary
	fmt.Println("secondary gone")
	// Output:
	// app.svc%%0
	// secondary gone
}

// A listener with an AAA map admits only the primary names in it, each
// with its own rules. The rules apply to socket clients (embedded clients
// are never checked); here the broker is served by netloop on a UNIX
// socket in a temporary directory and the clients are rtclient
// SocketClients.
func ExampleNewAAAMap() {
	dir, err := os.MkdirTemp("", "aaa")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	sock := filepath.Join(dir, "bus.sock")

	aaa := bus.NewAAAMap()
	aaa.Set("sensor", bus.NewClientAAA().
		AllowPublishTo("sensors/#"). // publish below sensors/ only
		DenySubscribe().             // no subscriptions at all
		AllowP2PTo(".broker").       // direct messages to .broker only
		HostsAllow(netip.MustParsePrefix("127.0.0.0/8")))

	b := bus.New(bus.Config{})
	srv, err := netloop.New(b, netloop.Config{Binds: []netloop.Listener{{Addr: sock, AAA: aaa}}, Loops: 1})
	if err != nil {
		log.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		log.Fatal(err)
	}
	defer srv.Shutdown(context.Background())

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err = rtclient.Dial(ctx, sock, rtclient.Config{Name: "stranger"}) // not in the map
	fmt.Println("stranger refused:", errors.Is(err, proto.CodeAccess.Err()))

	c, err := rtclient.Dial(ctx, sock, rtclient.Config{Name: "sensor"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	fmt.Println("publish sensors/t1:", c.Publish(ctx, "sensors/t1", []byte("20"), proto.QoSProcessed))
	fmt.Println("publish other/t1:", c.Publish(ctx, "other/t1", []byte("20"), proto.QoSProcessed))
	fmt.Println("subscribe #:", c.Subscribe(ctx, proto.QoSProcessed, "#"))
	// Output:
	// stranger refused: true
	// publish sensors/t1: <nil>
	// publish other/t1: busrt: access denied (0x79)
	// subscribe #: busrt: access denied (0x79)
}

// ForceDisconnect drops a socket client: it is unregistered (with an
// `unreg` announcement) and its connection closed. Embedded clients cannot
// be force-disconnected; unknown names are not registered.
func ExampleBroker_ForceDisconnect() {
	dir, err := os.MkdirTemp("", "fd")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	sock := filepath.Join(dir, "bus.sock")

	b := bus.New(bus.Config{})
	srv, err := netloop.New(b, netloop.Config{Binds: []netloop.Listener{{Addr: sock}}, Loops: 1})
	if err != nil {
		log.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		log.Fatal(err)
	}
	defer srv.Shutdown(context.Background())

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := rtclient.Dial(ctx, sock, rtclient.Config{Name: "app.misbehaving"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	fmt.Println(b.ForceDisconnect("app.misbehaving"))
	<-c.Done() // the client sees the connection close
	fmt.Println(errors.Is(c.Err(), rtclient.ErrDisconnected))
	fmt.Println(b.ForceDisconnect(bus.CoreName)) // embedded
	fmt.Println(b.ForceDisconnect("app.absent"))
	// Output:
	// <nil>
	// true
	// bus: not supported for embedded clients
	// bus: client not registered
}

// An embedder can serve its own `.broker` API: Config.NoCoreService skips
// the built-in one, the program registers an embedded client under the
// name and answers calls with an rtclient RPC endpoint, and SetCore makes
// that client the sender of the broker's announcements.
func ExampleBroker_SetCore() {
	b := bus.New(bus.Config{NoCoreService: true})
	core, err := rtclient.RegisterEmbedded(b, bus.CoreName)
	if err != nil {
		log.Fatal(err)
	}
	defer core.Close()
	b.SetCore(core.Bus()) // announcements (reg, unreg, shutdown) come from here
	svc := rtclient.NewRPC(core, rtclient.RPCConfig{})
	svc.Handle("version", func(_ context.Context, ev *rtclient.Event) ([]byte, error) {
		return append(ev.Buffer(), "my-app 2.0"...), nil
	})

	caller, err := rtclient.RegisterEmbedded(b, "app.caller")
	if err != nil {
		log.Fatal(err)
	}
	defer caller.Close()
	r := rtclient.NewRPC(caller, rtclient.RPCConfig{})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	rep, err := r.Call(ctx, bus.CoreName, "version", nil, proto.QoSProcessed)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s\n", rep.Data)
	rep.Release()
	_, err = r.Call(ctx, bus.CoreName, "test", nil, proto.QoSProcessed) // not served any more
	fmt.Println(errors.Is(err, rtclient.ErrMethodNotFound))
	// Output:
	// my-app 2.0
	// true
}
