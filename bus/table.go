package bus

import (
	"sync"
	"sync/atomic"
	"time"
)

// clientTable maps the dense uint32 ids used by the routing indexes to
// clients. Reads are lock-free (fixed directory of lazily allocated chunks);
// allocation and release are serialized by the registry lock.
//
// A released id is quarantined before reuse: a router that matched the id
// just before the client left must not resolve it to a newcomer.
type clientTable struct {
	chunks [tableChunks]atomic.Pointer[tableChunk]

	mu   sync.Mutex
	next uint32
	free []freedID
}

const (
	tableChunkBits = 10
	tableChunkLen  = 1 << tableChunkBits
	tableChunks    = 1 << 12 // 4 M clients
	idQuarantine   = 10 * time.Second
)

type tableChunk [tableChunkLen]atomic.Pointer[Client]

type freedID struct {
	id uint32
	at time.Time
}

func (t *clientTable) get(id uint32) *Client {
	ch := t.chunks[id>>tableChunkBits].Load()
	if ch == nil {
		return nil
	}
	return ch[id&(tableChunkLen-1)].Load()
}

// add assigns c an id; false when the table is full.
func (t *clientTable) add(c *Client) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	var id uint32
	if len(t.free) > 0 && time.Since(t.free[0].at) > idQuarantine {
		id = t.free[0].id
		t.free = t.free[1:]
	} else {
		if t.next >= tableChunkLen*tableChunks {
			return false
		}
		id = t.next
		t.next++
	}
	ci := id >> tableChunkBits
	ch := t.chunks[ci].Load()
	if ch == nil {
		ch = new(tableChunk)
		t.chunks[ci].Store(ch)
	}
	c.id = id
	ch[id&(tableChunkLen-1)].Store(c)
	return true
}

func (t *clientTable) remove(c *Client) {
	t.mu.Lock()
	defer t.mu.Unlock()
	ch := t.chunks[c.id>>tableChunkBits].Load()
	if ch == nil || ch[c.id&(tableChunkLen-1)].Load() != c {
		return
	}
	ch[c.id&(tableChunkLen-1)].Store(nil)
	t.free = append(t.free, freedID{id: c.id, at: time.Now()})
}
