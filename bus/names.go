package bus

import (
	"unsafe"

	"github.com/puzpuzpuz/xsync/v3"
)

// nameMap is the registry's name index. It wraps xsync so the rest of the
// package never depends on it directly (v3 relies on runtime linknames) and
// so lookups by a byte view do not allocate.
type nameMap struct {
	m *xsync.MapOf[string, *Client]
}

func newNameMap() nameMap { return nameMap{m: xsync.NewMapOf[string, *Client]()} }

// get looks a client up by a view of its name. The unsafe string never
// outlives the call: xsync only hashes and compares it.
func (n nameMap) get(name []byte) *Client {
	if len(name) == 0 {
		c, _ := n.m.Load("")
		return c
	}
	c, _ := n.m.Load(unsafe.String(unsafe.SliceData(name), len(name)))
	return c
}

// bytesView is a read-only view of s: frames hand topics and names to
// sinks, which copy them (Sink's contract), so a conversion would only
// allocate (the frame escapes through the interface).
func bytesView(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

func (n nameMap) getString(name string) *Client {
	c, _ := n.m.Load(name)
	return c
}

// put stores c under its own (heap-owned) name string.
func (n nameMap) put(c *Client) { n.m.Store(c.nameStr, c) }

// remove deletes the entry only while it still points at c.
func (n nameMap) remove(c *Client) {
	n.m.Compute(c.nameStr, func(old *Client, loaded bool) (*Client, bool) {
		return old, !loaded || old == c
	})
}

func (n nameMap) rangeAll(f func(c *Client) bool) {
	n.m.Range(func(_ string, c *Client) bool { return f(c) })
}
