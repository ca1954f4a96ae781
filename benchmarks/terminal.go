package benchmarks

import (
	"io"
	"os"
)

// isTerminal reports whether w is an interactive terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// terminalWidth returns the width of w when it is a terminal, otherwise
// upstream's fallback of 40 columns.
func terminalWidth(w io.Writer) int {
	if f, ok := w.(*os.File); ok && isTerminal(w) {
		if n := windowWidth(f); n > 0 {
			return n
		}
	}
	return defaultWidth
}
