package netloop

import (
	"fmt"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/busrt-go/busrt/proto"
)

// FuzzClientInput throws arbitrary bytes at a live server, after a valid
// handshake (odd first byte) or in place of one (even first byte), and
// checks after each input that the broker still serves a control client.
func FuzzClientInput(f *testing.F) {
	f.Add([]byte{1})
	f.Add(append([]byte{1}, proto.AppendPublish(nil, 1, proto.QoSProcessed, []byte("t"), []byte("x"))...))
	f.Add(append([]byte{1}, proto.AppendClientHeader(nil, 1, proto.OpMessage, proto.QoSRealtime, 1<<31)...))
	f.Add(append([]byte{1}, 1, 0, 0, 0, 0x07, 3, 0, 0, 0, 'a', 0, 'b'))
	f.Add(append([]byte{0}, 0xeb, 1, 0, 2, 0, 'h', 'i'))
	f.Add([]byte{0, 0xeb, 2, 0})
	ts := startServer(f, serverOpts{maxFrame: 1 << 20})
	ctl := ts.client("unix", "ctl")
	var n atomic.Uint64
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		ctl.t = t // iterations of one fuzzing process run one at a time
		nc, err := net.Dial("unix", ts.unix)
		if err != nil {
			t.Fatal(err)
		}
		_ = nc.SetDeadline(time.Now().Add(waitTimeout))
		var g [3]byte
		if _, err := readAll(nc, g[:]); err != nil {
			t.Fatal(err)
		}
		if data[0]&1 == 1 {
			b := greetingBytes()
			b, _ = proto.AppendName(b, fmt.Sprintf("fz%d", n.Add(1)))
			_, _ = nc.Write(b)
		}
		_, _ = nc.Write(data[1:])
		_ = nc.Close()
		id := ctl.message(proto.QoSProcessed, "ctl", "alive")
		ctl.expectDelivery(proto.KindMessage, false, "ctl", "", "alive")
		ctl.expectAck(id, proto.CodeOK)
	})
}

func readAll(c net.Conn, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		k, err := c.Read(b[n:])
		n += k
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
