package bus

import (
	"bytes"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/busrt-go/busrt/proto"
	"github.com/busrt-go/busrt/topictrie"
)

// Errors of the embedding API.
var (
	ErrNotRegistered = errors.New("bus: client not registered")
	ErrNotSupported  = errors.New("bus: not supported for embedded clients")
	ErrBusy          = errors.New("bus: client name already registered")
	ErrTableFull     = errors.New("bus: too many clients")
)

// Broker is the BUS/RT broker. All methods are safe from any goroutine.
type Broker struct {
	cfg     Config
	started time.Time

	regMu sync.Mutex // serializes registration changes
	names nameMap
	table clientTable
	subs  *topictrie.Subs
	bcast *topictrie.Names

	closing atomic.Bool
	core    atomic.Pointer[EmbeddedClient] // `.broker`, announcer

	gone counters // statistics of clients that left
}

// New creates a broker and, unless cfg.NoCoreService, registers the `.broker`
// service client.
func New(cfg Config) *Broker {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = DefaultQueueSize
	}
	b := &Broker{
		cfg:     cfg,
		started: time.Now(),
		names:   newNameMap(),
		subs:    topictrie.NewSubs(),
		bcast:   topictrie.NewNames(),
	}
	if !cfg.NoCoreService {
		// upstream registers .broker before applying --queue-size
		svc, err := b.registerEmbedded(CoreName, DefaultQueueSize)
		if err != nil {
			panic("bus: cannot register " + CoreName + ": " + err.Error())
		}
		b.core.Store(svc)
		startCoreService(b, svc)
	}
	return b
}

// Config returns the broker's effective configuration (defaults applied).
func (b *Broker) Config() Config { return b.cfg }

// SetCore makes e the client that sends announcements (`.broker` by
// default). Use it after replacing the built-in service with Config.NoCoreService.
func (b *Broker) SetCore(e *EmbeddedClient) { b.core.Store(e) }

// RegisterSocket registers a socket client whose handshake sent name. It
// returns the client and proto.CodeOK, or a nil client and the result byte
// to write before closing (PROTOCOL.md §4.2). A zero code means: close
// without writing anything (the name is not valid UTF-8).
func (b *Broker) RegisterSocket(name []byte, info ConnInfo, sink Sink) (*Client, proto.Code) {
	if code, _ := proto.CheckName(name); code != proto.CodeOK {
		return nil, code
	}
	primary := proto.PrimaryName(name)
	var aaa *ClientAAA
	if info.AAA != nil {
		aaa = info.AAA.lookup(primary)
		if aaa == nil {
			return nil, proto.CodeAccess
		}
		if info.PeerIP.IsValid() && !aaa.hostAllowed(info.PeerIP) {
			return nil, proto.CodeAccess
		}
	}
	c := &Client{
		b: b, name: bytes.Clone(name), kind: info.Kind,
		source: info.Source, port: info.Port, sink: sink, aaa: aaa,
	}
	c.nameStr = string(c.name)
	c.primary = c.name[:len(primary)]
	if code := b.insert(c); code != proto.CodeOK {
		return nil, code
	}
	return c, proto.CodeOK
}

// insert applies the secondary, uniqueness and force-register rules, adds c
// to every index and announces primaries.
func (b *Broker) insert(c *Client) proto.Code {
	b.regMu.Lock()
	var displaced *Client
	var displacedSecs []*Client
	if c.IsSecondary() {
		p := b.names.get(c.primary)
		if p == nil || !p.registered.Load() {
			b.regMu.Unlock()
			return proto.CodeNotRegistered
		}
		if b.names.get(c.name) != nil {
			b.regMu.Unlock()
			return proto.CodeBusy
		}
		c.primaryC = p
		if p.secondaries == nil {
			p.secondaries = make(map[*Client]struct{})
		}
		p.secondaries[c] = struct{}{}
	} else if old := b.names.get(c.name); old != nil {
		if !b.cfg.ForceRegister {
			b.regMu.Unlock()
			return proto.CodeBusy
		}
		displaced = old
	}
	// an id first: when none is left, nothing has changed yet (a displaced
	// primary stays registered)
	if !b.table.add(c) {
		if c.primaryC != nil {
			delete(c.primaryC.secondaries, c)
		}
		b.regMu.Unlock()
		return proto.CodeOther
	}
	if displaced != nil {
		displacedSecs = b.removeLocked(displaced) // no unreg announcement for a displaced primary
	}
	c.registered.Store(true)
	b.names.put(c)
	b.bcast.Add(c.name, c.id)
	b.subs.Subscribe([]byte(WarnTopic), c.id)
	c.subs.Add(1)
	b.regMu.Unlock()

	if displaced != nil {
		b.cfg.logWarn("disconnecting previous instance", "client", displaced.nameStr)
		b.disconnect(displaced)
		for _, s := range displacedSecs {
			b.disconnect(s)
		}
	}
	if !c.IsSecondary() {
		b.announce(InfoTopic, "reg", c.name)
	}
	return proto.CodeOK
}

// unregister removes c (and, for a primary, its secondaries) and announces
// a primary's departure. Idempotent: it reports whether this call removed
// c, so that concurrent callers disconnect a client only once.
func (b *Broker) unregister(c *Client, announce bool) bool {
	b.regMu.Lock()
	if !c.registered.Load() {
		b.regMu.Unlock()
		return false
	}
	secs := b.removeLocked(c)
	b.regMu.Unlock()
	for _, s := range secs {
		b.disconnect(s)
	}
	if announce && !c.IsSecondary() && !b.closing.Load() {
		b.announce(InfoTopic, "unreg", c.name)
	}
	return true
}

// kick unregisters a socket client whose queue overflowed; what it already
// has queued is still written.
func (b *Broker) kick(c *Client) {
	if !b.unregister(c, true) {
		return // another goroutine got there first
	}
	b.cfg.logWarn("client queue is full, force unregistering", "client", c.nameStr)
	if c.sink != nil {
		c.sink.Disconnect(true)
	}
}

// disconnect tells a removed socket client's transport to close at once;
// embedded clients are only removed from the registry.
func (b *Broker) disconnect(c *Client) {
	if c.embedded == nil && c.sink != nil {
		c.sink.Disconnect(false)
	}
}

// removeLocked drops c and its secondaries from every index. It returns the
// removed secondaries so the caller can disconnect them outside the lock.
func (b *Broker) removeLocked(c *Client) []*Client {
	var secs []*Client
	for s := range c.secondaries {
		b.dropLocked(s)
		secs = append(secs, s)
	}
	c.secondaries = nil
	if p := c.primaryC; p != nil {
		delete(p.secondaries, c)
	}
	b.dropLocked(c)
	return secs
}

func (b *Broker) dropLocked(c *Client) {
	if !c.registered.Swap(false) {
		return
	}
	b.names.remove(c)
	b.bcast.Remove(c.name, c.id)
	b.subs.UnsubscribeAll(c.id)
	c.subs.Store(0)
	c.excl.Clear()
	b.table.remove(c)
	b.gone.rFrames.Add(c.rFrames.Load())
	b.gone.rBytes.Add(c.rBytes.Load())
	b.gone.wFrames.Add(c.wFrames.Load())
	b.gone.wBytes.Add(c.wBytes.Load())
	if e := c.embedded; e != nil {
		e.closeQueue()
	}
}

// ForceDisconnect disconnects the socket client registered under name
// (ROUTING.md §13.3): it is unregistered (announced when primary), its
// secondaries dropped, its queued frames discarded.
func (b *Broker) ForceDisconnect(name string) error {
	c := b.names.getString(name)
	if c == nil || !c.registered.Load() {
		return ErrNotRegistered
	}
	if c.embedded != nil {
		return ErrNotSupported
	}
	if b.unregister(c, true) {
		c.sink.Disconnect(false)
	}
	return nil
}

// Shutdown switches the broker to closing (no more `unreg` announcements)
// and publishes the `shutdown` announcement on `.broker/warn`.
func (b *Broker) Shutdown() {
	b.closing.Store(true)
	b.announce(WarnTopic, "shutdown", nil)
}

// Closing reports whether Shutdown was called.
func (b *Broker) Closing() bool { return b.closing.Load() }

// ClientCount returns the number of registered clients (all kinds,
// secondaries included).
func (b *Broker) ClientCount() int { return b.names.m.Size() }

// Uptime returns the time since the broker was created.
func (b *Broker) Uptime() time.Duration { return time.Since(b.started) }
