// Command rpc-server answers RPC calls as example.rpc until interrupted:
//
//	go run ./examples/rpc-server [socket]
//
// Methods: "echo" returns its params, "time" the server's time, anything
// else is METHOD_NOT_FOUND. Notifications are printed. Call it with
// ./examples/rpc-caller, or with `busrt /tmp/busrt.sock rpc call
// example.rpc echo x=1`.
package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"os/signal"
	"time"

	"github.com/busrt-go/busrt/rtclient"
)

func main() {
	addr := "/tmp/busrt.sock"
	if len(os.Args) > 1 {
		addr = os.Args[1]
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	c, err := rtclient.Dial(ctx, addr, rtclient.Config{Name: "example.rpc"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	r := rtclient.NewRPC(c, rtclient.RPCConfig{
		OnNotification: func(_ context.Context, ev *rtclient.Event) {
			fmt.Printf("notification from %s: %s\n", ev.Sender, ev.Payload)
		},
	})
	r.Handle("echo", func(_ context.Context, ev *rtclient.Event) ([]byte, error) {
		// ev is valid until the handler returns; Buffer is reused memory.
		return append(ev.Buffer(), ev.Payload...), nil
	})
	r.Handle("time", func(_ context.Context, ev *rtclient.Event) ([]byte, error) {
		return time.Now().AppendFormat(ev.Buffer(), time.RFC3339Nano), nil
	})
	fmt.Println("serving as example.rpc, Ctrl-C to stop")
	select {
	case <-ctx.Done():
	case <-c.Done():
		log.Fatal(c.Err())
	}
}
