package bus

import (
	"net/netip"
	"sync"

	"github.com/busrt-go/busrt/topictrie"
)

// AAAMap is a listener's security map: primary client name → rules
// (ROUTING.md §13). A listener with a map admits only the names in it.
// Safe from any goroutine. Changes do not affect connected clients (each
// copies its entry at registration): force-disconnect them after a change.
type AAAMap struct {
	mu sync.RWMutex
	m  map[string]*ClientAAA
}

// NewAAAMap returns an empty map (which admits nobody).
func NewAAAMap() *AAAMap { return &AAAMap{m: map[string]*ClientAAA{}} }

// Set stores the rules for a primary client name (a copy of a).
func (m *AAAMap) Set(name string, a *ClientAAA) {
	cp := a.clone()
	m.mu.Lock()
	m.m[name] = cp
	m.mu.Unlock()
}

// Remove deletes the rules for name.
func (m *AAAMap) Remove(name string) {
	m.mu.Lock()
	delete(m.m, name)
	m.mu.Unlock()
}

func (m *AAAMap) lookup(primary []byte) *ClientAAA {
	m.mu.RLock()
	a := m.m[string(primary)]
	m.mu.RUnlock()
	if a == nil {
		return nil
	}
	return a.clone()
}

// ClientAAA holds one client's rules. NewClientAAA allows everything from
// any IPv4 host; the builder methods narrow it. Not safe for concurrent
// mutation; AAAMap.Set stores a copy.
type ClientAAA struct {
	hosts     []netip.Prefix
	p2p       acl // MESSAGE targets (name patterns)
	publish   acl // PUBLISH / PUBLISH_FOR topics
	subscribe acl // SUBSCRIBE patterns
	broadcast acl // BROADCAST masks (name patterns)
}

// NewClientAAA returns rules that allow every operation from any IPv4 host
// (upstream's default host rule is 0.0.0.0/0: IPv6 peers are refused).
func NewClientAAA() *ClientAAA {
	return &ClientAAA{
		hosts: []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0")},
		p2p:   acl{any: true}, publish: acl{any: true},
		subscribe: acl{any: true}, broadcast: acl{any: true},
	}
}

// HostsAllow replaces the allowed networks.
func (a *ClientAAA) HostsAllow(nets ...netip.Prefix) *ClientAAA {
	a.hosts = append([]netip.Prefix(nil), nets...)
	return a
}

// AllowP2PTo restricts direct messages to targets matching the name
// patterns (`.` chunks, `?`, `*`); `*` in the list allows any.
func (a *ClientAAA) AllowP2PTo(patterns ...string) *ClientAAA {
	a.p2p.allow(patterns, "*")
	return a
}

// DenyP2P forbids every direct message.
func (a *ClientAAA) DenyP2P() *ClientAAA { a.p2p = acl{}; return a }

// AllowPublishTo restricts publications to topics matching the patterns
// (`/`, `+`, `#`); `#` in the list allows any.
func (a *ClientAAA) AllowPublishTo(patterns ...string) *ClientAAA {
	a.publish.allow(patterns, "#")
	return a
}

// DenyPublish forbids every publication.
func (a *ClientAAA) DenyPublish() *ClientAAA { a.publish = acl{}; return a }

// AllowSubscribeTo restricts subscriptions to patterns matched by these
// rule patterns; `#` allows any.
func (a *ClientAAA) AllowSubscribeTo(patterns ...string) *ClientAAA {
	a.subscribe.allow(patterns, "#")
	return a
}

// DenySubscribe forbids every subscription.
func (a *ClientAAA) DenySubscribe() *ClientAAA { a.subscribe = acl{}; return a }

// AllowBroadcastTo restricts broadcast masks to those matched by the name
// patterns; `*` allows any.
func (a *ClientAAA) AllowBroadcastTo(patterns ...string) *ClientAAA {
	a.broadcast.allow(patterns, "*")
	return a
}

// DenyBroadcast forbids every broadcast.
func (a *ClientAAA) DenyBroadcast() *ClientAAA { a.broadcast = acl{}; return a }

func (a *ClientAAA) clone() *ClientAAA {
	cp := *a
	cp.hosts = append([]netip.Prefix(nil), a.hosts...)
	cp.p2p.patterns = append([][]byte(nil), a.p2p.patterns...)
	cp.publish.patterns = append([][]byte(nil), a.publish.patterns...)
	cp.subscribe.patterns = append([][]byte(nil), a.subscribe.patterns...)
	cp.broadcast.patterns = append([][]byte(nil), a.broadcast.patterns...)
	return &cp
}

// hostAllowed: an IPv6 peer (IPv4-mapped included) never matches an IPv4
// network, as upstream.
func (a *ClientAAA) hostAllowed(ip netip.Addr) bool {
	for _, n := range a.hosts {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}

// acl is one rule: "any", or a list of patterns the checked string must
// match (the checked string is treated as concrete, ROUTING.md §13.2).
type acl struct {
	any      bool
	patterns [][]byte
}

// allow adds patterns to the rule, as upstream's allow_X_to: a second call
// widens the first, it does not replace it (ROUTING.md §13.1).
func (l *acl) allow(patterns []string, catchAll string) {
	l.any = false
	for _, p := range patterns {
		if p == catchAll {
			l.any = true
		}
		l.patterns = append(l.patterns, []byte(p))
	}
}

func (l *acl) allowTopic(topic []byte) bool {
	if l.any {
		return true
	}
	for _, p := range l.patterns {
		if topictrie.MatchTopic(p, topic) {
			return true
		}
	}
	return false
}

func (l *acl) allowName(name []byte) bool {
	if l.any {
		return true
	}
	for _, p := range l.patterns {
		if topictrie.MatchName(p, name) {
			return true
		}
	}
	return false
}
