package benchmarks

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// progressBar draws the running stage's progress on one terminal line,
// redrawn every progressTick and erased when the stage ends. A nil
// *progressBar draws nothing.
type progressBar struct {
	w      io.Writer
	colour bool
}

const (
	progressTick  = 200 * time.Millisecond
	progressWidth = 30 // characters of the bar itself
)

// start draws the bar of stage name until the returned stop is called;
// done reports the iterations completed so far, of want.
func (p *progressBar) start(name string, want int64, done func() int64) (stop func()) {
	if p == nil || want <= 0 {
		return func() {}
	}
	quit, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(progressTick)
		defer t.Stop()
		begin := time.Now()
		for {
			select {
			case <-quit:
				fmt.Fprint(p.w, "\r\x1b[K")
				return
			case <-t.C:
				fmt.Fprint(p.w, p.line(name, done(), want, time.Since(begin)))
			}
		}
	}()
	return func() {
		close(quit)
		<-finished
	}
}

// line renders one state of the bar, starting with a carriage return.
func (p *progressBar) line(name string, n, want int64, elapsed time.Duration) string {
	n = min(max(n, 0), want)
	filled := int(int64(progressWidth) * n / want)
	bar := strings.Repeat("#", filled) + strings.Repeat(".", progressWidth-filled)
	rate := ""
	if s := elapsed.Seconds(); s > 0 {
		rate = fmt.Sprintf(" %s/s", fnum(int64(float64(n)/s)))
	}
	return fmt.Sprintf("\r\x1b[K%s [%s] %3d%% %s/%s%s", paint(p.colour, styleBold, name), bar,
		100*n/want, fnum(n), fnum(want), rate)
}
