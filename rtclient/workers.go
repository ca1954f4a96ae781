package rtclient

import (
	"sync/atomic"
	"time"
)

// workerIdle is how long an idle handler worker waits for work before it
// exits.
const workerIdle = 10 * time.Second

// workerPool runs events concurrently on reusable goroutines: an event goes
// to an idle worker when there is one, otherwise to a new worker (up to max
// when max > 0; then it waits for a free one). Workers exit after
// workerIdle without work. Steady traffic therefore starts no goroutines
// and allocates nothing.
type workerPool struct {
	run   func(*Event)
	tasks chan *Event // unbuffered: a send succeeds only into an idle worker
	max   int32
	n     atomic.Int32
	quit  <-chan struct{}
}

// submit hands e to a worker. Called by one goroutine (the reader).
func (p *workerPool) submit(e *Event) {
	select {
	case p.tasks <- e:
		return
	default:
	}
	if p.max <= 0 || p.n.Add(1) <= p.max {
		if p.max <= 0 {
			p.n.Add(1)
		}
		go p.worker(e)
		return
	}
	p.n.Add(-1)
	select {
	case p.tasks <- e:
	case <-p.quit:
		e.release()
	}
}

func (p *workerPool) worker(e *Event) {
	defer p.n.Add(-1)
	t := time.NewTimer(workerIdle)
	defer t.Stop()
	for {
		p.run(e)
		t.Reset(workerIdle)
		select {
		case e = <-p.tasks:
		case <-t.C:
			return
		case <-p.quit:
			return
		}
	}
}
