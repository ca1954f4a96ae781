// Command sender publishes to example/hello, sends a direct message to
// example.listener and broadcasts to example.*:
//
//	go run ./examples/sender [socket]
//
// The socket defaults to /tmp/busrt.sock (a host:port works too).
package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/busrt-go/busrt/proto"
	"github.com/busrt-go/busrt/rtclient"
)

func main() {
	addr := "/tmp/busrt.sock"
	if len(os.Args) > 1 {
		addr = os.Args[1]
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := rtclient.Dial(ctx, addr, rtclient.Config{Name: "example.sender"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	// QoS Processed waits for the broker's acknowledgement.
	if err := c.Publish(ctx, "example/hello", []byte("hello, subscribers"), proto.QoSProcessed); err != nil {
		log.Fatal("publish: ", err)
	}
	if err := c.Send(ctx, "example.listener", []byte("hello, listener"), proto.QoSProcessed); err != nil {
		// proto.CodeNotRegistered when nobody is registered under that name
		log.Println("send:", err)
	}
	if err := c.Broadcast(ctx, "example.*", []byte("hello, everybody"), proto.QoSProcessed); err != nil {
		log.Fatal("broadcast: ", err)
	}
	fmt.Println("sent")
}
