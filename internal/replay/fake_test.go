package replay

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeBroker stands in for a broker in the engine's own tests. It listens on
// a UNIX socket and on 127.0.0.1 TCP; what it does with a connection is up to
// the scripted or the mirror variant below.
type fakeBroker struct {
	unixPath string
	unixLn   net.Listener
	tcpLn    net.Listener
	done     chan struct{} // closed by Stop
	wg       sync.WaitGroup

	mu      sync.Mutex
	conns   []net.Conn
	errs    []error // what went wrong on the server side
	signals []string
	stops   int
	cfg     BrokerConfig
	started bool
}

func newFakeBroker(t testing.TB) *fakeBroker {
	t.Helper()
	dir, err := os.MkdirTemp("", "replay") // short: UNIX socket paths are limited
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	b := &fakeBroker{unixPath: filepath.Join(dir, "b.sock"), done: make(chan struct{})}
	if b.unixLn, err = net.Listen("unix", b.unixPath); err != nil {
		t.Fatal(err)
	}
	if b.tcpLn, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
		b.unixLn.Close()
		t.Fatal(err)
	}
	t.Cleanup(b.Stop)
	return b
}

func (b *fakeBroker) UnixAddr() string { return b.unixPath }
func (b *fakeBroker) TCPAddr() string  { return b.tcpLn.Addr().String() }

func (b *fakeBroker) Signal(sig string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.signals = append(b.signals, sig)
	return nil
}

// Stop closes the listeners and every accepted connection and waits for the
// server goroutines. It is idempotent.
func (b *fakeBroker) Stop() {
	b.mu.Lock()
	b.stops++
	first := b.stops == 1
	conns := b.conns
	b.mu.Unlock()
	if !first {
		return
	}
	close(b.done)
	b.unixLn.Close()
	b.tcpLn.Close()
	for _, c := range conns {
		c.Close()
	}
	b.wg.Wait()
	// Connections accepted while stopping were closed by track.
}

// startFunc returns a StartFunc handing out this broker once.
func (b *fakeBroker) startFunc() StartFunc {
	return func(t testing.TB, cfg BrokerConfig) Broker {
		b.mu.Lock()
		defer b.mu.Unlock()
		if b.started {
			t.Errorf("broker started twice")
		}
		b.started, b.cfg = true, cfg
		return b
	}
}

// track remembers an accepted connection; it closes it and returns false
// when the broker is stopping.
func (b *fakeBroker) track(c net.Conn) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.stops > 0 {
		c.Close()
		return false
	}
	b.conns = append(b.conns, c)
	return true
}

func (b *fakeBroker) fail(err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.errs = append(b.errs, err)
}

func (b *fakeBroker) serverErrors() []error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]error(nil), b.errs...)
}

func (b *fakeBroker) stopCount() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.stops
}

// --- scripted variant -------------------------------------------------------

// action is one step of a fake server's script for one connection.
type action func(c net.Conn) error

// errHungUp ends a script without draining the connection.
var errHungUp = errors.New("hung up")

// serveScripts accepts connections and runs, for the i-th connection accepted
// on a listener, the i-th script of that listener. After its script, a
// connection is drained until the client closes it.
func (b *fakeBroker) serveScripts(unix, tcp [][]action) {
	for _, l := range []struct {
		ln      net.Listener
		scripts [][]action
	}{{b.unixLn, unix}, {b.tcpLn, tcp}} {
		b.wg.Add(1)
		go func() {
			defer b.wg.Done()
			for i := 0; ; i++ {
				c, err := l.ln.Accept()
				if err != nil {
					return
				}
				if !b.track(c) {
					return
				}
				var script []action
				if i < len(l.scripts) {
					script = l.scripts[i]
				}
				b.wg.Add(1)
				go func() {
					defer b.wg.Done()
					b.runScript(c, script)
				}()
			}
		}()
	}
}

func (b *fakeBroker) runScript(c net.Conn, script []action) {
	for _, a := range script {
		if err := a(c); err != nil {
			if !errors.Is(err, errHungUp) {
				b.fail(err)
			}
			return
		}
	}
	io.Copy(io.Discard, c) // until the client or Stop closes it
}

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// rd reads exactly the given bytes from the client.
func rd(hexs string) action {
	want := mustHex(hexs)
	return func(c net.Conn) error {
		got, err := readFull(c, len(want))
		if err != nil {
			return fmt.Errorf("server read of %x: %w (got %x)", want, err, got)
		}
		if !bytes.Equal(got, want) {
			return fmt.Errorf("server read %x, want %x", got, want)
		}
		return nil
	}
}

func readFull(c net.Conn, n int) ([]byte, error) {
	got := make([]byte, n)
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	k, err := io.ReadFull(c, got)
	return got[:k], err
}

// wr writes bytes to the client.
func wr(hexs string) action {
	data := mustHex(hexs)
	return func(c net.Conn) error {
		_, err := c.Write(data)
		return err
	}
}

// pause waits inside the fake server, to split what the client receives.
func pause(d time.Duration) action {
	return func(net.Conn) error {
		time.Sleep(d)
		return nil
	}
}

// hangup closes the connection and ends the script.
func hangup() action {
	return func(c net.Conn) error {
		c.Close()
		return errHungUp
	}
}

// signal closes ch (to order actions across connections).
func signal(ch chan struct{}) action {
	return func(net.Conn) error {
		close(ch)
		return nil
	}
}

// await waits for ch.
func await(ch chan struct{}) action {
	return func(net.Conn) error {
		select {
		case <-ch:
			return nil
		case <-time.After(5 * time.Second):
			return errors.New("await: timeout")
		}
	}
}

// handshake is the server side of the register macro.
func handshake(name string) []action {
	msg := binary.LittleEndian.AppendUint16(nil, uint16(len(name)))
	return []action{wr("eb0100"), rd("eb0100"), wr("01"), rd(hex.EncodeToString(append(msg, name...))), wr("01")}
}

func script(parts ...any) []action {
	var out []action
	for _, p := range parts {
		switch v := p.(type) {
		case action:
			out = append(out, v)
		case []action:
			out = append(out, v...)
		default:
			panic(fmt.Sprintf("script: %T", p))
		}
	}
	return out
}

// --- mirror variant ---------------------------------------------------------

// serveMirror plays the broker's side of scenario s in lock step with the
// replay: before step i it waits until the replay finished step i-1 (through
// the stepDone hook), then reads what a send step writes, writes what an
// expect step expects (expect_unordered items in reverse order), does the
// broker's half of the register macro and closes the connection for
// expect_closed_ms. mutate may change the bytes written for a step.
func (b *fakeBroker) serveMirror(s Scenario, mutate func(step int, exp []byte) []byte) func(int) {
	stepDone := make(chan int, len(s.Steps))
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		conns := make(map[string]net.Conn)
		for i, st := range s.Steps {
			if i > 0 {
				select {
				case <-stepDone:
				case <-b.done:
					return
				}
			}
			if err := b.mirrorStep(conns, i, st, mutate); err != nil {
				select {
				case <-b.done: // the replay ended first: not a server failure
				default:
					b.fail(fmt.Errorf("mirror steps[%d] %s: %w", i, describe(&st), err))
				}
				return
			}
		}
	}()
	return func(i int) { stepDone <- i }
}

func (b *fakeBroker) mirrorStep(conns map[string]net.Conn, i int, st Step, mutate func(int, []byte) []byte) error {
	c := conns[st.Conn]
	write := func(p []byte) error {
		if mutate != nil {
			p = mutate(i, p)
		}
		_, err := c.Write(p)
		return err
	}
	switch st.Kind {
	case KindConnect:
		ln := b.unixLn
		if st.Transport == "tcp" {
			ln = b.tcpLn
		}
		nc, err := ln.Accept()
		if err != nil {
			return err
		}
		if !b.track(nc) {
			return errors.New("stopped")
		}
		conns[st.Conn] = nc
	case KindRegister:
		for _, a := range handshake(st.Name) {
			if err := a(c); err != nil {
				return err
			}
		}
	case KindSend:
		got, err := readFull(c, len(st.Data)+st.PadCount)
		if err != nil {
			return err
		}
		if !bytes.Equal(got[:len(st.Data)], st.Data) {
			return fmt.Errorf("read %x, want %x", got[:len(st.Data)], st.Data)
		}
		if strings.Trim(string(got[len(st.Data):]), string([]byte{st.PadByte})) != "" {
			return errors.New("padding bytes differ")
		}
	case KindExpect:
		return write(st.Data)
	case KindExpectUnordered:
		for j := len(st.Items) - 1; j >= 0; j-- {
			if err := write(st.Items[j].Expect); err != nil {
				return err
			}
		}
	case KindExpectClosed:
		return c.Close()
	case KindClose:
		// The client closed its end; read up to its EOF, then close ours.
		if _, err := readFull(c, 1); err != io.EOF {
			return fmt.Errorf("after the client's close: %v", err)
		}
		return c.Close()
	}
	return nil
}

// --- recording testing.TB ---------------------------------------------------

// recordingTB records failures instead of failing the real test, so tests can
// assert that Run fails. Everything else goes to the embedded real TB.
type recordingTB struct {
	testing.TB
	mu       sync.Mutex
	failures []string
}

func (r *recordingTB) record(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failures = append(r.failures, s)
}

func (r *recordingTB) Helper()                           {}
func (r *recordingTB) Fail()                             { r.record("Fail") }
func (r *recordingTB) FailNow()                          { r.record("FailNow") }
func (r *recordingTB) Error(args ...any)                 { r.record(fmt.Sprint(args...)) }
func (r *recordingTB) Errorf(format string, args ...any) { r.record(fmt.Sprintf(format, args...)) }
func (r *recordingTB) Fatal(args ...any)                 { r.record(fmt.Sprint(args...)) }
func (r *recordingTB) Fatalf(format string, args ...any) { r.record(fmt.Sprintf(format, args...)) }

func (r *recordingTB) Failed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.failures) > 0
}

func (r *recordingTB) recorded() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.failures...)
}
