package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
)

// daemonStatusEnv tells a re-executed busrtd that it is the daemon and on
// which descriptor its parent waits for the start-up result.
const daemonStatusEnv = "BUSRTD_DAEMON_STATUS_FD"

// statusPipe reports the daemon's start-up result to the waiting parent.
type statusPipe struct{ f *os.File }

// daemonStatus returns the status pipe when this process is the daemon.
func daemonStatus() *statusPipe {
	v := os.Getenv(daemonStatusEnv)
	if v == "" {
		return nil
	}
	_ = os.Unsetenv(daemonStatusEnv)
	fd, err := strconv.Atoi(v)
	if err != nil || fd < 3 {
		return nil
	}
	return &statusPipe{f: os.NewFile(uintptr(fd), "status")}
}

// ok tells the parent that the daemon runs; fail tells it why not.
func (s *statusPipe) ok() { s.send("ok") }

func (s *statusPipe) fail(err error) { s.send(oneLine(err.Error())) }

func (s *statusPipe) send(msg string) {
	if s == nil || s.f == nil {
		return
	}
	_, _ = io.WriteString(s.f, msg+"\n")
	_ = s.f.Close()
	s.f = nil
}

// daemonize starts this program again, detached (new session, standard
// streams on /dev/null, same working directory), and waits until the
// daemon has started or failed. It returns the exit status for the
// parent. The daemon writes the PID file, so it holds the daemon's PID.
func daemonize(args []string) int {
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintf(os.Stderr, "busrtd: daemonize: %v\n", err)
		return 1
	}
	r, w, err := os.Pipe()
	if err != nil {
		fmt.Fprintf(os.Stderr, "busrtd: daemonize: %v\n", err)
		return 1
	}
	devNull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		fmt.Fprintf(os.Stderr, "busrtd: daemonize: %v\n", err)
		return 1
	}
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), daemonStatusEnv+"=3")
	cmd.ExtraFiles = []*os.File{w}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = devNull, devNull, devNull
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	err = cmd.Start()
	_ = w.Close()
	_ = devNull.Close()
	if err != nil {
		fmt.Fprintf(os.Stderr, "busrtd: daemonize: %v\n", err)
		return 1
	}
	line, err := bufio.NewReader(r).ReadString('\n')
	_ = r.Close()
	line = strings.TrimSpace(line)
	if line == "ok" {
		_ = cmd.Process.Release()
		return 0
	}
	if line == "" {
		if err == nil || errors.Is(err, io.EOF) {
			line = "daemon exited during start-up"
		} else {
			line = err.Error()
		}
	}
	_ = cmd.Wait()
	fmt.Fprintf(os.Stderr, "busrtd: %s\n", line)
	return 1
}

// oneLine keeps the first line of a message.
func oneLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
