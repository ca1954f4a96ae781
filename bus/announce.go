package bus

import (
	"time"

	"github.com/busrt-go/busrt/gen"
	"github.com/busrt-go/busrt/proto"
)

// Names and topics of the broker's own service (ROUTING.md §12).
const (
	CoreName  = ".broker"
	InfoTopic = ".broker/info"
	WarnTopic = ".broker/warn"
)

// Announce publishes a custom announcement `{s, d?, t}` on topic from the
// core client, as the broker does for reg/unreg/shutdown. data may be nil.
func (b *Broker) Announce(topic, subject string, data []byte) {
	b.announce(topic, subject, data)
}

func (b *Broker) announce(topic, subject string, data []byte) {
	core := b.core.Load()
	if core == nil || !core.c.registered.Load() {
		return
	}
	a := gen.Announcement{S: gen.Str(subject), D: gen.Str(data), T: uint64(time.Now().UnixNano())}
	payload, err := a.MarshalMsg(make([]byte, 0, 32+len(data)))
	if err != nil {
		return
	}
	core.Publish(topic, payload, proto.QoSNo)
}

// Core returns the broker's core client (`.broker` unless replaced with
// SetCore), through which embedders and busrtd's FIFO channel send frames
// as the broker. Nil when there is none.
func (b *Broker) Core() *EmbeddedClient { return b.core.Load() }
