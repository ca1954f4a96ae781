package benchmarks

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestMedian(t *testing.T) {
	for _, c := range []struct {
		v    []int64
		want int64
	}{{nil, 0}, {[]int64{5}, 5}, {[]int64{9, 1, 5}, 5}, {[]int64{4, 1, 3, 10}, 3}} {
		if got := median(c.v); got != c.want {
			t.Errorf("median(%v) = %d, want %d", c.v, got, c.want)
		}
	}
}

// TestSummarize writes --json reports of two "brokers" and checks the
// medians and the ratio.
func TestSummarize(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, perSec ...int64) string {
		rep := &Report{Date: time.Now()}
		for i, v := range perSec {
			// elapsed such that floor(1e6 / secs) == v
			rep.Stages = append(rep.Stages, &StageResult{Name: []string{StageRPCCall, StageSendNo}[i], Iters: 1_000_000, ItersPerSec: v, Elapsed: time.Second})
		}
		var b bytes.Buffer
		if err := writeJSON(&b, rep); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	groups, err := ParseSummaryArgs([]string{
		"ours=" + write("a1", 300, 5000) + "," + write("a2", 100, 7000) + "," + write("a3", 200, 6000),
		"other=" + write("b1", 100, 4000) + "," + write("b2", 50),
	})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := Summarize(&out, groups); err != nil {
		t.Fatal(err)
	}
	want := strings.Join([]string{
		" stage        ours iters/s              other iters/s             ours/other  ",
		"------------------------------------------------------------------------------",
		" rpc.call     200 (100–300, n=3)        75 (50–100, n=2)          2.67        ",
		" send.qos.no  6_000 (5_000–7_000, n=3)  4_000 (4_000–4_000, n=1)  1.50        ",
		"",
	}, "\n")
	if out.String() != want {
		t.Fatalf("summary\n got %q\nwant %q", out.String(), want)
	}
	if _, err := ParseSummaryArgs([]string{"nolabel"}); !IsUsageError(err) {
		t.Fatalf("bad argument: %v", err)
	}
}

// TestSummarizeBaselines: runs with the request/response ceiling stages
// get a second table, each stage's median over its baseline's, per group;
// a comparison that is some group's is shown wherever both stages ran.
func TestSummarizeBaselines(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, perSec map[string]int64) string {
		rep := &Report{Date: time.Now()}
		for _, s := range []string{StageSendProcessed, StageLeanSendProc, StageRawSendProc} {
			if v, ok := perSec[s]; ok {
				rep.Stages = append(rep.Stages, &StageResult{Name: s, Iters: 1_000_000, ItersPerSec: v, Elapsed: time.Second})
			}
		}
		var b bytes.Buffer
		if err := writeJSON(&b, rep); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	all := map[string]int64{StageSendProcessed: 100, StageLeanSendProc: 200, StageRawSendProc: 250}
	noLean := map[string]int64{StageSendProcessed: 50, StageRawSendProc: 200}
	groups := []SummaryGroup{{"ours", []string{write("a", all)}}, {"other", []string{write("b", noLean)}}}
	var out bytes.Buffer
	if err := Summarize(&out, groups); err != nil {
		t.Fatal(err)
	}
	_, second, ok := strings.Cut(out.String(), "\n\n")
	want := strings.Join([]string{
		" stage / baseline                                  ours  other  ",
		"----------------------------------------------------------------",
		" lean.send.qos.processed / raw.send.qos.processed  0.80  -      ",
		" send.qos.processed / lean.send.qos.processed      0.50  -      ",
		" send.qos.processed / raw.send.qos.processed       0.40  0.25   ",
		"",
	}, "\n")
	if !ok || second != want {
		t.Fatalf("summary:\n%s\nwant second table\n%s", out.String(), want)
	}
}
