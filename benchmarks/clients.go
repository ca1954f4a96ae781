package benchmarks

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/busrt-go/busrt/proto"
	"github.com/busrt-go/busrt/rtclient"
)

// maxPing bounds the keep-alive period of benchmark clients. Upstream's
// phase-2 clients never ping; ours do, often enough that no broker timeout
// of 0.4 s or more drops an idle client between stages or during the
// warm-up (the broker's idle limit is 1.25 × its timeout).
const maxPing = 500 * time.Millisecond

// networkOf classifies a broker address ("unix" or "tcp").
func networkOf(addr string) (string, error) {
	n, err := rtclient.Network(addr)
	if err != nil {
		return "", fmt.Errorf("benchmarks: %s: %w", addr, err)
	}
	return n, nil
}

// clientConfig is the configuration of every benchmark client: the CLI's
// timeout, buffer and queue sizes.
func (r *runner) clientConfig(name string) rtclient.Config {
	return rtclient.Config{
		Name:         name,
		Timeout:      r.o.Timeout,
		BufSize:      r.o.BufSize,
		QueueSize:    r.o.QueueSize,
		PingInterval: min(r.o.Timeout/2, maxPing),
	}
}

// registerDeadline is how long dial keeps retrying a name the broker
// reports BUSY.
func (r *runner) registerDeadline() time.Duration {
	if r.busyWait > 0 {
		return r.busyWait
	}
	return max(2*r.o.Timeout, phase2RegisterRetryFloor)
}

// dial connects a client named name, retrying BUSY (see retryBusy).
func (r *runner) dial(ctx context.Context, name string) (*rtclient.SocketClient, error) {
	var c *rtclient.SocketClient
	err := r.retryBusy(ctx, name, func() error {
		var err error
		c, err = rtclient.Dial(ctx, r.addr, r.clientConfig(name))
		return err
	})
	return c, err
}

// retryBusy calls connect, which registers name with the broker, until it
// succeeds, fails with anything but a BUSY refusal, or registerDeadline
// passes: phase 2 and the lean stage reuse the names of phase 1, whose
// connections the broker may not have dropped yet (upstream panics there).
func (r *runner) retryBusy(ctx context.Context, name string, connect func() error) error {
	deadline := time.Now().Add(r.registerDeadline())
	backoff := time.Millisecond
	for {
		err := connect()
		if err == nil {
			return nil
		}
		if !errors.Is(err, proto.CodeBusy.Err()) || time.Now().After(deadline) {
			return fmt.Errorf("benchmarks: connect %s to %s: %w", name, r.addr, err)
		}
		if r.onBusy != nil {
			r.onBusy()
		}
		t := time.NewTimer(backoff)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
		backoff = min(2*backoff, 50*time.Millisecond)
	}
}

// dialAll connects one client per name; on failure it closes those it
// connected.
func (r *runner) dialAll(ctx context.Context, names []string) ([]*rtclient.SocketClient, error) {
	cs := make([]*rtclient.SocketClient, 0, len(names))
	for _, n := range names {
		c, err := r.dial(ctx, n)
		if err != nil {
			closeAll(cs, r.o.Timeout)
			return nil, err
		}
		cs = append(cs, c)
	}
	return cs, nil
}

// workerNames returns upstream's client names: prefix-1 … prefix-w.
func workerNames(prefix string, w int) []string {
	names := make([]string, w)
	for k := range names {
		names[k] = fmt.Sprintf("%s-%d", prefix, k+1)
	}
	return names
}

// closeAll closes every client and waits (at most timeout in all) until
// their readers have stopped, i.e. their connections are closed.
func closeAll[C interface {
	Close() error
	Done() <-chan struct{}
}](cs []C, timeout time.Duration) {
	for _, c := range cs {
		_ = c.Close()
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	for _, c := range cs {
		select {
		case <-c.Done():
		case <-t.C:
			return
		}
	}
}

// drain discards the frames waiting in c's incoming queue (upstream clears
// every queue before each phase-2 stage).
func drain(c rtclient.Client) {
	ch := c.Frames()
	for {
		select {
		case f, ok := <-ch:
			if !ok {
				return
			}
			f.Release()
		default:
			return
		}
	}
}

// ignoreNotRegistered turns the NOT_REGISTERED ACK that the stages sending
// to an absent target expect into success.
func ignoreNotRegistered(err error) error {
	if errors.Is(err, proto.CodeNotRegistered.Err()) {
		return nil
	}
	return err
}

// recvFrames takes n frames from c's incoming queue, counting them in
// done.
func recvFrames(ctx context.Context, c rtclient.Client, n int64, done *counter) error {
	ch := c.Frames()
	for range n {
		select {
		case f, ok := <-ch:
			if !ok {
				return fmt.Errorf("%s: %w", c.Name(), c.Err())
			}
			f.Release()
			done.n.Add(1)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}
