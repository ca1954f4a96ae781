package reliability

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/busrt-go/busrt/bus"
	"github.com/busrt-go/busrt/proto"
)

// TestChaos runs hundreds of churning clients against one in-process
// broker for a bounded time (BUSRT_SOAK=5m for a soak run, see
// scripts/soak). Each churning client lives a short life: it connects over
// UNIX or TCP, registers (sometimes a bad or duplicate name, sometimes it
// abandons the handshake), opens secondaries, subscribes and excludes,
// publishes, sends messages (to stable sinks, to other churning clients,
// to itself), broadcasts and publishes-for with every QoS, and then leaves:
// gracefully, abruptly, with a reset, in the middle of a frame, with a
// half-close, or primary first. An admin force-disconnects random clients
// meanwhile.
//
// The checker verifies:
//   - every frame a sink should get whose ACK was OK reached it (sinks stay
//     connected all along), and no sink gets a frame it should not;
//   - every receiver sees each sender's frames in send order, without
//     duplicates, with intact payloads;
//   - ACKs come in frame order with the codes the protocol allows (OK for
//     everything but MESSAGEs to churning clients: OK, 71, 77 or FF);
//   - the broker closes a half-closed connection, drops secondaries with
//     their primary, and never closes a connection without a reason (forced
//     disconnect, its primary gone, or a logged queue-overflow or timeout);
//   - once everyone has left, goroutines, registry entries, subscriptions,
//     broadcast names, connections and the live heap return to their
//     baseline, and the peak RSS stayed within the stated bound.
func TestChaos(t *testing.T) {
	cfg := chaosConfigFromEnv(t)
	log := newCloseLog()
	s := startServer(t, srvOpts{
		bus: bus.Config{Timeout: 5 * time.Second},
		log: log,
		listeners: []lspec{
			{key: "unix"}, {key: "tcp", tcp: true},
			{key: "sink-unix", queue: sinkQueue},
			{key: "sink-tcp", tcp: true, host: "127.0.0.2", queue: sinkQueue},
		},
	})
	base := s.baseline(t)
	hwm := resetPeakRSS()
	ch := newChaos(t, s, cfg, log)
	start := time.Now()
	ch.run()
	t.Logf("chaos %v (%d churning slots, %d sinks, race=%v): %s", time.Since(start).Round(time.Millisecond),
		cfg.churners, cfg.sinks, raceEnabled, ch.st.String())
	for _, f := range ch.failures() {
		t.Error(f)
	}
	if t.Failed() {
		return
	}
	ch.sinks = nil // the checker's records are not the broker's memory
	end := s.expectBaseline(t, base, 16<<20)
	peak := peakRSS()
	t.Logf("baseline %v; after %v; peak RSS %s (bound %s, reset=%v)", base, end, mib(peak), mib(cfg.rssBound), hwm)
	if peak > cfg.rssBound {
		t.Errorf("peak RSS %s above the bound %s", mib(peak), mib(cfg.rssBound))
	}
}

// sinkQueue is the queue size of the sinks' listeners: large enough that a
// sink delayed by the scheduler (2 cores, -race) is not mistaken for a
// slow consumer. TestSlowConsumer covers the kick rule.
const sinkQueue = 1 << 16

type chaosConfig struct {
	duration time.Duration
	churners int    // concurrent churning clients (each with up to 2 secondaries)
	sinks    int    // stable receivers (≤ 64)
	window   int    // frames a connection may have in flight before an ACK
	rssBound uint64 // peak resident set size allowed
}

// chaosConfigFromEnv: a bounded run by default; BUSRT_SOAK=<duration>
// for a soak run, BUSRT_SOAK_CLIENTS=<n> for more churning clients.
func chaosConfigFromEnv(t *testing.T) chaosConfig {
	c := chaosConfig{duration: 8 * time.Second, churners: 150, sinks: 8, window: 32, rssBound: 512 << 20}
	if raceEnabled {
		c.rssBound = 1 << 30 // the race detector's shadow memory
	}
	if v := os.Getenv("BUSRT_SOAK"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("BUSRT_SOAK=%q: %v", v, err)
		}
		c.duration, c.churners = d, 300
	}
	if v := os.Getenv("BUSRT_SOAK_CLIENTS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("BUSRT_SOAK_CLIENTS=%q", v)
		}
		c.churners = n
	}
	return c
}

// ---------------------------------------------------------------------------
// Payloads: connID u64, seq u32, dest u64 (bit j: sink j must get it),
// then padding taken from pattern at offset seq%251.

const payloadHead = 20

var pattern = func() []byte {
	b := make([]byte, 70<<10)
	for i := range b {
		b[i] = byte(i*7 + 3)
	}
	return b
}()

func appendPayload(dst []byte, connID uint64, seq uint32, dest uint64, pad int) []byte {
	dst = binary.LittleEndian.AppendUint64(dst, connID)
	dst = binary.LittleEndian.AppendUint32(dst, seq)
	dst = binary.LittleEndian.AppendUint64(dst, dest)
	off := int(seq % 251)
	return append(dst, pattern[off:off+pad]...)
}

func parsePayload(p []byte) (connID uint64, seq uint32, dest uint64, err error) {
	if len(p) < payloadHead {
		return 0, 0, 0, fmt.Errorf("payload of %d bytes", len(p))
	}
	connID = binary.LittleEndian.Uint64(p)
	seq = binary.LittleEndian.Uint32(p[8:])
	dest = binary.LittleEndian.Uint64(p[12:])
	pad := p[payloadHead:]
	off := int(seq % 251)
	if len(pad) > len(pattern)-off || !bytes.Equal(pad, pattern[off:off+len(pad)]) {
		return 0, 0, 0, fmt.Errorf("payload of conn %d seq %d damaged", connID, seq)
	}
	return connID, seq, dest, nil
}

// ---------------------------------------------------------------------------

type chaos struct {
	t   *testing.T
	s   *server
	cfg chaosConfig
	log *closeLog

	stopping atomic.Bool
	failMu   sync.Mutex
	fails    []string
	failed   chan struct{}
	failOnce sync.Once

	connSeq atomic.Uint64
	lifeSeq atomic.Uint64
	live    *nameSet // primaries and secondaries: MESSAGE targets
	prims   *nameSet // primaries: force-disconnect victims
	victims sync.Map
	sinks   []*sink
	st      chaosStats

	// incremental checking keeps the checker's memory bounded in long
	// runs: connections that ended are checked at the next SYNC marker
	endMu   sync.Mutex
	ended   []uint64 // connections whose reader ended since the last SYNC
	batches sync.Map // SYNC number → []uint64 ended before it was sent
}

type chaosStats struct {
	lives, conns, secondaries, frames, pings, acks atomic.Int64
	hsAborts, badNames, dups                       atomic.Int64
	graceful, abrupt, reset, midFrame, halfClose   atomic.Int64
	primaryFirst, secDropped, forced               atomic.Int64
	closedForced, closedPrimary, closedLogged      atomic.Int64
	sinkFrames, sinkAcked                          atomic.Int64
	codes                                          [256]atomic.Int64
}

func (s *chaosStats) String() string {
	codes := ""
	for i := range s.codes {
		if n := s.codes[i].Load(); n > 0 {
			codes += fmt.Sprintf(" %v=%d", proto.Code(i), n)
		}
	}
	return fmt.Sprintf("lives=%d conns=%d secondaries=%d frames=%d pings=%d acks=%d [%s ] "+
		"handshake-aborts=%d bad-names=%d duplicates=%d ends: graceful=%d abrupt=%d reset=%d mid-frame=%d "+
		"half-close=%d primary-first=%d (secondaries dropped=%d); force-disconnects=%d; broker closes: "+
		"forced=%d primary-gone=%d logged=%d; sinks got %d frames, %d of them required by an OK ACK",
		s.lives.Load(), s.conns.Load(), s.secondaries.Load(), s.frames.Load(), s.pings.Load(), s.acks.Load(), codes,
		s.hsAborts.Load(), s.badNames.Load(), s.dups.Load(), s.graceful.Load(), s.abrupt.Load(), s.reset.Load(),
		s.midFrame.Load(), s.halfClose.Load(), s.primaryFirst.Load(), s.secDropped.Load(), s.forced.Load(),
		s.closedForced.Load(), s.closedPrimary.Load(), s.closedLogged.Load(), s.sinkFrames.Load(), s.sinkAcked.Load())
}

func newChaos(t *testing.T, s *server, cfg chaosConfig, log *closeLog) *chaos {
	return &chaos{t: t, s: s, cfg: cfg, log: log, failed: make(chan struct{}),
		live: newNameSet(), prims: newNameSet()}
}

func (ch *chaos) fail(format string, args ...any) {
	ch.failMu.Lock()
	if len(ch.fails) < 20 {
		ch.fails = append(ch.fails, fmt.Sprintf(format, args...))
	}
	ch.failMu.Unlock()
	ch.failOnce.Do(func() { close(ch.failed) })
}

func (ch *chaos) failures() []string {
	ch.failMu.Lock()
	defer ch.failMu.Unlock()
	return slices.Clone(ch.fails)
}

// run starts the sinks, the churning clients and the admin, lets them run
// for the configured time (or until the first failure), stops them,
// drains the sinks and checks what they received.
func (ch *chaos) run() {
	t := ch.t
	ctl := ch.s.connect(t, "unix", "ctl")
	stopCtlPing := keepAlive(ctl, time.Second)
	for j := range ch.cfg.sinks {
		ch.sinks = append(ch.sinks, ch.startSink(j))
	}
	var wg sync.WaitGroup
	for i := range ch.cfg.churners {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(i), uint64(time.Now().UnixNano())))
			for !ch.stopping.Load() {
				ch.life(i, rng)
			}
		}()
	}
	adminDone := make(chan struct{})
	go ch.admin(adminDone)
	syncStop, syncDone := make(chan struct{}), make(chan struct{})
	go ch.syncer(ctl, syncStop, syncDone)

	tm := time.NewTimer(ch.cfg.duration) // the run's length, not a wait for an event
	progress := time.NewTicker(30 * time.Second)
	start := time.Now()
wait:
	for {
		select {
		case <-tm.C:
			break wait
		case <-ch.failed:
			break wait
		case <-progress.C: // long runs: show that it is alive
			t.Logf("%v: lives=%d frames=%d acks=%d force-disconnects=%d sink frames=%d clients=%d conns=%d RSS=%s",
				time.Since(start).Round(time.Second), ch.st.lives.Load(), ch.st.frames.Load(), ch.st.acks.Load(),
				ch.st.forced.Load(), ch.st.sinkFrames.Load(), ch.s.broker.ClientCount(), ch.s.srv.Conns(), mib(rss()))
		}
	}
	tm.Stop()
	progress.Stop()
	ch.stopping.Store(true)
	churnersDone := make(chan struct{})
	go func() { wg.Wait(); close(churnersDone) }()
	if !waitChan(churnersDone, 3*waitTimeout) {
		ch.fail("churning clients did not stop within %v", 3*waitTimeout)
		return
	}
	<-adminDone
	close(syncStop)
	<-syncDone

	// Every OK ACK a churning client received was queued to the sinks
	// before END, which is routed after it (PROTOCOL.md §12).
	for _, sk := range ch.sinks {
		id := ctl.message(t, proto.QoSProcessed, sk.name, []byte("END"))
		ctl.expectAck(t, id, proto.CodeOK)
	}
	for _, sk := range ch.sinks {
		if !waitChan(sk.done, waitTimeout) {
			ch.fail("%s did not get END within %v", sk.name, waitTimeout)
			continue
		}
		if sk.err != nil {
			ch.fail("%s: %v", sk.name, sk.err)
		}
	}
	for _, sk := range ch.sinks {
		ch.checkSink(sk)
		sk.stopPing()
		_ = sk.c.nc.Close()
	}
	stopCtlPing()
	_ = ctl.nc.Close()
}

// syncer sends a SYNC marker to every sink every 500 ms. Every OK ACK a
// connection received was queued to the sinks before a marker sent after
// that connection's reader ended (PROTOCOL.md §12): when a sink reads
// marker k it checks the connections of batch k and forgets them (and,
// 10 s later, their order state: by then the broker has routed whatever
// they left in flight).
func (ch *chaos) syncer(ctl *client, stop, done chan struct{}) {
	defer close(done)
	tk := time.NewTicker(500 * time.Millisecond) // pacing, not a wait for an event
	defer tk.Stop()
	for k := uint64(1); ; k++ {
		select {
		case <-stop:
			return
		case <-tk.C:
		}
		ch.endMu.Lock()
		batch := ch.ended
		ch.ended = nil
		ch.endMu.Unlock()
		ch.batches.Store(k, batch)
		ch.batches.Delete(k - 60)
		p := binary.LittleEndian.AppendUint64([]byte("SYNC"), k)
		for _, sk := range ch.sinks {
			id := ctl.nextID()
			if err := ctl.write(proto.AppendMessage(nil, id, proto.QoSProcessed, []byte(sk.name), p)); err != nil {
				ch.fail("ctl: %v", err)
				return
			}
			h, _, err := ctl.frame(waitTimeout)
			if err != nil || h.Kind != proto.KindAck || h.AckID != id || h.Code != proto.CodeOK {
				ch.fail("ctl: SYNC to %s: %+v %v", sk.name, h, err)
				return
			}
		}
	}
}

// admin force-disconnects a random live primary every 50 ms.
func (ch *chaos) admin(done chan struct{}) {
	defer close(done)
	tk := time.NewTicker(50 * time.Millisecond) // pacing, not a wait for an event
	defer tk.Stop()
	rng := rand.New(rand.NewPCG(7, uint64(time.Now().UnixNano())))
	for !ch.stopping.Load() {
		<-tk.C
		name, ok := ch.prims.random(rng)
		if !ok {
			continue
		}
		ch.victims.Store(name, true)
		switch err := ch.s.broker.ForceDisconnect(name); {
		case err == nil:
			ch.st.forced.Add(1)
		case errors.Is(err, bus.ErrNotRegistered): // it left meanwhile
		default:
			ch.fail("ForceDisconnect(%s): %v", name, err)
		}
	}
}

// ---------------------------------------------------------------------------
// Sinks

type sink struct {
	j        int
	name     string
	c        *client
	recv     map[uint64][]uint32 // reader goroutine only, until done
	done     chan struct{}
	err      error
	stopPing func()

	ackMu sync.Mutex
	acked map[uint64][]uint32 // seqs acknowledged OK, per sender connection
}

func (ch *chaos) startSink(j int) *sink {
	t := ch.t
	key := []string{"sink-unix", "sink-tcp"}[j%2]
	sk := &sink{j: j, name: fmt.Sprintf("sink.%d", j), recv: map[uint64][]uint32{}, acked: map[uint64][]uint32{},
		done: make(chan struct{})}
	sk.c = ch.s.connect(t, key, sk.name)
	sk.c.subscribe(t, fmt.Sprintf("sink/%d/#", j), "sink/all/+")
	go ch.sinkReader(sk)
	sk.stopPing = keepAlive(sk.c, time.Second)
	return sk
}

func (ch *chaos) sinkReader(sk *sink) {
	defer close(sk.done)
	last := map[uint64]uint32{}
	for {
		h, d, err := sk.c.readFrame()
		if err != nil {
			sk.err = fmt.Errorf("connection ended before END (broker log: %q): %v", ch.log.reason(sk.name), err)
			return
		}
		switch h.Kind {
		case proto.KindNop:
			continue
		case proto.KindAck:
			sk.err = fmt.Errorf("unexpected ACK %+v", h)
			return
		}
		sender, _, p, err := proto.SplitDelivery(h.Kind, d)
		if err != nil {
			sk.err = err
			return
		}
		if string(sender) == "ctl" {
			if string(p) == "END" {
				return
			}
			if len(p) == 12 && string(p[:4]) == "SYNC" {
				ch.syncSink(sk, binary.LittleEndian.Uint64(p[4:]), last)
				continue
			}
		}
		connID, seq, dest, err := parsePayload(p)
		if err != nil {
			sk.err = fmt.Errorf("from %s: %v", sender, err)
			return
		}
		if dest&(1<<sk.j) == 0 {
			sk.err = fmt.Errorf("misrouted %v from %s (conn %d seq %d, for sinks %b)", h.Kind, sender, connID, seq, dest)
			return
		}
		if l, ok := last[connID]; ok && seq <= l {
			sk.err = fmt.Errorf("from %s (conn %d): seq %d after %d", sender, connID, seq, l)
			return
		}
		last[connID] = seq
		sk.recv[connID] = append(sk.recv[connID], seq)
		ch.st.sinkFrames.Add(1)
	}
}

func (sk *sink) recordAck(connID uint64, seq uint32) {
	sk.ackMu.Lock()
	sk.acked[connID] = append(sk.acked[connID], seq)
	sk.ackMu.Unlock()
}

// syncSink checks the connections of batch k, and forgets the order
// state of batch k-20 (sink reader).
func (ch *chaos) syncSink(sk *sink, k uint64, last map[uint64]uint32) {
	if b, ok := ch.batches.Load(k); ok {
		for _, id := range b.([]uint64) {
			sk.ackMu.Lock()
			acked := sk.acked[id]
			delete(sk.acked, id)
			sk.ackMu.Unlock()
			ch.checkConn(sk, id, acked)
			delete(sk.recv, id)
		}
	}
	if k > 20 {
		if b, ok := ch.batches.Load(k - 20); ok {
			for _, id := range b.([]uint64) {
				delete(last, id)
				delete(sk.recv, id) // frames routed after the check
			}
		}
	}
}

// checkSink checks every connection not checked yet (at the end).
func (ch *chaos) checkSink(sk *sink) {
	sk.ackMu.Lock()
	defer sk.ackMu.Unlock()
	for id, acked := range sk.acked {
		ch.checkConn(sk, id, acked)
	}
	sk.acked = nil
}

// checkConn: every seq of connection id acknowledged OK for this sink was
// received (both lists are in increasing order).
func (ch *chaos) checkConn(sk *sink, id uint64, acked []uint32) {
	got := sk.recv[id]
	i, missing := 0, 0
	for _, seq := range acked {
		for i < len(got) && got[i] < seq {
			i++
		}
		if i == len(got) || got[i] != seq {
			if missing < 3 {
				ch.fail("%s: frame seq %d of conn %d was acknowledged OK but never arrived", sk.name, seq, id)
			}
			missing++
		}
	}
	if missing > 0 {
		ch.fail("%s: %d acknowledged frames of conn %d lost", sk.name, missing, id)
	}
	ch.st.sinkAcked.Add(int64(len(acked)))
}

// ---------------------------------------------------------------------------
// Churning clients

var errGone = errors.New("connection gone")

type pending struct {
	id       uint32
	ack      bool
	seq      uint32
	dest     uint64 // sinks that must get it once acknowledged OK
	churner  bool   // MESSAGE to a churning client: 71, 77, FF allowed
	what     string
	notifyCh chan struct{} // closed when its ACK arrives
}

// cconn is one connection of a churning client.
type cconn struct {
	ch      *chaos
	c       *client
	id      uint64
	name    string
	primary *cconn // nil for a primary
	seq     uint32
	window  chan struct{}
	timer   *time.Timer
	unacked int // frames since the last one that asked for an ACK
	buf, pl []byte

	mu   sync.Mutex
	pend []pending
	head int

	done         chan struct{} // the reader ended
	weClosed     atomic.Bool   // we closed or half-closed it (or expect the broker to)
	brokerClosed atomic.Bool   // it ended while we did not expect it
	readErr      error
}

// open dials and registers a connection; a secondary's registration may
// fail with 71 when its primary was just dropped.
func (ch *chaos) open(key, name string, primary *cconn) (*cconn, error) {
	c, err := ch.s.dial(key)
	if err != nil {
		return nil, fmt.Errorf("dial: %w", err)
	}
	code, err := c.handshake(name)
	if err != nil || code != proto.CodeOK {
		_ = c.nc.Close()
		if primary != nil && code == proto.CodeNotRegistered {
			return nil, errGone
		}
		return nil, fmt.Errorf("register %s: code %v, %v", name, code, err)
	}
	cc := &cconn{ch: ch, c: c, id: ch.connSeq.Add(1), name: name, primary: primary,
		window: make(chan struct{}, ch.cfg.window), timer: time.NewTimer(time.Hour), done: make(chan struct{})}
	cc.timer.Stop()
	ch.st.conns.Add(1)
	go cc.reader()
	return cc, nil
}

func (cc *cconn) reader() {
	defer close(cc.done)
	last := map[uint64]uint32{}
	for {
		h, d, err := cc.c.readFrame()
		if err != nil {
			cc.readErr = err
			if !cc.weClosed.Load() {
				cc.brokerClosed.Store(true)
			}
			return
		}
		switch h.Kind {
		case proto.KindNop:
		case proto.KindAck:
			cc.onAck(h)
		default:
			sender, _, p, err := proto.SplitDelivery(h.Kind, d)
			if err != nil {
				cc.ch.fail("%s: delivery %+v: %v", cc.name, h, err)
				continue
			}
			connID, seq, _, err := parsePayload(p)
			if err != nil {
				cc.ch.fail("%s: from %s: %v", cc.name, sender, err)
				continue
			}
			if l, ok := last[connID]; ok && seq <= l {
				cc.ch.fail("%s: from %s (conn %d): seq %d after %d", cc.name, sender, connID, seq, l)
			}
			last[connID] = seq
		}
	}
}

func (cc *cconn) onAck(h proto.BrokerHeader) {
	ch := cc.ch
	ch.st.acks.Add(1)
	ch.st.codes[h.Code].Add(1)
	cc.mu.Lock()
	defer cc.mu.Unlock()
	for {
		if cc.head == len(cc.pend) {
			ch.fail("%s: ACK %d for no frame", cc.name, h.AckID)
			return
		}
		p := cc.pend[cc.head]
		cc.pend[cc.head] = pending{}
		cc.head++
		<-cc.window
		if cc.head == len(cc.pend) {
			cc.pend, cc.head = cc.pend[:0], 0
		}
		if !p.ack {
			continue // processed: frames are routed in order
		}
		if p.id != h.AckID {
			ch.fail("%s: ACK id %d, expected %d (%s)", cc.name, h.AckID, p.id, p.what)
			return
		}
		switch {
		case h.Code == proto.CodeOK:
			for d := p.dest; d != 0; d &= d - 1 {
				ch.sinks[bits.TrailingZeros64(d)].recordAck(cc.id, p.seq)
			}
		case p.churner && (h.Code == proto.CodeNotRegistered || h.Code == proto.CodeNotDelivered || h.Code == proto.CodeEOF):
		default:
			ch.fail("%s: %s: ACK %v", cc.name, p.what, h.Code)
		}
		if p.notifyCh != nil {
			close(p.notifyCh)
		}
		return
	}
}

// send writes one frame after taking a window slot; p describes it.
func (cc *cconn) send(frame []byte, p pending) error {
	select {
	case cc.window <- struct{}{}:
	default:
		cc.timer.Reset(waitTimeout)
		select {
		case cc.window <- struct{}{}:
			cc.timer.Stop()
		case <-cc.done:
			cc.timer.Stop()
			return errGone
		case <-cc.timer.C:
			return fmt.Errorf("%s: no ACK within %v with %d frames in flight", cc.name, waitTimeout, cap(cc.window))
		}
	}
	cc.mu.Lock()
	cc.pend = append(cc.pend, p)
	cc.mu.Unlock()
	if err := cc.c.write(frame); err != nil {
		return errGone
	}
	cc.ch.st.frames.Add(1)
	return nil
}

// qos applies the window rule: a frame must ask for an ACK when the
// window would otherwise fill with frames nobody acknowledges.
func (cc *cconn) qos(q proto.QoS) proto.QoS {
	if cc.unacked >= cap(cc.window)-1 {
		q |= proto.QoSProcessed
	}
	if q.NeedsAck() {
		cc.unacked = 0
	} else {
		cc.unacked++
	}
	return q
}

// data sends a data frame with a checkable payload.
func (cc *cconn) data(op proto.Op, q proto.QoS, target, receiver string, dest uint64, churner bool, pad int) error {
	cc.seq++
	q = cc.qos(q)
	id := cc.c.nextID()
	cc.pl = appendPayload(cc.pl[:0], cc.id, cc.seq, dest, pad)
	switch op {
	case proto.OpPublishFor:
		cc.buf = proto.AppendPublishFor(cc.buf[:0], id, q, []byte(target), []byte(receiver), cc.pl)
	default:
		cc.buf = proto.AppendTargeted(cc.buf[:0], id, op, q, []byte(target), cc.pl)
	}
	return cc.send(cc.buf, pending{id: id, ack: q.NeedsAck(), seq: cc.seq, dest: dest, churner: churner,
		what: fmt.Sprintf("%v to %s", op, target)})
}

// topics sends SUBSCRIBE/UNSUBSCRIBE/EXCLUDE/UNEXCLUDE.
func (cc *cconn) topics(op proto.Op, q proto.QoS, notify chan struct{}, ts ...string) error {
	q = cc.qos(q)
	if notify != nil {
		q |= proto.QoSProcessed
		cc.unacked = 0
	}
	id := cc.c.nextID()
	bs := make([][]byte, len(ts))
	for i, s := range ts {
		bs[i] = []byte(s)
	}
	cc.buf = proto.AppendTopics(cc.buf[:0], id, op, q, bs...)
	return cc.send(cc.buf, pending{id: id, ack: q.NeedsAck(), what: op.String(), notifyCh: notify})
}

func (cc *cconn) closeNow(abortive bool) {
	cc.weClosed.Store(true)
	if abortive {
		closeAbortive(cc.c.nc)
	} else {
		_ = cc.c.nc.Close()
	}
}

func churnTopic(rng *rand.Rand) string {
	return fmt.Sprintf("churn/%d/%d", rng.IntN(64), rng.IntN(8))
}

func churnPattern(rng *rand.Rand) string {
	a, b := rng.IntN(64), rng.IntN(8)
	switch rng.IntN(3) {
	case 0:
		return fmt.Sprintf("churn/%d/%d", a, b)
	case 1:
		return fmt.Sprintf("churn/%d/+", a)
	}
	return fmt.Sprintf("churn/%d/#", a)
}

func padLen(rng *rand.Rand, big bool) int {
	switch r := rng.IntN(1000); {
	case r < 700:
		return rng.IntN(64)
	case r < 950:
		return 64 + rng.IntN(960)
	case r < 995 || !big:
		return 1024 + rng.IntN(7168)
	}
	return 64 << 10
}

func randQoS(rng *rand.Rand) proto.QoS { return proto.QoS(rng.IntN(4)) }

// life is one churning client from connect to leave.
func (ch *chaos) life(slot int, rng *rand.Rand) {
	life := ch.lifeSeq.Add(1)
	ch.st.lives.Add(1)
	name := fmt.Sprintf("ch%d.%d", slot, life)
	keys := []string{"unix", "tcp"}
	if rng.IntN(100) < 5 {
		ch.hostileHandshake(keys[rng.IntN(2)], name, rng)
		return
	}
	p, err := ch.open(keys[rng.IntN(2)], name, nil)
	if err != nil {
		ch.fail("%v", err)
		return
	}
	conns := []*cconn{p}
	for k := range rng.IntN(3) {
		sc, err := ch.open(keys[rng.IntN(2)], fmt.Sprintf("%s%%%%%d", name, k), p)
		if errors.Is(err, errGone) && ch.closeReason(p) != "" {
			break // the primary was dropped meanwhile
		}
		if err != nil {
			ch.fail("%v (primary: %s)", err, ch.closeReason(p))
			break
		}
		ch.st.secondaries.Add(1)
		conns = append(conns, sc)
	}
	ok := true
	for _, cc := range conns {
		pats := make([]string, 1+rng.IntN(8))
		for i := range pats {
			pats[i] = churnPattern(rng)
		}
		if err := cc.topics(proto.OpSubscribe, randQoS(rng), nil, pats...); err != nil {
			ok = ch.opErr(cc, err)
			break
		}
		ch.live.add(cc.name)
	}
	ch.prims.add(name)
	for i, n := 0, 20+rng.IntN(300); ok && i < n && !ch.stopping.Load(); i++ {
		cc := conns[rng.IntN(len(conns))]
		if err := ch.op(cc, slot, rng); err != nil {
			ok = ch.opErr(cc, err)
		}
	}
	ch.prims.remove(name)
	for _, cc := range conns {
		ch.live.remove(cc.name)
	}
	ch.leave(conns, rng)
}

// opErr reports whether an operation's error is a failure; a connection
// the broker closed for a reason is not.
func (ch *chaos) opErr(cc *cconn, err error) bool {
	if errors.Is(err, errGone) {
		return false
	}
	ch.fail("%v", err)
	return false
}

// op performs one random operation on cc.
func (ch *chaos) op(cc *cconn, slot int, rng *rand.Rand) error {
	nsinks := len(ch.sinks)
	j := rng.IntN(nsinks)
	all := uint64(1)<<nsinks - 1
	switch r := rng.IntN(1000); {
	case r < 200: // MESSAGE to a sink
		return cc.data(proto.OpMessage, randQoS(rng), fmt.Sprintf("sink.%d", j), "", 1<<j, false, padLen(rng, false))
	case r < 400: // PUBLISH to a sink's topic
		return cc.data(proto.OpPublish, randQoS(rng), fmt.Sprintf("sink/%d/%d", j, rng.IntN(100)), "", 1<<j, false, padLen(rng, false))
	case r < 420: // PUBLISH to every sink
		return cc.data(proto.OpPublish, randQoS(rng), fmt.Sprintf("sink/all/%d", rng.IntN(10)), "", all, false, padLen(rng, false))
	case r < 470: // PUBLISH_FOR the right sink, or for another one: nobody
		k := rng.IntN(nsinks)
		dest := uint64(0)
		if k == j {
			dest = 1 << j
		}
		return cc.data(proto.OpPublishFor, randQoS(rng), fmt.Sprintf("sink/%d/pf", j), fmt.Sprintf("sink.%d", k), dest, false, padLen(rng, false))
	case r < 480: // BROADCAST to the sinks
		return cc.data(proto.OpBroadcast, randQoS(rng), "sink.*", "", all, false, padLen(rng, false))
	case r < 650: // PUBLISH to churning clients
		return cc.data(proto.OpPublish, randQoS(rng), churnTopic(rng), "", 0, false, padLen(rng, true))
	case r < 800: // MESSAGE to a churning client (maybe itself, maybe gone)
		target := cc.name
		if n, ok := ch.live.random(rng); ok && rng.IntN(10) > 0 {
			target = n
		}
		return cc.data(proto.OpMessage, randQoS(rng), target, "", 0, true, padLen(rng, true))
	case r < 820: // BROADCAST to a slot's clients
		return cc.data(proto.OpBroadcast, randQoS(rng), fmt.Sprintf("ch%d.*", rng.IntN(ch.cfg.churners)), "", 0, false, padLen(rng, false))
	case r < 880:
		return cc.topics(proto.OpSubscribe, randQoS(rng), nil, churnPattern(rng), churnPattern(rng))
	case r < 930:
		return cc.topics(proto.OpUnsubscribe, randQoS(rng), nil, churnPattern(rng))
	case r < 960:
		return cc.topics(proto.OpExclude, randQoS(rng), nil, churnPattern(rng))
	case r < 980:
		return cc.topics(proto.OpUnexclude, randQoS(rng), nil, churnPattern(rng))
	default:
		ch.st.pings.Add(1)
		if cc.c.write(proto.AppendPing(nil)) != nil {
			return errGone
		}
		return nil
	}
}

// leave ends a life in one of several ways and checks how the broker
// reacted.
func (ch *chaos) leave(conns []*cconn, rng *rand.Rand) {
	p := conns[0]
	switch r := rng.IntN(100); {
	case r < 30: // graceful: everything acknowledged, then close
		ch.st.graceful.Add(1)
		for _, cc := range conns {
			n := make(chan struct{})
			if err := cc.topics(proto.OpUnsubscribe, proto.QoSProcessed, n, "never/subscribed"); err != nil {
				ch.opErr(cc, err)
				continue
			}
			select {
			case <-n:
			case <-cc.done:
			case <-time.After(waitTimeout):
				ch.fail("%s: last ACK not received within %v", cc.name, waitTimeout)
			}
		}
		for _, cc := range conns {
			cc.closeNow(false)
		}
	case r < 48: // abrupt close, frames in flight
		ch.st.abrupt.Add(1)
		for _, i := range rng.Perm(len(conns)) {
			conns[i].closeNow(false)
		}
	case r < 60: // reset (TCP) or close
		ch.st.reset.Add(1)
		for _, cc := range conns {
			cc.closeNow(true)
		}
	case r < 72: // in the middle of a frame
		ch.st.midFrame.Add(1)
		cc := conns[rng.IntN(len(conns))]
		f := proto.AppendPublish(nil, 1, proto.QoSProcessed, []byte("churn/0/0"), pattern[:200])
		_ = cc.c.write(f[:1+rng.IntN(len(f)-1)])
		for _, cc := range conns {
			cc.closeNow(rng.IntN(2) == 0)
		}
	case r < 86: // half-close: the broker reads EOF and must close
		ch.st.halfClose.Add(1)
		for _, cc := range conns {
			cc.weClosed.Store(true)
			_ = closeWrite(cc.c.nc)
		}
		for _, cc := range conns {
			if !waitChan(cc.done, waitTimeout) {
				ch.fail("%s: the broker did not close a half-closed connection within %v", cc.name, waitTimeout)
			}
		}
	default: // primary first: the broker must drop the secondaries
		ch.st.primaryFirst.Add(1)
		for _, cc := range conns[1:] {
			cc.weClosed.Store(true)
		}
		p.closeNow(rng.IntN(2) == 0)
		for _, cc := range conns[1:] {
			if !waitChan(cc.done, waitTimeout) {
				ch.fail("%s: not dropped within %v after its primary left", cc.name, waitTimeout)
			} else {
				ch.st.secDropped.Add(1)
			}
		}
	}
	for _, cc := range conns {
		cc.weClosed.Store(true)
		_ = cc.c.nc.Close()
		if !waitChan(cc.done, waitTimeout) {
			ch.fail("%s: reader did not end", cc.name)
		}
	}
	for _, cc := range conns {
		if !cc.brokerClosed.Load() {
			continue
		}
		switch reason := ch.closeReason(cc); reason {
		case "":
			ch.fail("the broker closed %s without a reason (%v)", cc.name, cc.readErr)
		case "forced":
			ch.st.closedForced.Add(1)
		case "primary gone":
			ch.st.closedPrimary.Add(1)
		default:
			ch.st.closedLogged.Add(1)
		}
	}
	ch.endMu.Lock()
	for _, cc := range conns {
		ch.ended = append(ch.ended, cc.id)
	}
	ch.endMu.Unlock()
	ch.victims.Delete(p.name)
}

// closeReason says why the broker may have closed cc: it or its primary
// was force-disconnected, its primary's connection ended, or the broker
// logged a queue overflow or a timeout for it.
func (ch *chaos) closeReason(cc *cconn) string {
	if _, ok := ch.victims.Load(cc.name); ok {
		return "forced"
	}
	switch r := ch.log.reason(cc.name); r {
	case "client queue is full, force unregistering", "client idle timeout", "client write timeout",
		"client body timeout": // (a client parked with its own queue full for T)
		return r
	case "":
	default:
		ch.fail("%s: unexpected broker log %q", cc.name, r)
		return r
	}
	if p := cc.primary; p != nil {
		if _, ok := ch.victims.Load(p.name); ok {
			return "forced"
		}
		select {
		case <-p.done:
			return "primary gone"
		default:
		}
		if ch.closeReason(p) != "" {
			return "primary gone"
		}
	}
	return ""
}

// hostileHandshake abandons the handshake at a random point, or offers a
// name the broker must refuse.
func (ch *chaos) hostileHandshake(key, name string, rng *rand.Rand) {
	c, err := ch.s.dial(key)
	if err != nil {
		ch.fail("dial: %v", err)
		return
	}
	defer c.nc.Close()
	nb, _ := proto.AppendName(proto.AppendGreeting(nil), name)
	switch rng.IntN(4) {
	case 0: // abandon: at most part of the greeting and name
		ch.st.hsAborts.Add(1)
		_ = c.write(nb[:rng.IntN(len(nb))])
		closeAbortive(c.nc)
	case 1: // reserved name
		ch.st.badNames.Add(1)
		if code, err := c.handshake(".x" + name); err != nil || code != proto.CodeData {
			ch.fail("name .x%s: code %v, %v", name, code, err)
		}
	case 2: // a name that is (probably still) taken
		ch.st.dups.Add(1)
		n, ok := ch.live.random(rng)
		if !ok {
			return
		}
		code, err := c.handshake(n)
		if err != nil || (code != proto.CodeBusy && code != proto.CodeOK && code != proto.CodeNotRegistered) {
			ch.fail("duplicate name %s: code %v, %v", n, code, err)
		}
	default: // a secondary of a client that does not exist
		ch.st.badNames.Add(1)
		if code, err := c.handshake("nobody." + name + "%%1"); err != nil || code != proto.CodeNotRegistered {
			ch.fail("orphan secondary: code %v, %v", code, err)
		}
	}
}

// ---------------------------------------------------------------------------

// nameSet is a set of names with random picks. Safe from any goroutine.
type nameSet struct {
	mu    sync.Mutex
	names []string
	idx   map[string]int
}

func newNameSet() *nameSet { return &nameSet{idx: map[string]int{}} }

func (s *nameSet) add(n string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.idx[n]; ok {
		return
	}
	s.idx[n] = len(s.names)
	s.names = append(s.names, n)
}

func (s *nameSet) remove(n string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i, ok := s.idx[n]
	if !ok {
		return
	}
	last := len(s.names) - 1
	s.names[i] = s.names[last]
	s.idx[s.names[i]] = i
	s.names = s.names[:last]
	delete(s.idx, n)
}

func (s *nameSet) random(rng *rand.Rand) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.names) == 0 {
		return "", false
	}
	return s.names[rng.IntN(len(s.names))], true
}
