package reliability

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"testing"
	"time"

	"github.com/busrt-go/busrt/proto"
)

// Mode bits: the first byte of each FuzzLiveServer input.
const (
	fzRegistered = 1 << 0 // the stream follows a valid handshake (else it replaces it)
	fzTCP        = 1 << 1 // TCP listener (else UNIX)
	fzUnlimited  = 1 << 2 // listener without MaxFrame (else 64 KiB)
	fzAbort      = 1 << 3 // close abruptly (TCP: reset) instead of a half-close
)

const fuzzMaxFrame = 64 << 10

// FuzzLiveServer throws arbitrary byte streams at a real connection of an
// in-process server, after a valid handshake or in place of one, over UNIX
// and TCP listeners with and without a frame-size limit. After each input:
//
//   - a half-closed connection is closed by the broker (it reads EOF), and
//     every byte the broker sent it is a well-formed handshake answer
//     followed by well-formed frames (kinds, ACK codes, UTF-8 senders);
//   - every connection but the canaries' is gone and the registry, the
//     subscription and broadcast indexes are back to their baseline;
//   - the canary pair (one UNIX, one TCP client) still exchange a QoS-1
//     MESSAGE each way, in order, with ACK OK;
//   - the heap stays bounded (and, every 256 inputs, the live heap after
//     GC stays near its baseline and RSS below 1 GiB).
//
// It extends netloop's FuzzClientInput (which checks that a control
// client is still served) with the canary pair, output validation, leak
// and memory checks. Seeds: every PROTOCOL.md §9 case, and every stream of
// testdata/transcripts/malformed.json and handshake.json.
func FuzzLiveServer(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	r := newFuzzRig(f)
	f.Fuzz(func(t *testing.T, data []byte) { r.run(t, data) })
}

// fuzzRig is one fuzzing process's server and canaries (the inputs of one
// process run one at a time).
type fuzzRig struct {
	s     *server
	a, b  *client // canaries
	base  snapshot
	tag   string
	n     int // inputs run
	names int // registered-mode names used

	heapFirst uint64 // live heap at the first input
	heapRef   uint64 // live heap at the first periodic check
}

func newFuzzRig(f *testing.F) *fuzzRig {
	s := startServer(f, srvOpts{listeners: []lspec{
		{key: "unix"}, {key: "tcp", tcp: true},
		{key: "unix-lim", maxFrame: fuzzMaxFrame}, {key: "tcp-lim", tcp: true, host: "127.0.0.2", maxFrame: fuzzMaxFrame},
	}})
	var rnd [4]byte
	_, _ = rand.Read(rnd[:])
	r := &fuzzRig{s: s, tag: hex.EncodeToString(rnd[:])}
	r.a = s.connect(f, "unix", "canary.a."+r.tag)
	r.b = s.connect(f, "tcp", "canary.b."+r.tag)
	r.a.roundTrip(f)
	r.b.roundTrip(f)
	r.base = s.baseline(f)
	return r
}

func (r *fuzzRig) run(t *testing.T, data []byte) {
	if len(data) == 0 {
		return
	}
	r.n++
	mode, in := data[0], data[1:]
	key := "unix"
	if mode&fzTCP != 0 {
		key = "tcp"
	}
	if mode&fzUnlimited == 0 {
		key += "-lim"
	}
	c, err := r.s.dial(key)
	if err != nil {
		t.Fatal(err)
	}
	defer c.nc.Close()
	registered := mode&fzRegistered != 0
	if registered {
		r.names++
		name := fmt.Sprintf("fz.%s.%d", r.tag, r.names)
		if code, err := c.handshake(name); err != nil || code != proto.CodeOK {
			t.Fatalf("register %s: %v %v", name, code, err)
		}
	} else {
		var g [proto.GreetingSize]byte
		_ = c.nc.SetReadDeadline(time.Now().Add(waitTimeout))
		if _, err := io.ReadFull(c.rd, g[:]); err != nil || proto.CheckGreeting(g[:]) != nil {
			t.Fatalf("greeting %x: %v", g, err)
		}
	}
	_ = c.nc.SetDeadline(time.Now().Add(waitTimeout))
	out := make(chan error, 1)
	go func() { out <- checkOutput(c, registered) }()
	_, _ = c.nc.Write(in) // fails once the broker has closed: fine
	if mode&fzAbort != 0 {
		closeAbortive(c.nc)
		if !waitChan(out, waitTimeout) {
			t.Fatal("reader did not end after close")
		}
	} else {
		_ = closeWrite(c.nc)
		select {
		case err := <-out:
			if err != nil {
				t.Fatalf("broker output to the fuzzing client: %v", err)
			}
		case <-time.After(waitTimeout + time.Second):
			t.Fatal("the broker did not close a half-closed connection")
		}
	}
	var cur snapshot
	err = pollUntil(waitTimeout, func() bool {
		cur = r.s.take(t)
		return cur.conns == r.base.conns && cur.clients == r.base.clients &&
			cur.subs == r.base.subs && cur.names == r.base.names
	})
	if err != nil {
		t.Fatalf("connection or registry leak: base %v, now %v", r.base, cur)
	}
	r.canaries(t)
	r.memory(t)
}

// checkOutput reads everything the broker sends to the fuzzing client
// until the connection ends and checks it is well-formed. A clean end
// (EOF, reset, our own close) returns nil.
func checkOutput(c *client, registered bool) error {
	if !registered {
		// greeting answer, then (after 01) the registration answer
		r, err := c.rd.ReadByte()
		if err != nil {
			return endErr(err)
		}
		switch proto.Code(r) {
		case proto.CodeNotSupported:
			return expectEnd(c)
		case proto.CodeOK:
		default:
			return fmt.Errorf("greeting answer %#x", r)
		}
		r, err = c.rd.ReadByte()
		if err != nil {
			return endErr(err)
		}
		switch proto.Code(r) {
		case proto.CodeOK:
		case proto.CodeData, proto.CodeNotRegistered, proto.CodeBusy, proto.CodeAccess:
			return expectEnd(c)
		default:
			return fmt.Errorf("registration answer %#x", r)
		}
	}
	total := 0
	for {
		h, d, err := c.readFrame()
		if err != nil {
			return endErr(err)
		}
		total += proto.BrokerHeaderSize + len(d)
		if total > 256<<20 {
			return errors.New("more than 256 MiB of output")
		}
		switch h.Kind {
		case proto.KindNop:
		case proto.KindAck:
			if !h.Code.Known() || h.Code == proto.CodeIO || h.Code == proto.CodeOther {
				return fmt.Errorf("ACK %d with code %v", h.AckID, h.Code)
			}
		default:
			if _, _, _, err := proto.SplitDelivery(h.Kind, d); err != nil {
				return fmt.Errorf("delivery %+v %q: %v", h, d, err)
			}
		}
	}
}

// expectEnd checks that nothing follows a handshake error.
func expectEnd(c *client) error {
	b, err := c.rd.ReadByte()
	if err == nil {
		return fmt.Errorf("byte %#x after a handshake error", b)
	}
	return endErr(err)
}

func endErr(err error) error {
	if isClosed(err) {
		return nil
	}
	return err
}

// canaries: a QoS-1 MESSAGE each way between the canary pair arrives
// (frames the fuzzing clients sent them, broadcasts to `*` say, are
// skipped) and is acknowledged OK.
func (r *fuzzRig) canaries(t *testing.T) {
	p := []byte(fmt.Sprintf("canary %d", r.n))
	for _, pair := range [2][2]*client{{r.a, r.b}, {r.b, r.a}} {
		from, to := pair[0], pair[1]
		id := from.message(t, proto.QoSProcessed, to.name, p)
		skipUntil(t, to, "the canary message", func(h proto.BrokerHeader, d []byte) bool {
			s, _, pl, err := proto.SplitDelivery(h.Kind, d)
			if err != nil || h.Kind != proto.KindMessage || string(s) != from.name {
				return false
			}
			if !bytes.Equal(pl, p) {
				t.Fatalf("canary %s got %q from %s, expected %q", to.name, pl, s, p)
			}
			return true
		})
		skipUntil(t, from, "the canary ACK", func(h proto.BrokerHeader, _ []byte) bool {
			if h.Kind != proto.KindAck {
				return false
			}
			if h.AckID != id || h.Code != proto.CodeOK {
				t.Fatalf("canary %s: ACK %+v, expected id %d OK", from.name, h, id)
			}
			return true
		})
	}
}

// skipUntil reads frames until match accepts one (within waitTimeout).
func skipUntil(t testing.TB, c *client, what string, match func(proto.BrokerHeader, []byte) bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		h, d, err := c.frame(time.Until(deadline))
		if err != nil {
			t.Fatalf("%.40s: waiting for %s: %v", c.name, what, err)
		}
		if match(h, d) {
			return
		}
	}
}

// memory bounds the heap after every input and, every 256 inputs, the
// live heap after GC and the RSS. The fuzzing engine allocates its
// mutator's buffer (about 100 MB in a fuzz worker) at its first mutation,
// so the live-heap reference is taken at the first periodic check (which
// must be within 64 MiB of the heap at the first input plus 128 MiB for
// that buffer) and later checks allow 64 MiB of growth over it.
func (r *fuzzRig) memory(t *testing.T) {
	var ms runtime.MemStats
	if r.n == 1 {
		runtime.GC()
		runtime.GC()
		runtime.ReadMemStats(&ms)
		r.heapFirst = ms.HeapInuse
		return
	}
	runtime.ReadMemStats(&ms)
	if ms.HeapAlloc > r.heapFirst+768<<20 {
		t.Fatalf("heap %s after an input (first input: %s)", mib(ms.HeapAlloc), mib(r.heapFirst))
	}
	if r.n%256 != 0 {
		return
	}
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	limit := r.heapRef + 64<<20
	if r.heapRef == 0 {
		limit = r.heapFirst + 192<<20
	}
	if ms.HeapInuse > limit {
		p := filepath.Join(os.TempDir(), fmt.Sprintf("busrt-fuzz-heap-%d.prof", os.Getpid()))
		if f, err := os.Create(p); err == nil {
			_ = pprof.WriteHeapProfile(f)
			_ = f.Close()
		}
		t.Fatalf("live heap %s after %d inputs, limit %s (heap profile: %s)", mib(ms.HeapInuse), r.n, mib(limit), p)
	}
	if r.heapRef == 0 {
		r.heapRef = ms.HeapInuse
	}
	if v := rss(); v > 1<<30 {
		t.Fatalf("RSS %s after %d inputs", mib(v), r.n)
	}
}

// fuzzSeeds: the malformed cases of PROTOCOL.md §9 by construction, then
// every client byte stream of the malformed and handshake transcripts.
func fuzzSeeds(f *testing.F) [][]byte {
	hdr := func(op proto.Op, qos proto.QoS, n uint32) []byte {
		return proto.AppendClientHeader(nil, 7, op, qos, n)
	}
	frame := func(op proto.Op, qos proto.QoS, data string) []byte {
		return append(hdr(op, qos, uint32(len(data))), data...)
	}
	valid := proto.AppendPublish(nil, 1, proto.QoSProcessed, []byte("t"), []byte("ok"))
	framed := [][]byte{
		nil, // EOF right after the handshake
		frame(0x07, proto.QoSProcessed, "x\x00y"),                       // unknown op
		frame(0x11, proto.QoSNo, "x\x00y"),                              // unknown op
		frame(0x3f, proto.QoSRealtimeProcessed, ""),                     // unknown op, empty data
		frame(proto.OpMessage, proto.QoSProcessed, "peer"),              // no 00
		frame(proto.OpBroadcast, proto.QoSProcessed, "p*"),              // no 00
		frame(proto.OpPublish, proto.QoSProcessed, "a/b"),               // no 00
		frame(proto.OpPublishFor, proto.QoSProcessed, "a/b"),            // no 00
		frame(proto.OpPublishFor, proto.QoSProcessed, "a/b\x00peer"),    // no second 00
		frame(proto.OpNop, proto.QoSProcessed, "ab"),                    // op 0 with QoS, no 00
		frame(proto.OpMessage, proto.QoSProcessed, "pe\xffer\x00x"),     // target not UTF-8
		frame(proto.OpPublish, proto.QoSProcessed, "a\xc3\x00x"),        // topic not UTF-8
		frame(proto.OpBroadcast, proto.QoSNo, "\xfe*\x00x"),             // mask not UTF-8
		frame(proto.OpPublishFor, proto.QoSProcessed, "a\x00p\xff\x00"), // receiver not UTF-8
		frame(proto.OpSubscribe, proto.QoSProcessed, "ok\x00\xff"),      // subscribe: none applied
		frame(proto.OpUnsubscribe, proto.QoSProcessed, "a\x00\xff"),     // applied up to the bad one
		frame(proto.OpExclude, proto.QoSProcessed, "\xff"),
		frame(proto.OpUnexclude, proto.QoSProcessed, "\xff"),
		hdr(proto.OpPublish, proto.QoSNo, fuzzMaxFrame+1), // over the listener limit
		hdr(proto.OpMessage, proto.QoSNo, 1<<32-1),        // 4 GiB declared
		{1, 0, 0, 0, 0x41}, // EOF mid-header
		append(hdr(proto.OpPublish, proto.QoSProcessed, 10), "ab"...), // EOF mid-body
		append(proto.AppendPing(nil)[:5], 0xff, 0xff, 0xff, 0xff),     // ping with a length: still a ping
		append(append([]byte(nil), valid...), frame(0x07, 0, "")...),  // valid frames, then a bad one
		append(frame(proto.OpSubscribe, proto.QoSProcessed, "#"), proto.AppendBroadcast(nil, 2, proto.QoSProcessed, []byte("*"), []byte("hi"))...),
	}
	var seeds [][]byte
	for _, m := range []byte{fzRegistered, fzRegistered | fzTCP | fzUnlimited} {
		for _, in := range framed {
			seeds = append(seeds, append([]byte{m}, in...))
		}
	}
	seeds = append(seeds,
		append([]byte{fzRegistered | fzAbort | fzTCP}, valid...),
		append([]byte{0}, 0xeb, 2, 0),                                                   // bad version
		append([]byte{fzTCP}, 0xea, 1, 0),                                               // bad greeting byte
		append([]byte{0}, 0xeb, 1, 0, 0, 0),                                             // empty name
		append([]byte{0}, 0xeb, 1, 0, 2, 0, 0xff, 0xfe),                                 // name not UTF-8
		append([]byte{0}, 0xeb, 1, 0, 0xff, 0xff, 'a'),                                  // name of 65535 bytes, cut short
		append([]byte{fzAbort}, 0xeb),                                                   // abandoned greeting
		append([]byte{0}, append([]byte{0xeb, 1, 0, 3, 0, 'x', '%', '%'}, valid...)...), // secondary "x%%" without primary
	)
	for _, file := range []string{"malformed.json", "handshake.json"} {
		seeds = append(seeds, transcriptSeeds(f, filepath.Join("..", "testdata", "transcripts", file))...)
	}
	return seeds
}

// transcriptSeeds returns, for every connection of every scenario, the
// bytes it sent: after its `register` step (mode registered), or all of
// them when it did its handshake by hand (mode raw).
func transcriptSeeds(f *testing.F, path string) [][]byte {
	raw, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	var doc struct {
		Scenarios []struct {
			Steps []struct {
				Conn     string  `json:"conn"`
				Send     *string `json:"send"`
				Register *string `json:"register"`
			} `json:"steps"`
		} `json:"scenarios"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		f.Fatalf("%s: %v", path, err)
	}
	var seeds [][]byte
	seen := map[string]bool{}
	for _, sc := range doc.Scenarios {
		streams := map[string][]byte{}
		reg := map[string]bool{}
		var order []string
		for _, st := range sc.Steps {
			if st.Conn == "" {
				continue
			}
			if _, ok := streams[st.Conn]; !ok {
				streams[st.Conn] = []byte{}
				order = append(order, st.Conn)
			}
			if st.Register != nil {
				reg[st.Conn] = true
			}
			if st.Send != nil {
				b, err := hex.DecodeString(*st.Send)
				if err != nil {
					f.Fatalf("%s: %v", path, err)
				}
				streams[st.Conn] = append(streams[st.Conn], b...)
			}
		}
		for _, conn := range order {
			m := byte(0)
			if reg[conn] {
				m = fzRegistered
			}
			s := append([]byte{m}, streams[conn]...)
			if !seen[string(s)] {
				seen[string(s)] = true
				seeds = append(seeds, s)
			}
		}
	}
	if len(seeds) == 0 {
		f.Fatalf("%s: no seeds", path)
	}
	return seeds
}
