package benchmarks

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/busrt-go/busrt/proto"
	"github.com/busrt-go/busrt/rtclient"
)

// Latency stages (not in upstream): client A sends a MESSAGE with QoS
// Realtime (2) to client B, whose handler sends it straight back to A
// with QoS Realtime; A measures each round trip, one at a time. The
// result has upstream's columns (round trips as iterations) plus the
// 50th, 99th and 99.9th percentiles and the maximum.

// latencyWarmup is the number of unrecorded round trips before a latency
// stage (pools, buffers, the scheduler's placement).
const latencyWarmup = 1000

// Latency is the distribution of a latency stage's round trips.
type Latency struct {
	P50  time.Duration
	P99  time.Duration
	P999 time.Duration
	Max  time.Duration
}

// percentile returns the nearest-rank q-quantile (0 < q ≤ 1) of sorted
// samples.
func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// latencyOf sorts samples and summarizes them.
func latencyOf(samples []time.Duration) *Latency {
	slices.Sort(samples)
	if len(samples) == 0 {
		return &Latency{}
	}
	return &Latency{
		P50:  percentile(samples, 0.50),
		P99:  percentile(samples, 0.99),
		P999: percentile(samples, 0.999),
		Max:  samples[len(samples)-1],
	}
}

// latency runs latency.rtt through the broker.
func (r *runner) latency(ctx context.Context) error {
	n := r.o.LatencyIters
	names := []string{r.o.Name + "-lat-a", r.o.Name + "-lat-b"}
	clients, err := r.dialAll(ctx, names)
	if err != nil {
		return err
	}
	defer closeAll(clients, r.o.Timeout)
	a, b := clients[0], clients[1]
	echoCtx := context.WithoutCancel(ctx)
	b.SetHandler(func(f *rtclient.Frame) { // on b's reader goroutine
		_ = b.Send(echoCtx, names[0], f.Payload, proto.QoSRealtime)
		f.Release()
	})
	roundTrip := func(ctx context.Context) error {
		if err := a.Send(ctx, names[1], r.payload, proto.QoSRealtime); err != nil {
			return fmt.Errorf("%s: send: %w", names[0], err)
		}
		select {
		case f, ok := <-a.Frames():
			if !ok {
				return fmt.Errorf("%s: %w", names[0], a.Err())
			}
			f.Release()
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	for range min(n, latencyWarmup) {
		if err := roundTrip(ctx); err != nil {
			return fmt.Errorf("benchmarks: latency warm-up: %w", err)
		}
	}
	samples := make([]time.Duration, n)
	t := func(ctx context.Context, done *counter) error {
		for i := range samples {
			start := time.Now()
			if err := roundTrip(ctx); err != nil {
				return err
			}
			samples[i] = time.Since(start)
			done.n.Add(1)
		}
		return nil
	}
	res, err := r.runStage(ctx, stage{name: StageLatency, iters: n, tasks: []task{t}, want: n})
	if err != nil {
		return err
	}
	res.Latency = latencyOf(samples)
	return nil
}
