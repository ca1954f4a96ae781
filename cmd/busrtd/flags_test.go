package main

import (
	"errors"
	"io"
	"slices"
	"testing"
	"time"
)

func TestParseFlagsDefaults(t *testing.T) {
	o, err := parseFlags(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !o.defaultBinds || !slices.Equal(o.binds, defaultBinds) || len(o.fifos) != 0 {
		t.Fatalf("binds %v fifos %v", o.binds, o.fifos)
	}
	if o.workers != 4 || o.timeout != 5*time.Second || o.bufSize != 16384 ||
		o.bufTTL != 10*time.Microsecond || o.queueSize != 8192 || o.forceRegister || o.daemonize {
		t.Fatalf("defaults: %+v", o)
	}
}

func TestParseFlags(t *testing.T) {
	o, err := parseFlags([]string{
		"-B", "/tmp/a.sock", "--bind=0.0.0.0:9924", "-B", "fifo:/tmp/f", "-B", "x.ipc", "-B", "[::]:1",
		"-w", "2", "-t", "0.4", "--buf-size", "100", "--buf-ttl", "50", "--queue-size", "3",
		"--force-register", "-D", "-P", "/tmp/p", "--verbose", "--log-syslog",
	}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(o.binds, []string{"/tmp/a.sock", "0.0.0.0:9924", "x.ipc", "[::]:1"}) ||
		!slices.Equal(o.fifos, []string{"/tmp/f"}) || o.defaultBinds {
		t.Fatalf("binds %v fifos %v", o.binds, o.fifos)
	}
	if o.workers != 2 || o.timeout != 400*time.Millisecond || o.bufSize != 100 ||
		o.bufTTL != 50*time.Microsecond || o.queueSize != 3 || !o.forceRegister ||
		!o.daemonize || o.pidFile != "/tmp/p" || !o.verbose || !o.logSyslog {
		t.Fatalf("%+v", o)
	}
}

func TestParseFlagsErrors(t *testing.T) {
	for _, args := range [][]string{
		{"-t", "abc"}, {"-t", "0"}, {"-t", "-1"}, {"-t", "NaN"}, {"-w", "0"}, {"-w", "x"},
		{"--buf-size", "0"}, {"--queue-size", "-5"}, {"--buf-ttl", "-1"}, {"--nope"},
		{"-B", ""}, {"-B", "fifo:"}, {"-B", "ws://h:1"}, {"-B", "nonsense"}, {"-B", "fifo:/tmp/only"},
		{"extra"},
	} {
		if _, err := parseFlags(args, io.Discard); !errors.Is(err, errUsage) {
			t.Errorf("%v: got %v", args, err)
		}
	}
}

func TestEventLoops(t *testing.T) {
	for _, c := range []struct{ workers, procs, want int }{
		{4, 1, 1}, // one CPU: one loop
		{4, 2, 1}, // two CPUs: one loop, one CPU for the clients
		{4, 4, 3},
		{4, 8, 4}, // enough CPUs: -w as given
		{1, 8, 1},
		{16, 64, 16},
	} {
		if got := eventLoops(c.workers, c.procs); got != c.want {
			t.Errorf("eventLoops(%d, %d) = %d, want %d", c.workers, c.procs, got, c.want)
		}
	}
}
