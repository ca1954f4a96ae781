// Command busrt is the BUS/RT command-line client (SERVER_AND_CLI.md §2):
// it listens to frames, sends messages, publications and broadcasts, makes
// RPC calls and notifications, and queries the broker's `.broker` API.
//
//	busrt [GLOBAL OPTIONS] <SOCKET> <COMMAND> ...
//
// Global options come before the socket; `busrt --help` lists them and the
// commands, `busrt <SOCKET> <COMMAND> --help` explains a command. All the
// logic a library user would need lives in package rtclient; this command
// only parses flags and prints.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], stdio{
		in:         os.Stdin,
		out:        os.Stdout,
		err:        os.Stderr,
		inTerminal: isTerminal(os.Stdin),
	})
	stop()
	os.Exit(code)
}

// isTerminal reports whether f is a character device (an interactive
// terminal rather than a pipe or a file).
func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
