package topictrie

import (
	"sync"
	"sync/atomic"
)

// Names is the broadcast index over registered client names (ROUTING.md
// §5.1): a trie of `.`-separated chunks, so a mask with a literal prefix
// visits only the names under that prefix. Full names are indexed as they
// are, secondaries included (`app.x%%1` is the chunk `x%%1` after `app`),
// as are names with an empty first chunk (`.broker`).
//
// All methods are safe from any goroutine. Match and Len never block and
// never allocate: they read an immutable snapshot behind an atomic pointer.
// Add and Remove serialize on an internal mutex.
type Names struct {
	root  atomic.Pointer[node] // current snapshot; nil when empty
	count atomic.Int64         // registered names
	mu    sync.Mutex           // serializes writers
}

// NewNames returns an empty index. The zero Names is also ready to use.
func NewNames() *Names { return &Names{} }

// Len returns the number of registered names. Safe from any goroutine;
// never blocks.
func (n *Names) Len() int { return int(n.count.Load()) }

// Add registers name for id (replacing any previous id of that name).
// Safe from any goroutine.
func (n *Names) Add(name []byte, id uint32) {
	n.mu.Lock()
	defer n.mu.Unlock()
	e := edit{syn: nameSyntax, op: opSet, id: id}
	root, ok := e.update(n.root.Load(), string(name), false)
	if !ok {
		return
	}
	n.root.Store(root)
	if e.new {
		n.count.Add(1)
	}
}

// Remove unregisters name if it is held by id. Safe from any goroutine.
func (n *Names) Remove(name []byte, id uint32) {
	n.mu.Lock()
	defer n.mu.Unlock()
	e := edit{syn: nameSyntax, op: opRemoveIf, id: id}
	root, ok := e.update(n.root.Load(), string(name), false)
	if !ok {
		return
	}
	n.root.Store(root)
	n.count.Add(-1)
}

// Match appends the id of every name matching mask to dst and returns the
// extended slice. Safe from any goroutine; never blocks, never allocates
// beyond growing dst.
func (n *Names) Match(mask []byte, dst []uint32) []uint32 {
	if root := n.root.Load(); root != nil {
		dst = matchMask(root, mask, dst)
	}
	return dst
}
