// Command busrt-bench is the stand-alone driver of package benchmarks:
// the same benchmark as `busrt <SOCKET> benchmark`, with the client
// options as its own flags and an optional SOCKET (--embedded runs the
// broker in-process). scripts/bench-compare uses it, and its summarize
// mode, which prints per-stage medians of --json outputs and their ratios.
//
//	busrt-bench [OPTIONS] [SOCKET]
//	busrt-bench summarize LABEL=FILE[,FILE...] LABEL=FILE[,FILE...]...
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/busrt-go/busrt/benchmarks"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	var err error
	if len(os.Args) > 1 && os.Args[1] == "summarize" {
		err = summarize(os.Args[2:])
	} else {
		err = benchmarks.RunCLI(ctx, os.Args[1:], os.Stdout, os.Stderr)
	}
	stop()
	switch {
	case err == nil:
	case benchmarks.IsUsageError(err):
		fmt.Fprintf(os.Stderr, "busrt-bench: %v (see busrt-bench --help)\n", err)
		os.Exit(2)
	default:
		fmt.Fprintf(os.Stderr, "busrt-bench: %v\n", err)
		os.Exit(1)
	}
}

func summarize(args []string) error {
	groups, err := benchmarks.ParseSummaryArgs(args)
	if err != nil {
		return err
	}
	return benchmarks.Summarize(os.Stdout, groups)
}
