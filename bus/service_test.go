package bus

import (
	"bytes"
	"testing"

	"github.com/busrt-go/busrt/proto"
)

// call sends an RPC request to .broker with QoS 0 and returns the reply frame.
func (p *peer) call(t *testing.T, callID uint32, method string, params []byte) []byte {
	t.Helper()
	payload := proto.AppendRPCRequest(nil, callID, []byte(method), params)
	p.send(proto.QoSNo, CoreName, string(payload))
	if callID == 0 {
		return nil
	}
	hdr := p.sink.waitLen(t, 6)
	return hdr
}

func TestCoreServiceVectors(t *testing.T) {
	b := newBroker(t, Config{})
	c := connect(t, b, "test.client")
	// RPC.md §9: QoS Processed call of `test`, ACK then reply
	if err := c.do(unhex(t, "09 00 00 00 52 12 00 00 00 2e 62 72 6f 6b 65 72 00 01 01 00 00 00 74 65 73 74 00")); err != nil {
		t.Fatal(err)
	}
	want := cat(unhex(t, "fe 09 00 00 00 01"), unhex(t, "12 12 00 00 00 00 2e 62 72 6f 6b 65 72 00 11 01 00 00 00 81 a2 6f 6b c3"))
	if got := c.sink.waitLen(t, len(want)); !bytes.Equal(got, want) {
		t.Fatalf("test call\n got %x\nwant %x", got, want)
	}
	// unknown method: -32601 without data
	want = unhex(t, "12 0f 00 00 00 00 2e 62 72 6f 6b 65 72 00 12 02 00 00 00 a7 80")
	if got := c.call(t, 2, "nope", nil); !bytes.Equal(got, want) {
		t.Fatalf("unknown method\n got %x\nwant %x", got, want)
	}
	reply := func(id uint32, body []byte) []byte {
		return proto.AppendDelivery(nil, proto.KindMessage, false, []byte(CoreName), nil, proto.AppendRPCReply(nil, id, body))
	}
	rpcErr := func(id uint32, code int16, data []byte) []byte {
		return proto.AppendDelivery(nil, proto.KindMessage, false, []byte(CoreName), nil, proto.AppendRPCError(nil, id, code, data))
	}
	// strict empty params
	for i, m := range []string{"test", "info", "stats"} {
		if got, w := c.call(t, uint32(10+i), m, []byte{0x80}), rpcErr(uint32(10+i), proto.RPCErrInvalidParams, nil); !bytes.Equal(got, w) {
			t.Fatalf("%s with params\n got %x\nwant %x", m, got, w)
		}
	}
	// benchmark.test echoes anything, even before the UTF-8 method check
	if got, w := c.call(t, 20, "benchmark.test", []byte("\x00\xffabc")), reply(20, []byte("\x00\xffabc")); !bytes.Equal(got, w) {
		t.Fatalf("benchmark.test\n got %x\nwant %x", got, w)
	}
	if got, w := c.call(t, 21, "\xff", nil), rpcErr(21, -32114, nil); !bytes.Equal(got, w) {
		t.Fatalf("non-UTF-8 method\n got %x\nwant %x", got, w)
	}
	// call id 0: no reply
	c.call(t, 0, "test", nil)
	c.expectNothing()
	// info: our author and version
	got := c.call(t, 22, "info", nil)
	if !bytes.Contains(got, []byte(Version)) || !bytes.Contains(got, []byte("\xa6author")) {
		t.Fatalf("info: %x", got)
	}
	// invalid regex → -32700 with a text
	got = c.call(t, 23, "client.list", unhex(t, "81 a6 66 69 6c 74 65 72 a1 28"))
	if !bytes.HasPrefix(got[14:], unhex(t, "12 17 00 00 00 44 80")) || len(got) <= 21 {
		t.Fatalf("bad regex: %x", got)
	}
}

func TestClientListAndCounters(t *testing.T) {
	b := newBroker(t, Config{})
	c := connect(t, b, "test.client")
	// one publish of L=16 gives r_frames 1 / r_bytes 16
	if err := c.do(unhex(t, "01 00 00 00 41 10 00 00 00 74 65 73 74 2f 74 6f 70 69 63 00 68 65 6c 6c 6f")); err != nil {
		t.Fatal(err)
	}
	c.expect(ack(1, proto.CodeOK)) // w: 1 frame, 6 bytes
	got := c.call(t, 5, "client.list", unhex(t, "81 a6 66 69 6c 74 65 72 a5 5e 74 65 73 74"))
	// RPC.md §6 example shape: r_frames 2 (publish + this call), w 1/6 before the reply
	body := unhex(t, `81 a7 63 6c 69 65 6e 74 73 91 8a a4 6e 61 6d 65 ab 74 65 73 74 2e 63 6c 69
    65 6e 74 a4 6b 69 6e 64 a9 6c 6f 63 61 6c 5f 69 70 63 a6 73 6f 75 72 63 65
    c0 a4 70 6f 72 74 ae 2f 74 6d 70 2f 74 65 73 74 2e 73 6f 63 6b a8 72 5f
    66 72 61 6d 65 73 02 a7 72 5f 62 79 74 65 73 d0 a8 77 5f 66 72 61 6d 65 73
    01 a7 77 5f 62 79 74 65 73 06 a5 71 75 65 75 65 00 a9 69 6e 73 74 61 6e 63
    65 73 01`)
	rBytes := byte(16 + len(CoreName) + 1 + 5 + len("client.list") + 1 + 14)
	body[bytes.Index(body, []byte("\xa7r_bytes"))+8] = rBytes
	body = bytes.Replace(body, []byte{0xa7, 'r', '_', 'b', 'y', 't', 'e', 's', rBytes}, []byte{0xa7, 'r', '_', 'b', 'y', 't', 'e', 's', 0xcc, rBytes}, 1)
	if rBytes < 128 {
		body = bytes.Replace(body, []byte{0xcc, rBytes}, []byte{rBytes}, 1)
	}
	want := proto.AppendDelivery(nil, proto.KindMessage, false, []byte(CoreName), nil, proto.AppendRPCReply(nil, 5, body))
	if !bytes.Equal(got, want) {
		t.Fatalf("client.list\n got %x\nwant %x", got, want)
	}
	st := b.Stats()
	if st.RFrames < 2 || st.WFrames < 2 {
		t.Fatalf("stats: %+v", st)
	}
}
