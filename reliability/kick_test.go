package reliability

import (
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/busrt-go/busrt/bus"
	"github.com/busrt-go/busrt/proto"
)

// TestKickDisconnectsOnce: when two routing goroutines find the same
// receiver's queue full at the same time (two senders on two event loops
// publishing to one slow subscriber: TestShutdownUnderLoad's busrtd log
// showed the kick warning twice for one client), the receiver must be
// kicked once: bus.Sink documents Disconnect as "called at most once per
// client", and the warning should be logged once.
//
// The broker's logger holds each kick at its warning until both have
// arrived (or 500 ms have passed), so the race is deterministic: both
// kicks have passed Broker.kick's `registered` check before either
// unregisters the client.
func TestKickDisconnectsOnce(t *testing.T) {
	lg := &barrierLogger{parties: 2, all: make(chan struct{})}
	b := bus.New(bus.Config{Logger: lg, NoCoreService: true})
	full := &countingSink{}
	rc, code := b.RegisterSocket([]byte("full"), bus.ConnInfo{Kind: bus.KindLocalIPC}, full)
	if code != proto.CodeOK {
		t.Fatal(code)
	}
	sub := []byte("t")
	if err := rc.Process(bus.NewScratch(nil), header(proto.OpSubscribe, len(sub)), sub); err != nil {
		t.Fatal(err)
	}
	full.refuse.Store(true) // its queue is full from now on
	var senders []*bus.Client
	for _, n := range []string{"s1", "s2"} {
		c, code := b.RegisterSocket([]byte(n), bus.ConnInfo{Kind: bus.KindLocalIPC}, &countingSink{})
		if code != proto.CodeOK {
			t.Fatal(code)
		}
		senders = append(senders, c)
	}
	data := []byte("t\x00payload")
	var wg sync.WaitGroup
	for _, c := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := c.Process(bus.NewScratch(nil), header(proto.OpPublish, len(data)), data); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if rc.Registered() {
		t.Fatal("the full client is still registered")
	}
	if n := full.disconnects.Load(); n != 1 {
		t.Errorf("Sink.Disconnect called %d times for one kicked client (documented: at most once)", n)
	}
	if n := lg.kicks.Load(); n != 1 {
		t.Errorf("the kick was logged %d times", n)
	}
}

func header(op proto.Op, n int) proto.Header {
	return proto.Header{ID: 1, Op: op, QoS: proto.QoSNo, Len: uint32(n), Flags: proto.Flags(op, proto.QoSNo)}
}

// countingSink accepts frames (or refuses data frames once refuse is set)
// and counts Disconnect calls.
type countingSink struct {
	refuse      atomic.Bool
	disconnects atomic.Int32
}

func (s *countingSink) Enqueue(_ any, f bus.Frame) proto.Code {
	if s.refuse.Load() && f.Kind != proto.KindAck {
		return proto.CodeNotDelivered
	}
	return proto.CodeOK
}

func (s *countingSink) Disconnect(bool) { s.disconnects.Add(1) }
func (s *countingSink) Queued() int     { return 0 }

// barrierLogger counts queue-overflow warnings and holds each one until
// `parties` of them have arrived, or 500 ms have passed.
type barrierLogger struct {
	parties int32
	kicks   atomic.Int32
	all     chan struct{}
	once    sync.Once
}

func (l *barrierLogger) Warn(msg string, _ ...any) {
	if !strings.Contains(msg, "queue is full") {
		return
	}
	if l.kicks.Add(1) == l.parties {
		l.once.Do(func() { close(l.all) })
	}
	tm := time.NewTimer(500 * time.Millisecond)
	defer tm.Stop()
	select {
	case <-l.all:
	case <-tm.C:
	}
}

func (l *barrierLogger) Info(string, ...any)  {}
func (l *barrierLogger) Debug(string, ...any) {}
