// Command rpc-caller calls the methods of ./examples/rpc-server and the
// broker's own API:
//
//	go run ./examples/rpc-caller [socket]
//
// The socket defaults to /tmp/busrt.sock (a host:port works too).
package main

import (
	"context"
	"errors"
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
	c, err := rtclient.Dial(ctx, addr, rtclient.Config{Name: "example.caller"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	r := rtclient.NewRPC(c, rtclient.RPCConfig{})

	info, err := r.BrokerInfo(ctx) // typed call of the `.broker` API
	if err != nil {
		log.Fatal("broker info: ", err)
	}
	fmt.Printf("broker %s, %s\n", info.Version, info.Author)

	for _, method := range []string{"echo", "time", "no.such.method"} {
		rep, err := r.Call(ctx, "example.rpc", method, []byte("ping"), proto.QoSProcessed)
		var rpcErr *rtclient.RPCError
		switch {
		case errors.As(err, &rpcErr): // an error reply, or -32113 when the server is not running
			fmt.Printf("%s: RPC error %d %s\n", method, rpcErr.Code, rpcErr.Data)
		case err != nil:
			log.Fatal(err)
		default:
			fmt.Printf("%s: %s\n", method, rep.Data)
			rep.Release() // the reply's buffer goes back to the pool
		}
	}
	if err := r.Notify(ctx, "example.rpc", []byte("bye"), proto.QoSProcessed); err != nil {
		fmt.Println("notify:", err)
	}
}
