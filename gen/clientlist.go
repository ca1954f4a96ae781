package gen

import "github.com/tinylib/msgp/msgp"

// clientsKey is the only key of the client.list reply map.
const clientsKey = "clients"

// UnmarshalMsg decodes a client.list reply from the front of b into l and
// returns the bytes after it. It implements msgp.Unmarshaler. Unknown keys
// are skipped. Clients grows one entry at a time (reusing its capacity and
// the entries' buffers), so the declared array length never causes an
// allocation ahead of the data.
func (l *ClientList) UnmarshalMsg(b []byte) ([]byte, error) {
	n, o, err := msgp.ReadMapHeaderBytes(b)
	if err != nil {
		return b, msgp.WrapError(err)
	}
	for ; n > 0; n-- {
		var key []byte
		key, o, err = msgp.ReadMapKeyZC(o)
		if err != nil {
			return b, msgp.WrapError(err)
		}
		if string(key) != clientsKey {
			if o, err = msgp.Skip(o); err != nil {
				return b, msgp.WrapError(err)
			}
			continue
		}
		var cnt uint32
		cnt, o, err = msgp.ReadArrayHeaderBytes(o)
		if err != nil {
			return b, msgp.WrapError(err, "Clients")
		}
		l.Clients = l.Clients[:0]
		for i := uint32(0); i < cnt; i++ {
			c := l.nextClient()
			if o, err = c.UnmarshalMsg(o); err != nil {
				return b, msgp.WrapError(err, "Clients", i)
			}
		}
	}
	return o, nil
}

// nextClient extends Clients by one entry, reusing a previous entry (and its
// buffers) when the capacity allows, and returns it.
func (l *ClientList) nextClient() *ClientInfo {
	if n := len(l.Clients); n < cap(l.Clients) {
		l.Clients = l.Clients[:n+1]
	} else {
		l.Clients = append(l.Clients, ClientInfo{})
	}
	return &l.Clients[len(l.Clients)-1]
}
