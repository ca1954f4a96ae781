// Package readmetest keeps the README honest. It holds only tests: they
// extract the code blocks of README.md's "Quick start" and "Embedding"
// sections and run them against real programs, run the programs of
// examples/ (against a real busrtd where they need one), and check that docs/operations.md shows
// the exact `busrtd --help` text and the README's flags table lists every
// flag in it.
//
// The quick start's shell block runs against busrtd and busrt built into a
// temporary directory: `go run ./cmd/busrtd` and `go run ./cmd/busrt` (or
// `busrtd`, `busrt`) become those binaries, /tmp/NAME.sock paths move to a
// temporary directory, and TCP port 9924 becomes the port the test's busrtd
// actually got (it binds 127.0.0.1:0). Lines ending with `&` start in the
// background and count as started once they print their ready line;
// `kill %N` stops background job N with SIGTERM and expects exit status 0.
// Every `text` block of the section must appear, as consecutive lines, in
// the output of one of the commands (cli.HOST.PID stands for any default
// client name).
//
// The embedding section's Go block is built and run as a program, with
// the same socket path rewrite, and its output compared with the section's
// `text` block.
//
// Only a small shell subset is understood (one command per line, quotes,
// trailing `&`, `# comments`, `kill %N`); anything else fails the test, so
// the README keeps to commands a reader can paste.
package readmetest
