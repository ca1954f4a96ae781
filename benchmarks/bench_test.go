package benchmarks

import (
	"context"
	"io"
	"testing"
)

// BenchmarkStage runs each stage through the whole stack in one process
// (rtclient over a real UNIX socket to an embedded bus + netloop), one
// worker, b.N iterations, and reports allocations per iteration of both
// sides together (connection set-up included, amortized over b.N). The
// broker's own hot path with a raw client, allocation-free, is measured by
// BenchmarkPath in package netloop:
//
//	go test -run '^$' -bench BenchmarkStage -benchmem -benchtime 200000x ./benchmarks
//	go test -run '^$' -bench BenchmarkPath -benchmem ./netloop
func BenchmarkStage(b *testing.B) {
	for _, name := range []string{
		StageRPCCall, StageRPCCallHandle, StageRPCCall0,
		StageSendNo, StageSendProcessed, StageSendRecvNo, StageSendRecvProc,
		FanoutStage(10), StageLatency,
	} {
		b.Run(name, func(b *testing.B) {
			o := DefaultOptions()
			o.Embedded, o.Name, o.Stages, o.Warmup = true, "bench", name, 0
			o.Iters, o.LatencyIters = int64(b.N), int64(b.N)
			b.ReportAllocs()
			rep, err := Run(context.Background(), o, io.Discard, io.Discard)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(rep.Stages[0].ItersPerSec), "iters/s")
		})
	}
}
