package netloop

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"

	"github.com/busrt-go/busrt/bus"
)

// Server serves one broker over any number of UNIX and TCP listeners with
// one gnet engine.
type Server struct {
	broker    *bus.Broker
	cfg       Config
	log       *slog.Logger
	timeout   time.Duration
	bufSize   int
	queueSize int
	tick      time.Duration
	maxConns  int64
	lss       []*listenerState
	ttl       *ttlFlusher
	h         *handler

	eng gnet.Engine // set in OnBoot, before any connection

	loopsMu sync.Mutex
	loopsBy map[gnet.EventLoop]*loop // guarded by loopsMu
	loops   atomic.Pointer[[]*loop]  // copy-on-write snapshot
	bells   []*doorbell              // guarded by loopsMu

	lsByAddr sync.Map // gnet listener address (net.Addr) → *listenerState

	open     atomic.Int64 // open client connections
	closing  atomic.Bool
	drainGen atomic.Uint64

	state     atomic.Int32 // 0 new, 1 started
	started   chan struct{}
	startOnce sync.Once
	bootErr   error // set in OnBoot
	runErr    error // gnet.Rotate's result; read after done is closed
	done      chan struct{}
	stopOnce  sync.Once
}

// New prepares a server for broker b. It checks the configuration but
// binds nothing; call Start. Safe from any goroutine.
func New(b *bus.Broker, cfg Config) (*Server, error) {
	if b == nil {
		return nil, errors.New("netloop: nil broker")
	}
	if len(cfg.Binds) == 0 {
		return nil, ErrNoBinds
	}
	cfg = cfg.withDefaults(b)
	s := &Server{
		broker:    b,
		cfg:       cfg,
		log:       cfg.Logger,
		timeout:   cfg.Timeout,
		bufSize:   cfg.BufSize,
		queueSize: b.Config().QueueSize,
		tick:      tickInterval(cfg.Timeout),
		maxConns:  int64(cfg.MaxConns),
		loopsBy:   make(map[gnet.EventLoop]*loop),
		started:   make(chan struct{}),
		done:      make(chan struct{}),
	}
	if s.queueSize <= 0 {
		s.queueSize = bus.DefaultQueueSize
	}
	s.h = &handler{s: s}
	s.ttl = newTTLFlusher(s, cfg.BufTTL)
	s.loops.Store(&[]*loop{})
	seen := make(map[string]bool)
	for _, l := range cfg.Binds {
		ls, err := newListenerState(l)
		if err != nil {
			return nil, err
		}
		key := ls.gnetAddr
		if ls.path != "" {
			key = "unix:" + ls.path
		}
		if seen[key] {
			return nil, fmt.Errorf("bind %s: %w", l.Addr, ErrDuplicateBind)
		}
		seen[key] = true
		s.lss = append(s.lss, ls)
	}
	return s, nil
}

// Start binds every listener and starts the event loops. It returns once
// the server accepts connections, or with the first error (address in
// use, a live broker on a socket path, permission denied...), in which
// case no socket file is left behind. Call it once. Safe from any
// goroutine.
func (s *Server) Start() error {
	if !s.state.CompareAndSwap(0, 1) {
		return ErrStarted
	}
	for _, ls := range s.lss {
		if err := ls.precheck(); err != nil {
			close(s.done)
			return err
		}
	}
	addrs := make([]string, len(s.lss))
	for i, ls := range s.lss {
		addrs[i] = ls.gnetAddr
	}
	go s.ttl.run()
	go s.run(addrs)
	select {
	case <-s.started:
		s.log.Debug("netloop started", "loops", s.cfg.Loops, "binds", s.bindList())
		if p := runtime.GOMAXPROCS(0); p < s.cfg.Loops+1 {
			s.log.Debug("GOMAXPROCS below loops+1 slows cross-loop wake-ups", "gomaxprocs", p, "loops", s.cfg.Loops)
		}
		return nil
	case <-s.done:
		s.cleanup()
		if s.bootErr != nil {
			return s.bootErr
		}
		if s.runErr != nil {
			addrs := make([]string, len(s.cfg.Binds))
			for i, l := range s.cfg.Binds {
				addrs[i] = l.Addr
			}
			return fmt.Errorf("netloop: listen on %s: %w", strings.Join(addrs, ", "), s.runErr)
		}
		return errors.New("netloop: engine stopped during start")
	}
}

// run runs the gnet engine until it stops.
func (s *Server) run(addrs []string) {
	err := gnet.Rotate(s.h, addrs,
		gnet.WithMulticore(true),
		gnet.WithNumEventLoop(s.cfg.Loops),
		gnet.WithTicker(true),
		gnet.WithTCPNoDelay(gnet.TCPNoDelay),
		gnet.WithReuseAddr(true),
		gnet.WithReadBufferCap(max(64<<10, s.bufSize)),
		gnet.WithLogger(gnetLogger{s.log}),
	)
	s.runErr = err
	if !s.closing.Load() {
		select {
		case <-s.started:
			s.log.Error("netloop engine stopped unexpectedly", "error", err)
		default:
		}
		for _, ls := range s.lss {
			ls.removeSocket()
		}
	}
	close(s.done)
}

// boot runs in OnBoot: the listeners are bound, no connection is accepted
// yet. It publishes UNIX sockets at their paths and resolves TCP ports.
func (s *Server) boot(eng gnet.Engine) error {
	s.eng = eng
	for _, ls := range s.lss {
		if ls.kind == bus.KindTCP {
			fd, err := eng.DupListener("tcp", strings.TrimPrefix(ls.gnetAddr, "tcp://"))
			if err != nil {
				return fmt.Errorf("bind %s: %w", ls.cfg.Addr, err)
			}
			if err := ls.resolveTCP(fd); err != nil {
				return fmt.Errorf("bind %s: %w", ls.cfg.Addr, err)
			}
			continue
		}
		if err := ls.publish(); err != nil {
			return err
		}
	}
	return nil
}

// cleanup releases what a failed or finished run leaves behind.
func (s *Server) cleanup() {
	s.stopOnce.Do(func() {
		close(s.ttl.quit)
		for _, ls := range s.lss {
			ls.removeSocket()
		}
		s.loopsMu.Lock()
		for _, db := range s.bells {
			db.close()
		}
		s.loopsMu.Unlock()
	})
}

// Addrs returns the listening addresses in Config.Binds order: the UNIX
// socket path, or the TCP address with the real port (useful with port 0).
// Valid after Start. Safe from any goroutine.
func (s *Server) Addrs() []net.Addr {
	a := make([]net.Addr, len(s.lss))
	for i, ls := range s.lss {
		a[i] = ls.addr
	}
	return a
}

func (s *Server) bindList() string {
	b := make([]string, len(s.lss))
	for i, ls := range s.lss {
		b[i] = ls.cfg.Addr
	}
	return strings.Join(b, ", ")
}

// Broker returns the broker the server serves. Safe from any goroutine.
func (s *Server) Broker() *bus.Broker { return s.broker }

// Conns returns the number of open client connections (handshaking ones
// included). Safe from any goroutine.
func (s *Server) Conns() int { return int(s.open.Load()) }

// Done is closed when the engine has stopped, after Shutdown or on a fatal
// engine error (see Err). Safe from any goroutine.
func (s *Server) Done() <-chan struct{} { return s.done }

// Err returns why the engine stopped (nil after a clean Shutdown); valid
// once Done is closed. Safe from any goroutine.
func (s *Server) Err() error {
	select {
	case <-s.done:
		return s.runErr
	default:
		return nil
	}
}

// Shutdown stops the server gracefully: it stops accepting (UNIX socket
// files are removed first, new connections are refused), publishes the
// broker's `.broker/warn` shutdown announcement (bus.Broker.Shutdown),
// flushes every loop and waits until clients have been handed their
// output (at most T, or until ctx ends), then stops the engine, closing
// every connection. Safe from any goroutine; later calls wait for the
// first one.
func (s *Server) Shutdown(ctx context.Context) error {
	if s.state.Load() == 0 {
		return ErrNotStarted
	}
	select { // Start has finished, one way or the other
	case <-s.started:
	case <-s.done:
	case <-ctx.Done():
		return ctx.Err()
	}
	if !s.closing.CompareAndSwap(false, true) {
		select {
		case <-s.done:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	select {
	case <-s.done: // never started or already dead
		s.cleanup()
		return nil
	default:
	}
	for _, ls := range s.lss {
		ls.removeSocket()
	}
	s.broker.Shutdown()
	s.drainAll(ctx)
	go func() { _ = s.eng.Stop(context.Background()) }()
	select {
	case <-s.done:
	case <-ctx.Done():
		return ctx.Err()
	}
	s.cleanup()
	return nil
}

// drainAll asks every loop to flush everything and waits until the kernel
// has taken all output, for at most T (or until ctx ends).
func (s *Server) drainAll(ctx context.Context) {
	deadline := time.Now().Add(s.timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	tk := time.NewTicker(2 * time.Millisecond)
	defer tk.Stop()
	for {
		gen := s.drainGen.Add(1)
		loops := s.loopList()
		for _, lp := range loops {
			lp.drainDue.Store(true)
			lp.ring()
		}
		select {
		case <-tk.C:
		case <-ctx.Done():
			return
		case <-s.done:
			return
		}
		all := true
		for _, lp := range loops {
			if lp.drainGen.Load() < gen || lp.outstanding.Load() > 0 {
				all = false
			}
		}
		if all || time.Now().After(deadline) {
			return
		}
	}
}

// loopList returns the loops seen so far. Safe from any goroutine.
func (s *Server) loopList() []*loop { return *s.loops.Load() }

// loopOf returns netloop's state for gnet loop el, creating it (and its
// doorbell) on first sight. Called from OnOpen.
func (s *Server) loopOf(el gnet.EventLoop) *loop {
	s.loopsMu.Lock()
	lp := s.loopsBy[el]
	if lp != nil {
		s.loopsMu.Unlock()
		return lp
	}
	lp = &loop{srv: s, el: el}
	lp.scratch = bus.NewScratch(lp)
	s.loopsBy[el] = lp
	old := *s.loops.Load()
	list := make([]*loop, len(old), len(old)+1)
	copy(list, old)
	list = append(list, lp)
	s.loops.Store(&list)
	s.loopsMu.Unlock()
	s.enrollDoorbell(lp)
	return lp
}

func (s *Server) addDoorbell(db *doorbell) {
	s.loopsMu.Lock()
	s.bells = append(s.bells, db)
	s.loopsMu.Unlock()
}

// listenerOf finds the listener that accepted gc (OnOpen). gnet hands
// every connection of a listener the same LocalAddr value, so the answer
// is cached by it; the first lookup asks the kernel.
func (s *Server) listenerOf(gc gnet.Conn) *listenerState {
	la := gc.LocalAddr()
	if la != nil {
		if v, ok := s.lsByAddr.Load(la); ok {
			return v.(*listenerState)
		}
	}
	ls := s.matchListener(gc.Fd())
	if ls != nil && la != nil {
		s.lsByAddr.Store(la, ls)
	}
	return ls
}
