// Command listener subscribes to example/# and prints every frame it
// receives until interrupted:
//
//	go run ./examples/listener [socket]
//
// The socket defaults to /tmp/busrt.sock (a host:port works too). Run
// ./examples/sender next to it.
package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"os/signal"

	"github.com/busrt-go/busrt/proto"
	"github.com/busrt-go/busrt/rtclient"
)

func main() {
	addr := "/tmp/busrt.sock"
	if len(os.Args) > 1 {
		addr = os.Args[1]
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	c, err := rtclient.Dial(ctx, addr, rtclient.Config{Name: "example.listener"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	if err := c.Subscribe(ctx, proto.QoSProcessed, "example/#"); err != nil {
		log.Fatal(err)
	}
	fmt.Println("listening as example.listener, Ctrl-C to stop")
	for {
		select {
		case f, ok := <-c.Frames():
			if !ok {
				log.Fatal(c.Err())
			}
			fmt.Printf("%v from %s topic %q: %s\n", f.Kind, f.Sender, f.Topic, f.Payload)
			f.Release() // the frame's buffer goes back to the pool
		case <-ctx.Done():
			return
		}
	}
}
