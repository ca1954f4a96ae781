package benchmarks

import (
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Text layout of upstream's benchmark output (bma-benchmark 0.0.24 with
// prettytable, as `busrt benchmark` prints it).

// resultsTitle starts the separator printed before the result table.
const resultsTitle = "--- Benchmark results "

// defaultWidth is the separator width when stdout is not a terminal
// (upstream's fallback when terminal_size finds none).
const defaultWidth = 40

// ANSI styles, used only when stdout is a terminal (upstream's `colored`
// crate colours only then).
const (
	styleBlack  = "30"
	styleGreen  = "32"
	styleYellow = "33"
	styleBlue   = "34"
	styleCyan   = "36"
	styleBold   = "1"
	styleBoldBl = "1;34"
)

// paint wraps s in an ANSI style when on; otherwise returns s unchanged.
func paint(on bool, style, s string) string {
	if !on {
		return s
	}
	return "\x1b[" + style + "m" + s + "\x1b[0m"
}

// fnum formats n with `_` as the thousands separator, as upstream does
// (num-format's English locale with `,` replaced by `_`).
func fnum(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	if len(s) <= 3 {
		if neg {
			return "-" + s
		}
		return s
	}
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	head := len(s) % 3
	if head == 0 {
		head = 3
	}
	b.WriteString(s[:head])
	for i := head; i < len(s); i += 3 {
		b.WriteByte('_')
		b.WriteString(s[i : i+3])
	}
	return b.String()
}

// fixed3 formats v with 3 decimals, as Rust's `{:.3}` does.
func fixed3(v float64) string { return strconv.FormatFloat(v, 'f', 3, 64) }

// itersPerSec is upstream's speed: floor((iters − errors) / elapsed
// seconds), converted as Rust's `as u32` does (saturating; infinity for a
// zero elapsed time saturates too).
func itersPerSec(iters, errors int64, elapsed time.Duration) int64 {
	v := float64(iters-errors) / elapsed.Seconds()
	switch {
	case math.IsNaN(v) || v <= 0:
		return 0
	case v >= math.MaxUint32:
		return math.MaxUint32
	}
	return int64(math.Floor(v))
}

// separator returns upstream's result separator line: the title padded
// with dashes to width columns.
func separator(title string, width int) string {
	if n := width - utf8.RuneCountInString(title); n > 0 {
		return title + strings.Repeat("-", n)
	}
	return title
}

// cell is one table cell: its text and, on a terminal, its style.
type cell struct {
	text  string
	style string
}

// table is upstream's prettytable layout: a one-space border on both
// sides, cells left-aligned with one space of right padding, one space
// between columns, and a line of dashes under the titles only.
type table struct {
	titles []string
	rows   [][]cell
}

// render returns the table's text; colour styles the titles and cells.
func (t *table) render(colour bool) string {
	widths := make([]int, len(t.titles))
	for i, title := range t.titles {
		widths[i] = utf8.RuneCountInString(title)
	}
	for _, r := range t.rows {
		for i, c := range r {
			widths[i] = max(widths[i], utf8.RuneCountInString(c.text))
		}
	}
	var b strings.Builder
	line := func(cells []cell) {
		b.WriteByte(' ')
		for i, c := range cells {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(paint(colour && c.style != "", c.style, c.text))
			b.WriteString(strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c.text)+1))
		}
		b.WriteString(" \n")
	}
	titles := make([]cell, len(t.titles))
	for i, title := range t.titles {
		titles[i] = cell{text: title, style: styleBlue}
	}
	line(titles)
	n := 2 + len(widths) - 1
	for _, w := range widths {
		n += w + 1
	}
	b.WriteString(strings.Repeat("-", n))
	b.WriteByte('\n')
	for _, r := range t.rows {
		line(r)
	}
	return b.String()
}
