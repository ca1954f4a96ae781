package benchmarks

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

func TestParseStages(t *testing.T) {
	for _, c := range []struct {
		spec string
		want []string
	}{
		{"", UpstreamStages},
		{"upstream", UpstreamStages},
		{"extra", ExtraStages},
		{"all", append(slices.Clone(UpstreamStages), ExtraStages...)},
		{"rpc.call, latency.rtt", []string{StageRPCCall, StageLatency}},
		{"raw.send.qos.processed,lean.send.qos.processed,send.qos.processed", []string{StageRawSendProc, StageLeanSendProc, StageSendProcessed}},
		{"send.qos.no,extra", append([]string{StageSendNo}, ExtraStages...)},
	} {
		set, err := parseStages(c.spec)
		if err != nil {
			t.Fatalf("%q: %v", c.spec, err)
		}
		if len(set) != len(c.want) || !set.any(c.want...) {
			t.Errorf("%q: %v, want %v", c.spec, set, c.want)
		}
		for _, n := range c.want {
			if !set[n] {
				t.Errorf("%q lacks %s", c.spec, n)
			}
		}
	}
	if _, err := parseStages("rpc.call,bogus"); err == nil || !strings.Contains(err.Error(), `"bogus"`) {
		t.Fatalf("unknown stage: %v", err)
	}
	if got := strings.Join(ExtraStages, ","); got != "pubsub.fanout.1,pubsub.fanout.10,pubsub.fanout.100,"+
		"raw.pubsub.fanout.1,raw.pubsub.fanout.10,raw.pubsub.fanout.100,latency.rtt,raw.latency.rtt,"+
		"raw.send.qos.processed,lean.send.qos.processed" {
		t.Fatalf("extra stages: %s", got)
	}
}

// TestFlags checks upstream's flags and defaults.
func TestFlags(t *testing.T) {
	o := DefaultOptions()
	if o.Workers != 1 || o.PayloadSize != 100 || o.Iters != 1_000_000 || o.Stages != "upstream" || o.Warmup.Seconds() != 5 {
		t.Fatalf("defaults: %+v", o)
	}
	fs := pflag.NewFlagSet("benchmark", pflag.ContinueOnError)
	o.AddFlags(fs)
	if err := fs.Parse([]string{"-w", "8", "--payload-size", "10", "-i", "5000", "--stages", "all", "--json"}); err != nil {
		t.Fatal(err)
	}
	if o.Workers != 8 || o.PayloadSize != 10 || o.Iters != 5000 || o.Stages != "all" || !o.JSON {
		t.Fatalf("parsed: %+v", o)
	}
	fs = pflag.NewFlagSet("benchmark", pflag.ContinueOnError)
	o = DefaultOptions()
	o.AddFlags(fs)
	if err := fs.Parse([]string{"--workers=3", "--iters=7"}); err != nil || o.Workers != 3 || o.Iters != 7 {
		t.Fatalf("long forms: %v %+v", err, o)
	}
}

func TestValidate(t *testing.T) {
	for _, c := range []struct {
		name string
		edit func(*Options)
		want string
	}{
		{"workers", func(o *Options) { o.Workers = 0 }, "--workers"},
		{"iters", func(o *Options) { o.Iters = 0 }, "--iters"},
		{"payload", func(o *Options) { o.PayloadSize = -1 }, "--payload-size"},
		{"address", func(o *Options) { o.Addr = "" }, "no broker address"},
		{"broker flags", func(o *Options) { o.Broker.Workers = 1 }, "need --embedded"},
		{"stages", func(o *Options) { o.Stages = "x" }, "unknown stage"},
	} {
		o := DefaultOptions()
		o.Addr = "/tmp/x.sock"
		c.edit(&o)
		_, err := o.validate()
		if !errors.Is(err, ErrOptions) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	o := DefaultOptions()
	o.Addr, o.Iters = "127.0.0.1:9924", 50
	if _, err := o.validate(); err != nil || o.LatencyIters != 50 || o.FanoutWindow != DefaultFanoutWindow || !strings.HasPrefix(o.Name, "cli.") {
		t.Fatalf("derived defaults: %v %+v", err, o)
	}
}

func TestRunCLI(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := RunCLI(context.Background(), []string{"--help"}, &out, &errOut); err != nil || !strings.Contains(out.String(), "--payload-size") {
		t.Fatalf("help: %v %q", err, out.String())
	}
	if err := RunCLI(context.Background(), []string{"--bogus"}, &out, &errOut); !IsUsageError(err) {
		t.Fatalf("bad flag: %v", err)
	}
	if err := RunCLI(context.Background(), []string{"-i", "10"}, &out, &errOut); !IsUsageError(err) {
		t.Fatalf("no address: %v", err)
	}
	out.Reset()
	err := RunCLI(context.Background(), []string{"--embedded", "-n", "cli.test", "--timeout", "2", "-w", "2", "-i", "20",
		"--warmup", "0", "--stages", "rpc.call,send.qos.no"}, &out, &errOut)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, errOut.String())
	}
	if !strings.HasPrefix(out.String(), "Starting benchmark, 2 worker(s), 20 iters, 10 iters/worker, 100 byte(s) payload\n") ||
		!strings.Contains(out.String(), "\n rpc.call     20 ") {
		t.Fatalf("output:\n%s", out.String())
	}
}
