package benchmarks

import "context"

// extraPhase runs the selected stages that upstream lacks.
func (r *runner) extraPhase(ctx context.Context) error {
	for _, n := range FanoutSizes {
		if r.sel[FanoutStage(n)] {
			if err := r.fanout(ctx, n); err != nil {
				return err
			}
		}
	}
	for _, n := range FanoutSizes {
		if r.sel[rawPrefix+FanoutStage(n)] {
			if err := r.rawFanout(ctx, n); err != nil {
				return err
			}
		}
	}
	if r.sel[StageLatency] {
		if err := r.latency(ctx); err != nil {
			return err
		}
	}
	if r.sel[StageRawLatency] {
		if err := r.rawLatency(ctx); err != nil {
			return err
		}
	}
	if r.sel[StageRawSendProc] {
		if err := r.rawSendProcessed(ctx); err != nil {
			return err
		}
	}
	if r.sel[StageLeanSendProc] {
		if err := r.leanSendProcessed(ctx); err != nil {
			return err
		}
	}
	return nil
}
