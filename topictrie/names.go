package topictrie

import "sync"

// Names is the broadcast index over registered client names. All methods
// are safe from any goroutine.
//
// TEMPORARY reference implementation (mutex + scan); replaced by an index
// that does not scan every name when the mask has a literal prefix.
type Names struct {
	mu    sync.RWMutex
	names map[string]uint32
}

// NewNames returns an empty index.
func NewNames() *Names { return &Names{names: map[string]uint32{}} }

// Add registers name for id (replacing any previous id of that name).
func (n *Names) Add(name []byte, id uint32) {
	n.mu.Lock()
	n.names[string(name)] = id
	n.mu.Unlock()
}

// Remove unregisters name if it is held by id.
func (n *Names) Remove(name []byte, id uint32) {
	n.mu.Lock()
	if cur, ok := n.names[string(name)]; ok && cur == id {
		delete(n.names, string(name))
	}
	n.mu.Unlock()
}

// Match appends the id of every name matching mask to dst.
func (n *Names) Match(mask []byte, dst []uint32) []uint32 {
	n.mu.RLock()
	defer n.mu.RUnlock()
	for name, id := range n.names {
		if MatchName(mask, []byte(name)) {
			dst = append(dst, id)
		}
	}
	return dst
}
