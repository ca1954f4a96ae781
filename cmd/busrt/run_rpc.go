package main

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/busrt-go/busrt/gen"
	"github.com/busrt-go/busrt/proto"
	"github.com/busrt-go/busrt/rtclient"
)

// params converts PARAMS words: none → empty, "-" → stdin, key=value →
// a MessagePack map (RPC.md §7).
func (c *cli) params(words []string) ([]byte, error) {
	switch {
	case len(words) == 0:
		return nil, nil
	case len(words) == 1 && words[0] == "-":
		return c.readStdin("params")
	}
	p, err := gen.ParamsFromArgs(nil, words)
	if errors.Is(err, gen.ErrNoValue) {
		return nil, usagef("params must be key=value words: %v", err)
	}
	return p, err
}

func runCall0(ctx context.Context, c *cli, _ *cmdOpts, args []string) error {
	params, err := c.params(args[2:])
	if err != nil {
		return err
	}
	return c.oneShot(ctx, "call0 "+args[1]+" on "+args[0], func(ctx context.Context, cl *rtclient.SocketClient) error {
		return rtclient.NewRPC(cl, rtclient.RPCConfig{}).Call0(ctx, args[0], args[1], params, proto.QoSProcessed)
	})
}

func runCall(ctx context.Context, c *cli, _ *cmdOpts, args []string) error {
	params, err := c.params(args[2:])
	if err != nil {
		return err
	}
	return c.call(ctx, args[0], args[1], params, func(rep *rtclient.Reply) error {
		c.printPayload(rep.Data, c.silent)
		return nil
	})
}

// call connects, calls method on target and hands the reply to show. An
// RPC error ends the run with `RPC Error <code>: <message>` and status 1.
func (c *cli) call(ctx context.Context, target, method string, params []byte, show func(*rtclient.Reply) error) error {
	cl, err := c.connect(ctx, 0)
	if err != nil {
		return err
	}
	defer cl.Close()
	octx, cancel := c.opContext(ctx)
	defer cancel()
	r := rtclient.NewRPC(cl, rtclient.RPCConfig{Timeout: -1})
	c.debugf("calling %s on %s with %d byte(s) of params", method, target, len(params))
	rep, err := r.Call(octx, target, method, params, proto.QoSProcessed)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
			return c.opError("call "+method+" on "+target, err)
		}
		var re *rtclient.RPCError
		if !errors.As(err, &re) {
			return c.opError("call "+method+" on "+target, err)
		}
		msg := string(re.Data)
		if msg == "" && re.Unwrap() != nil { // a local failure: say which
			msg = codeText(re.Unwrap())
		}
		return &exitCodeError{code: exitError, msg: fmt.Sprintf("RPC Error %d: %s", re.Code, msg)}
	}
	defer rep.Release()
	return show(rep)
}

// brokerCall calls a `.broker` method with empty params and decodes the
// reply into v.
func (c *cli) brokerCall(ctx context.Context, method string, v interface{ UnmarshalMsg([]byte) ([]byte, error) }) error {
	return c.call(ctx, rtclient.BrokerTarget, method, nil, func(rep *rtclient.Reply) error {
		if _, err := v.UnmarshalMsg(rep.Data); err != nil {
			return fmt.Errorf("cannot decode the broker's %s reply: %v", method, err)
		}
		return nil
	})
}

func runClientList(ctx context.Context, c *cli, _ *cmdOpts, _ []string) error {
	var list gen.ClientList
	if err := c.brokerCall(ctx, "client.list", &list); err != nil {
		return err
	}
	sort.SliceStable(list.Clients, func(i, j int) bool {
		return string(list.Clients[i].Name) < string(list.Clients[j].Name)
	})
	var rows [][]string
	for _, ci := range list.Clients {
		if string(ci.Name) == c.name {
			continue
		}
		rows = append(rows, []string{
			string(ci.Name), string(ci.Kind), string(ci.Source.Str), string(ci.Port.Str),
			fnum(ci.RFrames), fnum(ci.RBytes), fnum(ci.WFrames), fnum(ci.WBytes),
			fnum(ci.Queue), fnum(ci.Instances),
		})
	}
	c.printTable([]string{"name", "type", "source", "port", "r_frames", "r_bytes", "w_frames", "w_bytes", "queue", "ins"}, rows)
	return nil
}

func runInfo(ctx context.Context, c *cli, _ *cmdOpts, _ []string) error {
	var info gen.BrokerInfo
	if err := c.brokerCall(ctx, "info", &info); err != nil {
		return err
	}
	c.printTable([]string{"field", "value"}, [][]string{
		{"author", string(info.Author)},
		{"version", string(info.Version)},
	})
	return nil
}

func runStats(ctx context.Context, c *cli, _ *cmdOpts, _ []string) error {
	var st gen.Stats
	if err := c.brokerCall(ctx, "stats", &st); err != nil {
		return err
	}
	u := func(n uint64) string { return fmt.Sprint(n) }
	c.printTable([]string{"field", "value"}, [][]string{
		{"r_frames", u(st.RFrames)},
		{"r_bytes", u(st.RBytes)},
		{"w_frames", u(st.WFrames)},
		{"w_bytes", u(st.WBytes)},
		{"uptime", u(st.Uptime)},
	})
	return nil
}

func runTest(ctx context.Context, c *cli, _ *cmdOpts, _ []string) error {
	return c.call(ctx, rtclient.BrokerTarget, "test", nil, func(rep *rtclient.Reply) error {
		c.printPayload(rep.Data, c.silent)
		return nil
	})
}
