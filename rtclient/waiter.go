package rtclient

import (
	"context"
	"sync"
	"time"

	"github.com/busrt-go/busrt/proto"
)

// waiter is a pooled completion object: one caller waiting for one ACK (key
// = frame id) or one RPC reply (key = call id). Whoever takes it out of its
// waitTable signals ready exactly once; the owner returns it to the pool
// only after that signal, or after removing it from the table itself.
type waiter struct {
	key   uint32
	next  *waiter       // bucket chain, guarded by the table's mu
	ready chan struct{} // capacity 1: signalling never blocks

	// Results, written before ready is signalled.
	code  proto.Code // ACK code
	err   error      // connection lost / closed
	ack   AckHandler // SendAsync: receives the ACK instead of a waiter
	tag   uint32     // SendAsync: handed back to ack
	frame *Frame     // RPC reply or error frame (owned by the waiter's owner)
	rpc   proto.RPCEvent

	hdr   []byte      // scratch for an RPC request header
	timer *time.Timer // reply timeout, created on first use
}

var waiterPool = sync.Pool{New: func() any { return &waiter{ready: make(chan struct{}, 1)} }}

func acquireWaiter(key uint32) *waiter {
	w := waiterPool.Get().(*waiter)
	w.key = key
	return w
}

func releaseWaiter(w *waiter) {
	w.next, w.code, w.err, w.frame, w.rpc, w.ack, w.tag = nil, 0, nil, nil, proto.RPCEvent{}, nil, 0
	waiterPool.Put(w)
}

// tableBuckets is the number of chains of a waitTable. Keys are sequential,
// so n in-flight waiters spread evenly: chains stay short for thousands of
// concurrent calls, and nothing is allocated when waiters come and go.
const tableBuckets = 1024

// waitTable maps keys to waiters. All methods are safe from any goroutine.
type waitTable struct {
	mu      sync.Mutex
	buckets [tableBuckets]*waiter
	closed  error // once set, put fails and the table stays empty
}

// put registers w under w.key, or returns the table's closing error.
func (t *waitTable) put(w *waiter) error {
	t.mu.Lock()
	if t.closed != nil {
		err := t.closed
		t.mu.Unlock()
		return err
	}
	b := &t.buckets[w.key%tableBuckets]
	w.next = *b
	*b = w
	t.mu.Unlock()
	return nil
}

// take removes and returns the most recent waiter with key, or nil.
func (t *waitTable) take(key uint32) *waiter {
	t.mu.Lock()
	for p := &t.buckets[key%tableBuckets]; *p != nil; p = &(*p).next {
		if w := *p; w.key == key {
			*p = w.next
			w.next = nil
			t.mu.Unlock()
			return w
		}
	}
	t.mu.Unlock()
	return nil
}

// remove unregisters w if it is still registered and reports whether it
// was; false means somebody took it and is signalling it.
func (t *waitTable) remove(w *waiter) bool {
	t.mu.Lock()
	for p := &t.buckets[w.key%tableBuckets]; *p != nil; p = &(*p).next {
		if *p == w {
			*p = w.next
			w.next = nil
			t.mu.Unlock()
			return true
		}
	}
	t.mu.Unlock()
	return false
}

// close fails every registered waiter with err and every later put.
func (t *waitTable) close(err error) {
	t.mu.Lock()
	if t.closed == nil {
		t.closed = err
	}
	for i := range t.buckets {
		for w := t.buckets[i]; w != nil; {
			next := w.next
			w.next = nil
			if w.ack != nil { // SendAsync: nobody waits; the owner watches Done
				releaseWaiter(w)
			} else {
				w.err = t.closed
				w.ready <- struct{}{}
			}
			w = next
		}
		t.buckets[i] = nil
	}
	t.mu.Unlock()
}

// waitAck waits for w's ACK and releases w. When ctx ends first, w is
// unregistered and ctx's error returned (a late ACK is then orphaned).
func (t *waitTable) waitAck(ctx context.Context, w *waiter) error {
	select {
	case <-w.ready:
	case <-ctx.Done():
		if t.remove(w) {
			releaseWaiter(w)
			return ctx.Err()
		}
		<-w.ready // taken concurrently: its result is on the way
	}
	err := w.err
	if err == nil {
		err = w.code.Err()
	}
	releaseWaiter(w)
	return err
}
