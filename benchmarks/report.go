package benchmarks

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Report is the outcome of a run.
type Report struct {
	Address        string         // broker address used
	Network        string         // "unix" or "tcp"
	Embedded       bool           // the broker ran in this process
	Broker         *BrokerOptions // embedded broker settings; nil otherwise
	Workers        int
	ClientThreads  int // GOMAXPROCS of the client while the stages ran
	Iters          int64
	ItersPerWorker int64
	PayloadSize    int
	Stages         []*StageResult // sorted by name, as upstream's table
	Ratios         []Ratio        // stage / baseline, when both were run
	Machine        Machine
	Date           time.Time
}

// StageResult is one measured stage.
type StageResult struct {
	Name        string
	Iters       int64 // reported iterations: the -i value for upstream's stages
	Errors      int64 // always 0: a failing operation aborts the run, as upstream panics
	Elapsed     time.Duration
	ItersPerSec int64    // floor((Iters − Errors) / Elapsed)
	Latency     *Latency // latency stages only
}

// Ratio compares a stage with its baseline (see baselines): a broker
// stage with its raw-socket twin, send.qos.processed with
// lean.send.qos.processed (what the Go client costs),
// lean.send.qos.processed with raw.send.qos.processed (what the broker
// costs over the ceiling as Go reaches it).
type Ratio struct {
	Stage    string  // the measured stage
	Baseline string  // the stage it is compared with
	Metric   string  // what is compared: "iters/s", "p50", "p99", "p99.9"
	Broker   float64 // Stage's value: iters/s, or µs for latencies
	Raw      float64 // Baseline's value
	Ratio    float64 // Broker / Raw
}

func newResult(name string, iters, errors int64, elapsed time.Duration) *StageResult {
	return &StageResult{
		Name: name, Iters: iters, Errors: errors, Elapsed: elapsed,
		ItersPerSec: itersPerSec(iters, errors, elapsed),
	}
}

// Stage returns the result of the named stage, or nil.
func (rep *Report) Stage(name string) *StageResult {
	for _, s := range rep.Stages {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// report assembles the run's report.
func (r *runner) report() *Report {
	stages := slices.Clone(r.results)
	slices.SortFunc(stages, func(a, b *StageResult) int { return strings.Compare(a.Name, b.Name) })
	rep := &Report{
		Address:        r.addr,
		Network:        r.network,
		Embedded:       r.o.Embedded,
		Workers:        r.o.Workers,
		ClientThreads:  r.clientThreads,
		Iters:          r.o.Iters,
		ItersPerWorker: r.o.Iters / int64(r.o.Workers),
		PayloadSize:    r.o.PayloadSize,
		Stages:         stages,
		Machine:        thisMachine(),
		Date:           r.started,
	}
	if r.o.Embedded {
		b := r.o.Broker.withDefaults()
		rep.Broker = &b
	}
	rep.Ratios = ratios(rep)
	return rep
}

// baselines lists, in order of preference, the stages that stage is
// compared with: its raw-socket twin raw.NAME, except that
// send.qos.processed is compared with the same traffic from the minimal
// client (lean.send.qos.processed), or else with no broker, and the lean
// stage with no broker (raw.send.qos.processed).
func baselines(stage string) []string {
	switch stage {
	case StageSendProcessed:
		return []string{StageLeanSendProc, StageRawSendProc}
	case StageLeanSendProc:
		return []string{StageRawSendProc}
	}
	return []string{rawPrefix + stage}
}

// baselineOf returns the first of stage's baselines that has a value in
// have, or "".
func baselineOf(stage string, have func(string) bool) string {
	for _, b := range baselines(stage) {
		if have(b) {
			return b
		}
	}
	return ""
}

// ratios compares every stage of rep that has a baseline in rep.
func ratios(rep *Report) []Ratio {
	var out []Ratio
	add := func(stage, base, metric string, value, baseValue float64) {
		if baseValue > 0 {
			out = append(out, Ratio{Stage: stage, Baseline: base, Metric: metric, Broker: value, Raw: baseValue, Ratio: value / baseValue})
		}
	}
	for _, s := range rep.Stages {
		name := baselineOf(s.Name, func(n string) bool { return rep.Stage(n) != nil })
		if name == "" {
			continue
		}
		base := rep.Stage(name)
		if s.Latency != nil && base.Latency != nil {
			add(s.Name, name, "p50", micros(s.Latency.P50), micros(base.Latency.P50))
			add(s.Name, name, "p99", micros(s.Latency.P99), micros(base.Latency.P99))
			add(s.Name, name, "p99.9", micros(s.Latency.P999), micros(base.Latency.P999))
			continue
		}
		add(s.Name, name, "iters/s", float64(s.ItersPerSec), float64(base.ItersPerSec))
	}
	return out
}

// micros converts d to microseconds.
func micros(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

// printResults prints upstream's separator and result table, then, when
// extra stages ran, the latency table, the broker / raw socket ratios and
// the other stage / baseline ratios.
func (r *runner) printResults(rep *Report) {
	r.printf("%s\n", paint(r.colour, styleBlack, separator(resultsTitle, r.width)))
	r.printf("%s", resultTable(rep.Stages).render(r.colour))
	if lt := latencyTable(rep.Stages); lt != nil {
		r.printf("%s\n", paint(r.colour, styleBlack, separator("--- Latency (µs) ", r.width)))
		r.printf("%s", lt.render(r.colour))
	}
	var raw, other []Ratio
	for _, q := range rep.Ratios {
		if strings.HasPrefix(q.Baseline, rawPrefix) {
			raw = append(raw, q)
		} else {
			other = append(other, q)
		}
	}
	if len(raw) > 0 {
		r.printf("%s\n", paint(r.colour, styleBlack, separator("--- Broker / raw socket ", r.width)))
		r.printf("%s", rawRatioTable(raw).render(r.colour))
	}
	if len(other) > 0 {
		r.printf("%s\n", paint(r.colour, styleBlack, separator("--- Stage / baseline ", r.width)))
		r.printf("%s", ratioTable(other).render(r.colour))
	}
}

// rawRatioTable compares broker stages with their raw-socket baselines
// (lean.send.qos.processed's is raw.send.qos.processed).
func rawRatioTable(rs []Ratio) *table {
	t := &table{titles: []string{"stage", "metric", "broker", "raw socket", "broker / raw socket"}}
	for _, q := range rs {
		t.rows = append(t.rows, []cell{
			{text: q.Stage},
			{text: q.Metric},
			{text: q.value(q.Broker), style: styleYellow},
			{text: q.value(q.Raw), style: styleYellow},
			{text: fmt.Sprintf("%.2f", q.Ratio), style: styleGreen},
		})
	}
	return t
}

// value formats one side of q: iters/s, or microseconds.
func (q Ratio) value(v float64) string {
	if q.Metric == "iters/s" {
		return fnum(int64(v))
	}
	return fixed3(v) + " µs"
}

// resultTable is upstream's result table: stage, iters, secs, msecs,
// iters/s, one row per stage in the order given (sorted by name).
func resultTable(stages []*StageResult) *table {
	t := &table{titles: []string{"stage", "iters", "secs", "msecs", "iters/s"}}
	for _, s := range stages {
		secs := s.Elapsed.Seconds()
		t.rows = append(t.rows, []cell{
			{text: s.Name},
			{text: fnum(s.Iters), style: styleGreen},
			{text: fixed3(secs), style: styleBlue},
			{text: fixed3(secs * 1000), style: styleCyan},
			{text: fnum(s.ItersPerSec), style: styleYellow},
		})
	}
	return t
}

// latencyTable lists the latency percentiles, or is nil when no latency
// stage ran.
func latencyTable(stages []*StageResult) *table {
	t := &table{titles: []string{"stage", "round trips", "p50", "p99", "p99.9", "max"}}
	for _, s := range stages {
		if l := s.Latency; l != nil {
			t.rows = append(t.rows, []cell{
				{text: s.Name},
				{text: fnum(s.Iters), style: styleGreen},
				{text: fixed3(micros(l.P50)), style: styleYellow},
				{text: fixed3(micros(l.P99)), style: styleYellow},
				{text: fixed3(micros(l.P999)), style: styleYellow},
				{text: fixed3(micros(l.Max)), style: styleCyan},
			})
		}
	}
	if len(t.rows) == 0 {
		return nil
	}
	return t
}

// ratioTable compares stages with other baselines (send.qos.processed
// with lean.send.qos.processed): each row names both, "stage / baseline".
func ratioTable(rs []Ratio) *table {
	t := &table{titles: []string{"stage / baseline", "metric", "stage", "baseline", "ratio"}}
	for _, q := range rs {
		t.rows = append(t.rows, []cell{
			{text: q.Stage + " / " + q.Baseline},
			{text: q.Metric},
			{text: q.value(q.Broker), style: styleYellow},
			{text: q.value(q.Raw), style: styleYellow},
			{text: fmt.Sprintf("%.2f", q.Ratio), style: styleGreen},
		})
	}
	return t
}
