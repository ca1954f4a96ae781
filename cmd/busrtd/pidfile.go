package main

import (
	"fmt"
	"os"
	"strconv"
)

// writePIDFile writes this process's PID (decimal, no newline), as
// upstream does.
func writePIDFile(path string) error {
	if err := os.WriteFile(path, []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		return fmt.Errorf("pid file: %w", err)
	}
	return nil
}

// removePIDFile removes the PID file if it still holds our PID.
func removePIDFile(path string) {
	if path == "" {
		return
	}
	b, err := os.ReadFile(path)
	if err == nil && string(b) == strconv.Itoa(os.Getpid()) {
		_ = os.Remove(path)
	}
}
