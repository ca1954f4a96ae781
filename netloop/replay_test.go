package netloop

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/busrt-go/busrt/bus"
	"github.com/busrt-go/busrt/internal/replay"
)

// upstreamAuthor is what upstream's `.broker` info reports; ours differs
// by decision (DECISIONS.md), so the info reply is compared for structure.
const upstreamAuthor = "(c) 2022 Bohemia Automation / Altertech"

// replayBroker is one in-process broker for a scenario.
type replayBroker struct {
	srv      *Server
	unix     string
	tcp      string
	stopOnce sync.Once
	sigOnce  sync.Once
}

func (b *replayBroker) UnixAddr() string { return b.unix }
func (b *replayBroker) TCPAddr() string  { return b.tcp }

// Signal SIGTERM is busrtd's graceful shutdown, in process.
func (b *replayBroker) Signal(sig string) error {
	if sig != "SIGTERM" && sig != "SIGINT" {
		return fmt.Errorf("signal %s not supported in process", sig)
	}
	b.sigOnce.Do(func() {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
			defer cancel()
			_ = b.srv.Shutdown(ctx)
		}()
	})
	return nil
}

func (b *replayBroker) Stop() {
	b.stopOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		_ = b.srv.Shutdown(ctx)
	})
}

// startReplayBroker is the replay.StartFunc for netloop.
func startReplayBroker(t testing.TB, cfg replay.BrokerConfig) replay.Broker {
	bc := bus.Config{
		Timeout:       time.Duration(cfg.Timeout * float64(time.Second)),
		QueueSize:     cfg.QueueSize,
		ForceRegister: cfg.ForceRegister,
	}
	b := bus.New(bc)
	unixAddr, tcpAddr := cfg.Unix, cfg.TCP
	if unixAddr == "" {
		unixAddr = filepath.Join(shortTempDir(t), "busrt.sock")
	}
	if tcpAddr == "" {
		tcpAddr = "127.0.0.1:0"
	}
	s, err := New(b, Config{
		Binds:   []Listener{{Addr: unixAddr}, {Addr: tcpAddr}},
		Loops:   2,
		BufSize: 16384,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	rb := &replayBroker{srv: s, unix: unixAddr, tcp: s.Addrs()[1].String()}
	t.Cleanup(rb.Stop)
	return rb
}

func TestReplayTranscripts(t *testing.T) {
	scenarios, err := replay.LoadDir("../testdata/transcripts")
	if err != nil {
		t.Fatal(err)
	}
	opts := replay.Options{
		ErrorTextTolerant: true,
		Rewrite: func(_ string, _ int, expect, mask []byte) ([]byte, []byte) {
			if e, m, ok := replay.ReplaceMsgpackString(expect, mask, upstreamAuthor, bus.Author); ok {
				return e, m
			}
			return expect, mask
		},
	}
	if os.Getenv("REPLAY_LOG") != "" {
		opts.Log = os.Stderr
	}
	// Serial first: time-based scenarios (their margins are ~200 ms) and
	// those with exact binds (they share addresses). The rest in parallel.
	t.Run("serial", func(t *testing.T) {
		for _, s := range scenarios {
			if !s.HasTag("time-based") && !s.HasTag("exact-binds") {
				continue
			}
			t.Run(s.Name, func(t *testing.T) { replay.Run(t, s, startReplayBroker, opts) })
		}
	})
	t.Run("parallel", func(t *testing.T) {
		for _, s := range scenarios {
			if s.HasTag("time-based") || s.HasTag("exact-binds") {
				continue
			}
			t.Run(s.Name, func(t *testing.T) {
				t.Parallel()
				replay.Run(t, s, startReplayBroker, opts)
			})
		}
	})
}
