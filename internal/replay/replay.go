// Package replay runs the golden wire transcripts recorded from the upstream
// BUS/RT 0.5.6 broker (testdata/transcripts, format in its README.md) against
// a broker under test.
//
// The package owns the transcript format (loading, validation) and the replay
// rules: connections, the register macro, masks, unordered expectations,
// "nothing arrives" and "closed" checks. It never starts a broker itself: the
// caller passes a StartFunc that starts a fresh broker for one scenario. It
// reads a connection only inside expect steps, with plain deadline-based Read
// calls, so a connection that a scenario stops reading is never read again.
//
// A typical integration test (startBroker starts our broker with cfg and
// registers its Stop with t.Cleanup):
//
//	scenarios, err := replay.LoadDir("../testdata/transcripts")
//	if err != nil {
//		t.Fatal(err)
//	}
//	opts := replay.Options{ErrorTextTolerant: true, Rewrite: ourIdentity}
//	for _, s := range scenarios {
//		t.Run(s.Name, func(t *testing.T) {
//			if !s.HasTag("exact-binds") && !s.HasTag("time-based") {
//				t.Parallel() // exact binds share fixed addresses
//			}
//			replay.Run(t, s, startBroker, opts)
//		})
//	}
//
// where ourIdentity rewrites the broker_info reply (see ReplaceMsgpackString).
package replay

import (
	"fmt"
	"io"
	"testing"
	"time"
)

// BrokerConfig is the broker set-up a scenario asks for (its "broker" object).
type BrokerConfig struct {
	Timeout       float64 // broker timeout T in seconds (-t); 5 when the file gives none
	QueueSize     int     // per-client outgoing queue in frames (--queue-size); 0 = the broker's default
	ForceRegister bool    // --force-register
	Unix, TCP     string  // exact bind strings when the scenario has "binds" (tag exact-binds), else empty
}

// Broker is one running broker under test, started by a StartFunc for a
// single scenario. Run calls its methods from the goroutine that called Run.
type Broker interface {
	// UnixAddr is the path of the broker's UNIX socket.
	UnixAddr() string
	// TCPAddr is the broker's TCP address ("127.0.0.1:port").
	TCPAddr() string
	// Signal delivers a signal; "SIGTERM" asks for a graceful shutdown, after
	// which the broker is expected to exit by itself.
	Signal(sig string) error
	// Stop stops the broker and cleans up. It must be idempotent: Run calls it
	// when the scenario ends, and the caller may call it again (t.Cleanup).
	Stop()
}

// StartFunc starts a fresh broker configured as cfg asks. It may fail t
// itself; if it returns nil, Run reports the scenario as failed.
type StartFunc func(t testing.TB, cfg BrokerConfig) Broker

// RewriteFunc may replace an expectation before it is compared. It receives
// the scenario name, the step index (0-based, as in the file's "steps"
// array), and copies of the expected bytes and the mask (nil = compare every
// byte); it returns the expectation to use (mask nil or of the same length).
// It is called for every expect step and for every item of an
// expect_unordered step, not for the register macro.
type RewriteFunc func(scenario string, step int, expect, mask []byte) (newExpect, newMask []byte)

// Options tune a replay. The zero value replays exactly.
type Options struct {
	// ErrorTextTolerant: in scenarios tagged upstream-error-text, an expect
	// step whose bytes are an RPC error reply (MESSAGE frame, RPC type 0x12)
	// is compared up to and including the error code only: the received
	// frame is read by its own declared length, and its kind, realtime byte,
	// sender, RPC type, call id and error code must equal the expected
	// frame's; the length field and the error text are ignored.
	ErrorTextTolerant bool
	// Rewrite, if set, may replace expectations (for example the author and
	// version in the broker_info reply; see ReplaceMsgpackString).
	Rewrite RewriteFunc
	// Log, if set, receives one line per step as the replay goes.
	Log io.Writer

	stepDone func(step int) // test hook: called after each step that passed
}

// Run replays scenario s against a fresh broker from start. It runs the steps
// one after another, then closes every connection and stops the broker. At
// the first failing step it cleans up the same way and fails t once with
// t.Fatalf, naming the scenario, the step index, the step's note and, for
// byte mismatches, the expected and received bytes in hex with the position
// of the first difference. Run may be called concurrently for different
// scenarios, except that scenarios with exact binds share their addresses.
func Run(t testing.TB, s Scenario, start StartFunc, opts Options) {
	t.Helper()
	if err := run(t, s, start, opts); err != nil {
		t.Fatalf("%v", err)
	}
}

// run is Run returning its failure instead of reporting it.
func run(t testing.TB, s Scenario, start StartFunc, opts Options) error {
	b := start(t, s.Broker)
	if b == nil {
		return fmt.Errorf("replay: scenario %s (%s): start returned no broker", s.Name, s.File)
	}
	r := &runner{s: s, opts: opts, broker: b, conns: make(map[string]*conn)}
	defer b.Stop()
	defer r.closeAll()
	for i := range s.Steps {
		began := time.Now()
		if err := r.step(i, &s.Steps[i]); err != nil {
			return &stepError{Scenario: s.Name, File: s.File, Index: i, Step: s.Steps[i], Err: err}
		}
		if opts.Log != nil {
			fmt.Fprintf(opts.Log, "replay: %s steps[%d] %s ok (%v)\n", s.Name, i, describe(&s.Steps[i]), time.Since(began).Round(time.Microsecond))
		}
		if opts.stepDone != nil {
			opts.stepDone(i)
		}
	}
	return nil
}

// stepError is the failure of one step of a scenario.
type stepError struct {
	Scenario string // scenario name
	File     string // file name the scenario came from
	Index    int    // 0-based index into the scenario's steps
	Step     Step   // the failing step
	Err      error  // what went wrong, with the bytes involved
}

func (e *stepError) Error() string {
	s := fmt.Sprintf("replay: scenario %s (%s), steps[%d] %s", e.Scenario, e.File, e.Index, describe(&e.Step))
	if e.Step.Note != "" {
		s += fmt.Sprintf(" (note: %s)", e.Step.Note)
	}
	return s + ":\n" + e.Err.Error()
}

func (e *stepError) Unwrap() error { return e.Err }

// describe names a step in one short phrase.
func describe(st *Step) string {
	switch st.Kind {
	case KindConnect:
		return fmt.Sprintf("connect %s %s", st.Conn, st.Transport)
	case KindRegister:
		return fmt.Sprintf("register %s as %q", st.Conn, st.Name)
	case KindSend:
		if st.PadCount > 0 {
			return fmt.Sprintf("send on %s (%d bytes + %d x %02x)", st.Conn, len(st.Data), st.PadCount, st.PadByte)
		}
		return fmt.Sprintf("send on %s (%d bytes)", st.Conn, len(st.Data))
	case KindExpect:
		return fmt.Sprintf("expect on %s (%d bytes within %v)", st.Conn, len(st.Data), st.Within)
	case KindExpectUnordered:
		return fmt.Sprintf("expect_unordered on %s (%d items within %v)", st.Conn, len(st.Items), st.Within)
	case KindExpectNothing:
		return fmt.Sprintf("expect_nothing on %s for %v", st.Conn, st.Duration)
	case KindExpectClosed:
		return fmt.Sprintf("expect_closed on %s within %v", st.Conn, st.Duration)
	case KindClose:
		return "close " + st.Conn
	case KindSleep:
		return fmt.Sprintf("sleep %v", st.Duration)
	case KindStopReading:
		return "stop_reading " + st.Conn
	case KindBrokerSignal:
		return "broker_signal " + st.Signal
	}
	return string(st.Kind)
}
