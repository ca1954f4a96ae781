package benchmarks

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// Summaries of repeated runs (scripts/bench-compare): per-stage medians of
// the iters/s of several --json reports per broker, and the ratio of the
// first broker's medians to each other's.

// SummaryGroup is the reports of one broker, named by Label.
type SummaryGroup struct {
	Label string
	Files []string // --json outputs of busrt-bench / busrt benchmark
}

// ParseSummaryArgs parses LABEL=FILE[,FILE...] arguments.
func ParseSummaryArgs(args []string) ([]SummaryGroup, error) {
	var gs []SummaryGroup
	for _, a := range args {
		label, files, ok := strings.Cut(a, "=")
		if !ok || label == "" || files == "" {
			return nil, fmt.Errorf("%w: %q: want LABEL=FILE[,FILE...]", ErrOptions, a)
		}
		gs = append(gs, SummaryGroup{Label: label, Files: strings.Split(files, ",")})
	}
	if len(gs) == 0 {
		return nil, fmt.Errorf("%w: nothing to summarize", ErrOptions)
	}
	return gs, nil
}

// Summarize prints, for every stage found, the median iters/s of each
// group with the range and the number of runs, then the ratio of the
// first group's median to each other group's, in upstream's table layout.
// When stages ran together with their baselines (a broker stage and its
// raw.* twin; send.qos.processed, lean.send.qos.processed and
// raw.send.qos.processed), a second table gives, per group, the ratio of
// each such stage's median to its baseline's.
func Summarize(w io.Writer, groups []SummaryGroup) error {
	medians := make([]map[string]int64, len(groups))
	spread := make([]map[string]string, len(groups))
	stages := map[string]bool{}
	for i, g := range groups {
		per := map[string][]int64{}
		for _, f := range g.Files {
			doc, err := readJSONReport(f)
			if err != nil {
				return err
			}
			for _, s := range doc.Stages {
				per[s.Name] = append(per[s.Name], s.ItersPerSec)
				stages[s.Name] = true
			}
		}
		medians[i], spread[i] = map[string]int64{}, map[string]string{}
		for name, v := range per {
			medians[i][name] = median(v)
			spread[i][name] = fmt.Sprintf("%s–%s, n=%d", fnum(slices.Min(v)), fnum(slices.Max(v)), len(v))
		}
	}
	names := make([]string, 0, len(stages))
	for n := range stages {
		names = append(names, n)
	}
	slices.Sort(names)
	t := &table{titles: []string{"stage"}}
	for _, g := range groups {
		t.titles = append(t.titles, g.Label+" iters/s")
	}
	for _, g := range groups[1:] {
		t.titles = append(t.titles, groups[0].Label+"/"+g.Label)
	}
	for _, n := range names {
		row := []cell{{text: n}}
		for i := range groups {
			text := "-"
			if m, ok := medians[i][n]; ok {
				text = fmt.Sprintf("%s (%s)", fnum(m), spread[i][n])
			}
			row = append(row, cell{text: text})
		}
		for i := 1; i < len(groups); i++ {
			text := "-"
			if a, b := medians[0][n], medians[i][n]; a > 0 && b > 0 {
				text = fmt.Sprintf("%.2f", float64(a)/float64(b))
			}
			row = append(row, cell{text: text})
		}
		t.rows = append(t.rows, row)
	}
	out := t.render(false)
	if bt := baselineSummary(names, groups, medians); bt != nil {
		out += "\n" + bt.render(false)
	}
	_, err := io.WriteString(w, out)
	return err
}

// baselineSummary is the table of stage / baseline ratios of the medians,
// one column per group, or nil when no stage has its baseline in a group.
// A comparison that is one group's (the first of baselines it ran) is shown
// in every group that ran both stages.
func baselineSummary(names []string, groups []SummaryGroup, medians []map[string]int64) *table {
	type pair struct{ stage, base string }
	var pairs []pair
	for _, n := range names {
		for i := range groups {
			b := baselineOf(n, func(b string) bool { return medians[i][b] > 0 })
			if p := (pair{n, b}); b != "" && medians[i][n] > 0 && !slices.Contains(pairs, p) {
				pairs = append(pairs, p)
			}
		}
	}
	if len(pairs) == 0 {
		return nil
	}
	t := &table{titles: []string{"stage / baseline"}}
	for _, g := range groups {
		t.titles = append(t.titles, g.Label)
	}
	for _, p := range pairs {
		row := []cell{{text: p.stage + " / " + p.base}}
		for i := range groups {
			text := "-"
			if a, b := medians[i][p.stage], medians[i][p.base]; a > 0 && b > 0 {
				text = fmt.Sprintf("%.2f", float64(a)/float64(b))
			}
			row = append(row, cell{text: text})
		}
		t.rows = append(t.rows, row)
	}
	return t
}

// median returns the median of v (the mean of the middle two for an even
// count), rounded down.
func median(v []int64) int64 {
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n == 0 {
		return 0
	}
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func readJSONReport(path string) (*jsonReport, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("benchmarks: summary: %w", err)
	}
	var doc jsonReport
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("benchmarks: summary: %s: %w", path, err)
	}
	return &doc, nil
}
