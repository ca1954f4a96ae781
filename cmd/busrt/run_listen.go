package main

import (
	"context"
	"fmt"
	"time"

	"github.com/busrt-go/busrt/proto"
	"github.com/busrt-go/busrt/rtclient"
)

// listenPing is the keep-alive period of `listen`, as upstream's.
const listenPing = 500 * time.Millisecond

func runListen(ctx context.Context, c *cli, o *cmdOpts, _ []string) error {
	cl, err := c.connect(ctx, listenPing)
	if err != nil {
		return err
	}
	defer cl.Close()
	octx, cancel := c.opContext(ctx)
	defer cancel()
	for _, t := range o.exclude {
		c.infof("excluding a topic %s", t)
	}
	// Both frames go out even with empty lists (the empty topic).
	if err := cl.Exclude(octx, proto.QoSProcessed, o.exclude...); err != nil {
		return c.opError("exclude", err)
	}
	if err := c.subscribe(octx, cl, o.topics); err != nil {
		return err
	}
	c.sep()
	fmt.Fprintf(c.out, "Listening to messages for %s ...\n", c.name)
	for {
		select {
		case f, ok := <-cl.Frames():
			if !ok {
				c.infof("Disconnected: %v", cl.Err())
				return nil
			}
			c.printFrame(f)
			f.Release()
		case <-ctx.Done():
			return nil
		}
	}
}

func (c *cli) subscribe(ctx context.Context, cl rtclient.Client, topics []string) error {
	for _, t := range topics {
		c.infof("subscribing to a topic %s", t)
	}
	if err := cl.Subscribe(ctx, proto.QoSProcessed, topics...); err != nil {
		return c.opError("subscribe", err)
	}
	return nil
}

func runRPCListen(ctx context.Context, c *cli, o *cmdOpts, _ []string) error {
	cl, err := c.connect(ctx, 0)
	if err != nil {
		return err
	}
	defer cl.Close()
	// The handlers come first: a call or frame that arrives before the
	// subscription is acknowledged is printed at once, not left queued.
	// One at a time, in arrival order, so that the prints do not mix.
	rtclient.NewRPC(cl, rtclient.RPCConfig{
		BlockingCalls: true, BlockingNotifications: true, BlockingFrames: true,
		OnFrame: func(_ context.Context, f *rtclient.Frame) { c.printFrame(f) },
		OnNotification: func(_ context.Context, ev *rtclient.Event) {
			c.infof("Incoming RPC notification %s byte(s)", fnum(uint64(len(ev.Payload))))
			fmt.Fprintf(c.out, "Notification from %s (%s)\n", ev.Sender, ev.PrimarySender())
			c.printPayload(ev.Payload, false)
			c.sep()
		},
		OnCall: func(_ context.Context, ev *rtclient.Event) ([]byte, error) {
			c.infof("Incoming RPC call")
			fmt.Fprintf(c.out, "method: %s\n", ev.Method)
			fmt.Fprintf(c.out, "from %s (%s)\n", ev.Sender, ev.PrimarySender())
			c.printPayload(ev.Payload, false)
			c.sep()
			return nil, nil // an empty successful result
		},
	})
	octx, cancel := c.opContext(ctx)
	defer cancel()
	if err := c.subscribe(octx, cl, o.topics); err != nil {
		return err
	}
	c.sep()
	fmt.Fprintf(c.out, "Listening to RPC messages for %s ...\n", c.name)
	select {
	case <-cl.Done():
		c.infof("Disconnected: %v", cl.Err())
	case <-ctx.Done():
	}
	return nil
}
