package benchmarks

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/busrt-go/busrt/proto"
	"github.com/busrt-go/busrt/rtclient"
)

// Fan-out stages (not in upstream): one publisher, n subscribers of one
// topic, iters/n publications with QoS No; the stage ends when every
// subscriber has received every publication. Reported iterations are the
// deliveries (publications × n), so iters/s is frames delivered per
// second. The publisher stays at most a window of publications ahead of
// its slowest subscriber (an in-process flow control: no extra bus
// traffic), so that no subscriber's broker queue can overflow.

// window is the fan-out flow control: per-subscriber receive counts and a
// wake-up for the publisher.
type window struct {
	recv  []counter
	size  int64
	every int64         // a subscriber signals every `every` frames
	wake  chan struct{} // capacity 1
	stall time.Duration // no progress for this long fails the stage
}

func newWindow(subscribers int, size int, stall time.Duration) *window {
	return &window{
		recv:  make([]counter, subscribers),
		size:  int64(size),
		every: max(int64(size)/4, 1),
		wake:  make(chan struct{}, 1),
		stall: stall,
	}
}

// received records that subscriber k has received n frames in all (of
// want); it wakes the publisher now and then.
func (w *window) received(k int, n, want int64) {
	w.recv[k].n.Store(n)
	if n%w.every == 0 || n == want {
		select {
		case w.wake <- struct{}{}:
		default:
		}
	}
}

// slowest returns the smallest receive count.
func (w *window) slowest() int64 {
	m := w.recv[0].n.Load()
	for i := 1; i < len(w.recv); i++ {
		m = min(m, w.recv[i].n.Load())
	}
	return m
}

// delivered returns the sum of the receive counts (progress).
func (w *window) delivered() int64 {
	var s int64
	for i := range w.recv {
		s += w.recv[i].n.Load()
	}
	return s
}

// admit waits until publication number sent may go out (the slowest
// subscriber is less than a window behind) and returns the slowest count
// it saw. It fails when no subscriber progressed for w.stall.
func (w *window) admit(ctx context.Context, sent int64) (int64, error) {
	slow := w.slowest()
	if sent-slow < w.size {
		return slow, nil
	}
	t := time.NewTimer(w.stall)
	defer t.Stop()
	for {
		select {
		case <-w.wake:
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-t.C:
			return 0, fmt.Errorf("fan-out stalled: the slowest subscriber has %d of %d publications after %v (disconnected, or kicked for a full queue?)", slow, sent, w.stall)
		}
		now := w.slowest()
		if sent-now < w.size {
			return now, nil
		}
		if now != slow {
			slow = now
			t.Reset(w.stall)
		}
	}
}

// stallLimit is how long a fan-out may make no progress.
func (r *runner) stallLimit() time.Duration { return max(2*r.o.Timeout, 5*time.Second) }

// fanoutPubs returns the number of publications of the n-subscriber
// fan-out: iters/n, at least 1.
func (r *runner) fanoutPubs(n int) int64 { return max(r.o.Iters/int64(n), 1) }

// fanout runs the fan-out stage with n subscribers through the broker.
func (r *runner) fanout(ctx context.Context, n int) error {
	pubs := r.fanoutPubs(n)
	prefix := fmt.Sprintf("%s-f%d", r.o.Name, n)
	topic := "busrt-bench/" + prefix
	names := []string{prefix + "-pub"}
	for k := range n {
		names = append(names, fmt.Sprintf("%s-s%d", prefix, k+1))
	}
	clients, err := r.dialAll(ctx, names)
	if err != nil {
		return err
	}
	defer closeAll(clients, r.o.Timeout)
	pub, subs := clients[0], clients[1:]
	win := newWindow(n, r.o.FanoutWindow, r.stallLimit())
	finished := make([]chan struct{}, n)
	topicB := []byte(topic)
	for k, s := range subs {
		finished[k] = make(chan struct{})
		var got int64
		s.SetHandler(func(f *rtclient.Frame) {
			ours := f.Kind == proto.KindPublish && bytes.Equal(f.Topic, topicB)
			f.Release()
			if !ours || got == pubs {
				return
			}
			got++
			win.received(k, got, pubs)
			if got == pubs {
				close(finished[k])
			}
		})
		if err := s.Subscribe(ctx, proto.QoSProcessed, topic); err != nil {
			return fmt.Errorf("benchmarks: %s: subscribe %s: %w", names[k+1], topic, err)
		}
	}
	tasks := []task{func(ctx context.Context, done *counter) error {
		var slow int64
		for i := range pubs {
			if i-slow >= win.size {
				var err error
				if slow, err = win.admit(ctx, i); err != nil {
					return err
				}
			}
			if err := pub.Publish(ctx, topic, r.payload, proto.QoSNo); err != nil {
				return fmt.Errorf("%s: publish: %w", names[0], err)
			}
		}
		return nil
	}}
	for k, s := range subs {
		tasks = append(tasks, func(ctx context.Context, _ *counter) error {
			select {
			case <-finished[k]:
				return nil
			case <-s.Done():
				return fmt.Errorf("%s: %w", names[k+1], s.Err())
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}
	_, err = r.runStage(ctx, stage{name: FanoutStage(n), iters: pubs * int64(n), tasks: tasks, want: pubs * int64(n), progress: win.delivered})
	return err
}
