package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/busrt-go/busrt/benchmarks"
	"github.com/spf13/pflag"
)

// command is one CLI command (or a group, when it has subcommands).
type command struct {
	name  string
	args  string // synopsis after the name
	short string
	long  string
	flags func(fs *pflag.FlagSet, o *cmdOpts)
	run   func(ctx context.Context, c *cli, o *cmdOpts, args []string) error
	subs  []*command
	// minArgs and maxArgs bound the positional arguments (maxArgs < 0:
	// unbounded).
	minArgs, maxArgs int
	interspersed     bool // flags may follow positional arguments
}

// cmdOpts holds the values of command flags.
type cmdOpts struct {
	topics  []string
	exclude []string
	bench   benchmarks.Options
}

func topicsFlag(fs *pflag.FlagSet, o *cmdOpts) {
	fs.StringArrayVarP(&o.topics, "topics", "t", nil, "subscribe to a `TOPIC` (repeat for more)")
}

var commands = []*command{
	{
		name: "listen", args: "[-t TOPIC]... [--exclude TOPIC]...", short: "print the frames the client receives",
		long: `Excludes the --exclude topics and subscribes to the -t topics (one frame
each, QoS Processed; with no topics the empty topic is excluded or
subscribed, as upstream), then prints every frame received until the
broker disconnects. Pings every 500 ms.`,
		flags: func(fs *pflag.FlagSet, o *cmdOpts) {
			topicsFlag(fs, o)
			fs.StringArrayVar(&o.exclude, "exclude", nil, "exclude a `TOPIC` (repeat for more)")
		},
		run: runListen, interspersed: true,
	},
	{
		name: "send", args: "TARGET [PAYLOAD]", short: "send a message (a broadcast when TARGET has * or ?)",
		long: `Sends PAYLOAD (or all of stdin when omitted) to TARGET with QoS Processed
and prints OK when the broker acknowledged it. A TARGET with * or ? is a
broadcast mask.`,
		run: runSend, minArgs: 1, maxArgs: 2,
	},
	{
		name: "publish", args: "TOPIC [PAYLOAD]", short: "publish to a topic",
		long: "Publishes PAYLOAD (or all of stdin when omitted) to TOPIC with QoS Processed\nand prints OK when the broker acknowledged it.",
		run:  runPublish, minArgs: 1, maxArgs: 2,
	},
	{
		name: "broadcast", args: "MASK [PAYLOAD]", short: "send a broadcast to the clients matching a mask",
		long: "Broadcasts PAYLOAD (or all of stdin when omitted) to the clients whose names\nmatch MASK (. segments, ? and * wildcards) with QoS Processed; prints OK.",
		run:  runBroadcast, minArgs: 1, maxArgs: 2,
	},
	{
		name: "rpc", args: "<listen|notify|call0|call> ...", short: "RPC: listen, notify, call0, call",
		subs: []*command{
			{
				name: "listen", args: "[-t TOPIC]...", short: "answer and print RPC calls, notifications and frames",
				long: `Subscribes to the -t topics (one frame, QoS Processed; the empty topic when
none is given), then prints every frame, notification and call, and
answers every call with an empty result, until the broker disconnects.`,
				flags: topicsFlag, run: runRPCListen, interspersed: true,
			},
			{
				name: "notify", args: "TARGET [PAYLOAD]", short: "send an RPC notification",
				long: "Sends PAYLOAD (or all of stdin when omitted) as an RPC notification to\nTARGET with QoS Processed and prints OK.",
				run:  runNotify, minArgs: 1, maxArgs: 2,
			},
			{
				name: "call0", args: "TARGET METHOD [PARAMS]...", short: "call a method without waiting for a reply",
				long: "Calls METHOD on TARGET with call id 0 (no reply), QoS Processed; prints OK." + paramsHelp,
				run:  runCall0, minArgs: 2, maxArgs: -1,
			},
			{
				name: "call", args: "TARGET METHOD [PARAMS]...", short: "call a method and print the result",
				long: `Calls METHOD on TARGET with QoS Processed and prints the result. An error
reply prints "RPC Error <code>: <message>" and exits with status 1.` + paramsHelp,
				run: runCall, minArgs: 2, maxArgs: -1,
			},
		},
	},
	{
		name: "broker", args: "<client.list|info|stats|test>", short: "the broker's API: client.list, info, stats, test",
		subs: []*command{
			{name: "client.list", short: "list the clients (but this one) with their counters", run: runClientList},
			{name: "info", short: "print the broker's author and version", run: runInfo},
			{name: "stats", short: "print the broker's counters", run: runStats},
			{name: "test", short: "call the broker's test method", run: runTest},
		},
	},
	{
		name: "benchmark", args: "[-w N] [--payload-size N] [-i N] [--stages upstream|extra|all] ...",
		short: "benchmark the broker (upstream's stages, and more)", long: benchmarks.Help,
		flags: func(fs *pflag.FlagSet, o *cmdOpts) {
			o.bench = benchmarks.DefaultOptions()
			o.bench.AddFlags(fs)
		},
		run: runBenchmark, maxArgs: 0, interspersed: true,
	},
}

// runBenchmark runs upstream's benchmark stages against the broker, with
// the global options as the clients' settings.
func runBenchmark(ctx context.Context, c *cli, o *cmdOpts, _ []string) error {
	b := o.bench
	b.Addr, b.Name, b.Timeout, b.BufSize, b.QueueSize = c.socket, c.name, c.timeout, c.bufSize, c.queueSize
	if !b.JSON {
		c.infof("Connecting to %s, using service name %s", c.socket, c.name)
	}
	_, err := benchmarks.Run(ctx, b, c.out, c.err)
	if benchmarks.IsUsageError(err) {
		return usagef("benchmark: %v", err)
	}
	return err
}

const paramsHelp = `

PARAMS are key=value words, sent as a MessagePack map (true/false are
booleans, integers and floats are numbers, anything else a string); a
single - reads raw params from stdin; none sends empty params.`

func findCommand(name string) *command {
	for _, cmd := range commands {
		if cmd.name == name {
			return cmd
		}
	}
	return nil
}

// runCommand parses a command's flags and arguments and runs it.
func (c *cli) runCommand(ctx context.Context, cmd *command, args []string) error {
	if cmd.subs != nil {
		if len(args) == 0 {
			return usagef("%s needs a subcommand: %s", cmd.name, cmd.args)
		}
		if isHelp(args[0]) {
			c.printGroupHelp(cmd)
			return nil
		}
		for _, sub := range cmd.subs {
			if sub.name == args[0] {
				return c.runSub(ctx, cmd.name+" "+sub.name, sub, args[1:])
			}
		}
		return usagef("unknown %s subcommand %q (want one of %s)", cmd.name, args[0], cmd.args)
	}
	return c.runSub(ctx, cmd.name, cmd, args)
}

func (c *cli) runSub(ctx context.Context, path string, cmd *command, args []string) error {
	var o cmdOpts
	fs := pflag.NewFlagSet(path, pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.SetInterspersed(cmd.interspersed)
	fs.SortFlags = false
	if cmd.flags != nil {
		cmd.flags(fs, &o)
	}
	fs.BoolP("help", "h", false, "print this help")
	fs.Usage = func() { c.printHelp(path, cmd, fs) }
	if wantsHelp(args) {
		fs.Usage()
		return nil
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return err
		}
		return usagef("%s: %v", path, err)
	}
	if h, _ := fs.GetBool("help"); h {
		fs.Usage()
		return nil
	}
	pos := fs.Args()
	if len(pos) < cmd.minArgs {
		return usagef("%s: missing arguments: %s %s", path, path, cmd.args)
	}
	if cmd.maxArgs >= 0 && len(pos) > cmd.maxArgs {
		return usagef("%s: too many arguments: %s %s", path, path, cmd.args)
	}
	if c.socket == "" { // `busrt send --help` without a socket
		return usagef("missing <SOCKET> before %s", path)
	}
	return cmd.run(ctx, c, &o, pos)
}

func (c *cli) printHelp(path string, cmd *command, fs *pflag.FlagSet) {
	fmt.Fprintf(c.out, "Usage: busrt [OPTIONS] <SOCKET> %s %s\n\n", path, cmd.args)
	desc := cmd.long
	if desc == "" {
		desc = strings.ToUpper(cmd.short[:1]) + cmd.short[1:] + "."
	}
	fmt.Fprintf(c.out, "%s\n\nOptions:\n%s", desc, flagUsages(fs))
}

func (c *cli) printGroupHelp(cmd *command) {
	fmt.Fprintf(c.out, "Usage: busrt [OPTIONS] <SOCKET> %s %s\n\nCommands:\n", cmd.name, cmd.args)
	for _, s := range cmd.subs {
		fmt.Fprintf(c.out, "  %-12s %s\n", s.name, s.short)
	}
	fmt.Fprintf(c.out, "\nbusrt <SOCKET> %s <command> --help explains a command.\n", cmd.name)
}
