// Command embedded runs a BUS/RT broker inside the program with several
// in-process clients: a direct message, a publication to two subscribers
// and an RPC call, all without a socket.
//
//	go run ./examples/embedded
package main

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/busrt-go/busrt/bus"
	"github.com/busrt-go/busrt/proto"
	"github.com/busrt-go/busrt/rtclient"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	b := bus.New(bus.Config{}) // the broker, with its `.broker` service

	// Two plain embedded clients: the bus API is synchronous, its error is
	// the ACK a socket client would get.
	sensor, err := b.Register("plant.sensor")
	check(err)
	panel, err := b.Register("plant.panel")
	check(err)
	logger, err := b.Register("plant.logger")
	check(err)
	check(panel.Subscribe("plant/temp/#"))
	check(logger.Subscribe("plant/#"))

	check(sensor.Send("plant.panel", []byte("hello panel"), proto.QoSProcessed))
	show(panel)
	check(sensor.Publish("plant/temp/boiler", []byte("81.5"), proto.QoSNo))
	show(panel)
	show(logger)

	// An RPC server and a caller through rtclient's embedded adapter: the
	// same code would run over a UNIX or TCP socket with rtclient.Dial.
	srvC, err := rtclient.RegisterEmbedded(b, "plant.calc")
	check(err)
	srv := rtclient.NewRPC(srvC, rtclient.RPCConfig{})
	srv.Handle("double", func(_ context.Context, ev *rtclient.Event) ([]byte, error) {
		return append(append([]byte(nil), ev.Payload...), ev.Payload...), nil
	})
	callC, err := rtclient.RegisterEmbedded(b, "plant.hmi")
	check(err)
	caller := rtclient.NewRPC(callC, rtclient.RPCConfig{})
	rep, err := caller.Call(ctx, "plant.calc", "double", []byte("ab"), proto.QoSProcessed)
	check(err)
	fmt.Printf("plant.calc double(ab) = %s\n", rep.Data)
	rep.Release()
	check(caller.BrokerTest(ctx))
	fmt.Println(".broker test: ok")
}

// show prints the next frame the client received.
func show(e *bus.EmbeddedClient) {
	select {
	case d := <-e.Frames():
		fmt.Printf("%s got %s from %s", e.Name(), d.Kind, d.Sender)
		if d.Topic != nil {
			fmt.Printf(" on %s", d.Topic)
		}
		fmt.Printf(": %s\n", d.Payload)
		d.Release()
	case <-time.After(time.Second):
		log.Fatalf("%s received nothing", e.Name())
	}
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
