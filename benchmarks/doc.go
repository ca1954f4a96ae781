// Package benchmarks is `busrt benchmark`: upstream BUS/RT's seven
// benchmark stages with identical semantics and output
// (SERVER_AND_CLI.md §3), plus stages upstream lacks (pub/sub fan-out,
// realtime round-trip latency, and both over raw sockets with no broker;
// send.qos.processed's traffic from a minimal epoll client, through the
// broker and with no broker, the ceiling for strictly sequential
// request/response traffic), JSON output, a progress bar and an in-process
// ("embedded") broker with CPU profiling.
//
// It owns the stage definitions, their timing and iteration counting, the
// result table in upstream's layout (bma-benchmark: `!!! stage started:`,
// `*** stage completed:`, `--- Benchmark results ----`, rows sorted by stage
// name, `_` thousands separators, secs and msecs with 3 decimals,
// iters/s = floor((iters − errors) / elapsed)), the JSON report, and the
// minimal relay and echo servers of the raw-socket baselines.
//
// It never talks to the broker except over a real socket, through rtclient
// or (lean.send.qos.processed) with package proto's encoders on a raw file
// descriptor: in embedded mode the broker (bus + netloop) runs in this process on a
// temporary UNIX socket (or the TCP address given), so the client side of
// every stage is byte for byte what it is against a stand-alone busrtd.
// Embedded mode therefore measures the same code paths, with both sides
// sharing the machine's cores as they do with a separate broker process.
//
// Entry points: Run with an Options value (the busrt CLI fills it from its
// global options and AddFlags), or RunCLI with a command line (the
// stand-alone driver in benchmarks/cmd/busrt-bench, used by
// scripts/bench-compare).
package benchmarks
