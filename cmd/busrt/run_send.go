package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/busrt-go/busrt/proto"
	"github.com/busrt-go/busrt/rtclient"
)

// payload returns args[i], or all of stdin when it is absent.
func (c *cli) payload(args []string, i int) ([]byte, error) {
	if len(args) > i {
		return []byte(args[i]), nil
	}
	return c.readStdin("the payload")
}

// readStdin reads all of stdin, telling a terminal user how to finish.
func (c *cli) readStdin(what string) ([]byte, error) {
	if c.inTerminal {
		fmt.Fprintln(c.out, "Reading stdin, Ctrl-D to finish...")
	}
	b, err := io.ReadAll(c.in)
	if err != nil {
		return nil, fmt.Errorf("reading %s from stdin: %w", what, err)
	}
	return b, nil
}

// oneShot connects, runs op with the operation timeout, and prints OK.
func (c *cli) oneShot(ctx context.Context, what string, op func(ctx context.Context, cl *rtclient.SocketClient) error) error {
	cl, err := c.connect(ctx, 0)
	if err != nil {
		return err
	}
	defer cl.Close()
	octx, cancel := c.opContext(ctx)
	defer cancel()
	if err := op(octx, cl); err != nil {
		return c.opError(what, err)
	}
	c.debugf("%s: acknowledged", what)
	fmt.Fprintln(c.out, "OK")
	return nil
}

func runSend(ctx context.Context, c *cli, o *cmdOpts, args []string) error {
	target := args[0]
	if strings.ContainsAny(target, "*?") { // upstream: send to a mask broadcasts
		return runBroadcast(ctx, c, o, args)
	}
	payload, err := c.payload(args, 1)
	if err != nil {
		return err
	}
	return c.oneShot(ctx, "send to "+target, func(ctx context.Context, cl *rtclient.SocketClient) error {
		return cl.Send(ctx, target, payload, proto.QoSProcessed)
	})
}

func runBroadcast(ctx context.Context, c *cli, _ *cmdOpts, args []string) error {
	payload, err := c.payload(args, 1)
	if err != nil {
		return err
	}
	return c.oneShot(ctx, "broadcast to "+args[0], func(ctx context.Context, cl *rtclient.SocketClient) error {
		return cl.Broadcast(ctx, args[0], payload, proto.QoSProcessed)
	})
}

func runPublish(ctx context.Context, c *cli, _ *cmdOpts, args []string) error {
	payload, err := c.payload(args, 1)
	if err != nil {
		return err
	}
	return c.oneShot(ctx, "publish to "+args[0], func(ctx context.Context, cl *rtclient.SocketClient) error {
		return cl.Publish(ctx, args[0], payload, proto.QoSProcessed)
	})
}

func runNotify(ctx context.Context, c *cli, _ *cmdOpts, args []string) error {
	payload, err := c.payload(args, 1)
	if err != nil {
		return err
	}
	return c.oneShot(ctx, "notify "+args[0], func(ctx context.Context, cl *rtclient.SocketClient) error {
		return rtclient.NewRPC(cl, rtclient.RPCConfig{}).Notify(ctx, args[0], payload, proto.QoSProcessed)
	})
}
