package rtclient

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/busrt-go/busrt/proto"
)

// CallHandler answers an RPC call. It returns the result bytes (nil or
// empty for an empty result) or an error: an *RPCError is replied as it is,
// a *proto.Error as the bus-derived code, anything else as -32603 with the
// error's text. The result may be built in ev.Buffer(); it is copied out
// before ev is reused. For call0 requests (CallID 0) nothing is sent back.
type CallHandler func(ctx context.Context, ev *Event) ([]byte, error)

// NotificationHandler receives RPC notifications.
type NotificationHandler func(ctx context.Context, ev *Event)

// FrameHandler receives the frames that are not direct messages
// (publications and broadcasts) of an RPC client. The RPC layer releases f
// when the handler returns.
type FrameHandler func(ctx context.Context, f *Frame)

// RPCConfig configures an RPC endpoint. The zero value answers every call
// with METHOD_NOT_FOUND until methods are registered with Handle, runs
// handlers concurrently and bounds the wait for a reply by DefaultTimeout.
type RPCConfig struct {
	// Timeout bounds the wait for a call's reply, from when the request
	// was written: the call then fails with -32120 wrapping
	// ErrReplyTimeout. Default DefaultTimeout; negative = no bound but the
	// call's context.
	Timeout time.Duration
	// OnCall answers calls of methods not registered with Handle; nil =
	// METHOD_NOT_FOUND (-32601).
	OnCall CallHandler
	// OnNotification receives notifications; nil = drop them.
	OnNotification NotificationHandler
	// OnFrame receives publications and broadcasts; nil = drop them.
	OnFrame FrameHandler
	// BlockingCalls, BlockingNotifications and BlockingFrames run those
	// handlers one at a time, in arrival order, on one goroutine shared by
	// all the blocking kinds (upstream's "blocking" options). Otherwise
	// each event runs on its own worker, concurrently, as upstream does.
	// Replies are matched on the reader goroutine, so a blocking handler
	// may itself make calls (unlike upstream, where this deadlocks), as
	// long as the in-order queue does not fill up.
	BlockingCalls         bool
	BlockingNotifications bool
	BlockingFrames        bool
	// MaxWorkers bounds the number of concurrently running non-blocking
	// handlers (upstream's task pool); further events wait. 0 = unbounded.
	MaxWorkers int
	// QueueSize is the capacity of the in-order queue. Default
	// DefaultQueueSize.
	QueueSize int
	// Logger receives dropped frames, orphaned replies and handler
	// panics at debug/warn level; nil discards them.
	Logger *slog.Logger
}

// RPC is an RPC endpoint over a Client (RPC.md): it makes calls, call0s and
// notifications, and answers calls with the handlers registered by method
// name. Once created, it receives every incoming frame of the client (it
// sets the client's handler): every direct message is parsed as an RPC
// event, and invalid ones are dropped. All methods are safe from any
// goroutine.
type RPC struct {
	c      Client
	cfg    RPCConfig
	log    *slog.Logger
	calls  waitTable
	lastID atomic.Uint32

	regMu   sync.Mutex // serializes Handle
	methods atomic.Pointer[map[string]CallHandler]

	ordered chan *Event // in-order (blocking) handler queue
	pool    workerPool
	ctx     context.Context // handlers' context: ends with the client
	cancel  context.CancelFunc
	quit    chan struct{} // closed when the client has stopped
}

// NewRPC creates an RPC endpoint over c and makes it c's frame handler.
// Use one endpoint per client. Safe from any goroutine.
func NewRPC(c Client, cfg RPCConfig) *RPC {
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = DefaultQueueSize
	}
	r := &RPC{c: c, cfg: cfg, log: cfg.Logger, quit: make(chan struct{})}
	r.ctx, r.cancel = context.WithCancel(context.Background())
	empty := map[string]CallHandler{}
	r.methods.Store(&empty)
	r.pool = workerPool{run: r.run, tasks: make(chan *Event), max: int32(cfg.MaxWorkers), quit: r.quit}
	if cfg.BlockingCalls || cfg.BlockingNotifications || cfg.BlockingFrames {
		r.ordered = make(chan *Event, cfg.QueueSize)
		go r.runOrdered()
	}
	go r.watch()
	c.SetHandler(r.onFrame)
	return r
}

// Client returns the client the endpoint runs on. Safe from any goroutine.
func (r *RPC) Client() Client { return r.c }

// Handle registers h for method, replacing any previous handler; nil
// removes it. Safe from any goroutine, also while calls are served.
func (r *RPC) Handle(method string, h CallHandler) {
	r.regMu.Lock()
	defer r.regMu.Unlock()
	old := *r.methods.Load()
	m := make(map[string]CallHandler, len(old)+1)
	for k, v := range old {
		m[k] = v
	}
	if h == nil {
		delete(m, method)
	} else {
		m[method] = h
	}
	r.methods.Store(&m)
}

// watch ends the endpoint when its client stops: waiting calls fail.
func (r *RPC) watch() {
	<-r.c.Done()
	err := r.c.Err()
	if err == nil {
		err = ErrClosed
	}
	r.calls.close(err)
	r.cancel()
	close(r.quit)
}

// nextCallID returns the next call id: 1, 2, ... wrapping to 1, never 0.
func (r *RPC) nextCallID() uint32 {
	for {
		if id := r.lastID.Add(1); id != 0 {
			return id
		}
	}
}

// notifyHeader is the event header of a notification.
var notifyHeader = []byte{byte(proto.RPCNotification)}

// Notify sends an RPC notification with data to target (RPC.md §4). With a
// QoS that requests an ACK it returns the ACK's result. Safe from any
// goroutine.
func (r *RPC) Notify(ctx context.Context, target string, data []byte, qos proto.QoS) error {
	return r.c.SendZC(ctx, target, notifyHeader, data, qos)
}

// Call0 calls method on target with call id 0: the callee runs it and
// replies nothing. With a QoS that requests an ACK it returns the ACK's
// result. Safe from any goroutine.
func (r *RPC) Call0(ctx context.Context, target, method string, params []byte, qos proto.QoS) error {
	if strings.IndexByte(method, 0) >= 0 {
		return ErrInvalidMethod
	}
	j := joinPool.Get().(*joined)
	j.b = proto.AppendRPCRequestHeader(j.b[:0], 0, method)
	err := r.c.SendZC(ctx, target, j.b, params, qos)
	putJoined(j)
	return err
}

// Call calls method on target with params and waits for the reply. The
// reply belongs to the caller until Reply.Release. Every failure is an
// *RPCError: the callee's error reply, or a local failure with a
// bus-derived code (an ACK other than OK fails at once: -32113 for an
// unknown target; the reply timeout or ctx's deadline: -32120; the
// connection lost: -32255). Safe from any goroutine.
func (r *RPC) Call(ctx context.Context, target, method string, params []byte, qos proto.QoS) (*Reply, error) {
	if strings.IndexByte(method, 0) >= 0 {
		return nil, callError(ErrInvalidMethod)
	}
	w := acquireWaiter(r.nextCallID())
	if err := r.calls.put(w); err != nil {
		releaseWaiter(w)
		return nil, callError(err)
	}
	w.hdr = proto.AppendRPCRequestHeader(w.hdr[:0], w.key, method)
	// The ACK is not waited for: an ACK other than OK fails the call
	// through HandleAck, and an OK one needs no wake-up of this goroutine.
	if err := r.c.SendAsync(ctx, target, w.hdr, params, qos, r, w.key); err != nil {
		r.abandon(w)
		return nil, callError(err)
	}
	var timeout <-chan time.Time
	if r.cfg.Timeout > 0 {
		if w.timer == nil {
			w.timer = time.NewTimer(r.cfg.Timeout)
		} else {
			w.timer.Reset(r.cfg.Timeout)
		}
		timeout = w.timer.C
	}
	var cause error
	select {
	case <-w.ready:
	case <-ctx.Done():
		cause = ctx.Err()
	case <-timeout:
		cause = ErrReplyTimeout
	}
	if timeout != nil {
		w.timer.Stop()
	}
	if cause != nil {
		if r.calls.remove(w) {
			releaseWaiter(w)
			return nil, callError(cause)
		}
		<-w.ready // the reply arrived meanwhile: use it
	}
	return r.finish(w)
}

// HandleAck receives the ACK of a call's request (tag = call id): a code
// other than OK fails the call at once with the bus-derived RPC code. It
// implements AckHandler, for the client; it is not meant to be called
// otherwise. Safe from any goroutine.
func (r *RPC) HandleAck(tag uint32, code proto.Code) {
	if code == proto.CodeOK {
		return
	}
	if w := r.calls.take(tag); w != nil {
		w.err = code.Err()
		w.ready <- struct{}{}
	}
}

// abandon drops a call whose request could not be sent.
func (r *RPC) abandon(w *waiter) {
	if !r.calls.remove(w) {
		<-w.ready
		if w.frame != nil {
			w.frame.Release()
		}
	}
	releaseWaiter(w)
}

// finish turns the waiter's outcome into the call's result.
func (r *RPC) finish(w *waiter) (*Reply, error) {
	if w.err != nil {
		err := w.err
		releaseWaiter(w)
		return nil, callError(err)
	}
	f, ev := w.frame, w.rpc
	releaseWaiter(w)
	if ev.Type == proto.RPCError {
		e := &RPCError{Code: ev.Code}
		if len(ev.Data) > 0 {
			e.Data = append([]byte(nil), ev.Data...)
		}
		f.Release()
		return nil, e
	}
	rep := replyPool.Get().(*Reply)
	rep.Data, rep.Realtime, rep.frame = ev.Data, f.Realtime, f
	return rep, nil
}

// Reply is the successful result of a call. Data is a view into a pooled
// frame: it belongs to the caller until Release.
type Reply struct {
	Data     []byte // the result; may be empty
	Realtime bool   // the reply frame had the realtime flag
	frame    *Frame
}

var replyPool = sync.Pool{New: func() any { return new(Reply) }}

// Release returns the reply and its frame to their pools. Call it once.
func (p *Reply) Release() {
	if p.frame != nil {
		p.frame.Release()
	}
	*p = Reply{}
	replyPool.Put(p)
}
