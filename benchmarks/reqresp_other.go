//go:build !linux

package benchmarks

import "context"

// epollStages reports whether raw.send.qos.processed and
// lean.send.qos.processed can run here: they need Linux's epoll.
const epollStages = false

// rawSendProcessed skips raw.send.qos.processed: no epoll here.
func (r *runner) rawSendProcessed(context.Context) error {
	r.skipStage(StageRawSendProc, "needs Linux epoll")
	return nil
}

// leanSendProcessed skips lean.send.qos.processed: no epoll here.
func (r *runner) leanSendProcessed(context.Context) error {
	r.skipStage(StageLeanSendProc, "needs Linux epoll")
	return nil
}

// skipStage says that a selected stage does not run, and why; it has no
// result.
func (r *runner) skipStage(name, why string) {
	r.printf("%s\n", paint(r.colour, styleBlack, "!!! stage skipped: "+name+" ("+why+") "))
}
