package main

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/busrt-go/busrt/proto"
)

const waitTimeout = 10 * time.Second

// busrtdBin is the binary built once for the tests of this file.
var busrtdBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "busrtd-bin")
	if err != nil {
		panic(err)
	}
	busrtdBin = filepath.Join(dir, "busrtd")
	if out, err := exec.Command("go", "build", "-o", busrtdBin, ".").CombinedOutput(); err != nil {
		os.Stderr.Write(out)
		panic(err)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// shortDir is a temp dir with a short path (socket paths max 107 bytes).
func shortDir(t *testing.T) string {
	dir, err := os.MkdirTemp("", "bd")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}

// daemonProc is a running busrtd.
type daemonProc struct {
	cmd    *exec.Cmd
	lines  chan string
	exited chan error
}

// startBusrtd runs busrtd with args and waits for its "started" log line.
func startBusrtd(t *testing.T, args ...string) *daemonProc {
	t.Helper()
	cmd := exec.Command(busrtdBin, args...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &daemonProc{cmd: cmd, lines: make(chan string, 100), exited: make(chan error, 1)}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			t.Log("busrtd: " + sc.Text())
			select {
			case p.lines <- sc.Text():
			default:
			}
		}
		close(p.lines)
		p.exited <- cmd.Wait()
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-p.exited
	})
	p.waitLine(t, "BUS/RT broker started")
	return p
}

func (p *daemonProc) waitLine(t *testing.T, sub string) {
	t.Helper()
	deadline := time.After(waitTimeout)
	for {
		select {
		case l, ok := <-p.lines:
			if !ok {
				t.Fatalf("busrtd ended before logging %q", sub)
			}
			if strings.Contains(l, sub) {
				return
			}
		case <-deadline:
			t.Fatalf("busrtd did not log %q", sub)
		}
	}
}

// client is a raw registered connection.
type client struct {
	t   *testing.T
	nc  net.Conn
	buf []byte
}

func dialClient(t *testing.T, network, addr, name string) *client {
	t.Helper()
	nc, err := net.DialTimeout(network, addr, waitTimeout)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = nc.Close() })
	c := &client{t: t, nc: nc}
	c.expect(proto.AppendGreeting(nil))
	c.write(proto.AppendGreeting(nil))
	c.expect([]byte{1})
	b, _ := proto.AppendName(nil, name)
	c.write(b)
	c.expect([]byte{1})
	return c
}

func (c *client) write(b []byte) {
	c.t.Helper()
	if _, err := c.nc.Write(b); err != nil {
		c.t.Fatal(err)
	}
}

func (c *client) read(n int) ([]byte, error) {
	_ = c.nc.SetReadDeadline(time.Now().Add(waitTimeout))
	var tmp [4096]byte
	for len(c.buf) < n {
		k, err := c.nc.Read(tmp[:])
		c.buf = append(c.buf, tmp[:k]...)
		if err != nil && len(c.buf) < n {
			return nil, err
		}
	}
	b := bytes.Clone(c.buf[:n])
	c.buf = c.buf[n:]
	return b, nil
}

func (c *client) expect(want []byte) {
	c.t.Helper()
	got, err := c.read(len(want))
	if err != nil || !bytes.Equal(got, want) {
		c.t.Fatalf("expected %x, got %x (%v)", want, got, err)
	}
}

// frame reads the next broker frame that is not a ping.
func (c *client) frame() (proto.BrokerHeader, []byte) {
	c.t.Helper()
	for {
		hb, err := c.read(6)
		if err != nil {
			c.t.Fatal(err)
		}
		h, err := proto.DecodeBrokerHeader(hb)
		if err != nil {
			c.t.Fatal(err)
		}
		switch h.Kind {
		case proto.KindNop:
			continue
		case proto.KindAck:
			return h, nil
		}
		d, err := c.read(int(h.Len))
		if err != nil {
			c.t.Fatal(err)
		}
		return h, d
	}
}

func (c *client) expectDelivery(kind proto.Kind, sender, topic string, payload []byte) {
	c.t.Helper()
	h, d := c.frame()
	s, tp, p, err := proto.SplitDelivery(h.Kind, d)
	if err != nil || h.Kind != kind || string(s) != sender || string(tp) != topic || !bytes.Equal(p, payload) {
		c.t.Fatalf("expected %v from %s on %q: %x; got %+v %q (%v)", kind, sender, topic, payload, h, d, err)
	}
}

func (c *client) expectClosed() {
	c.t.Helper()
	_, err := c.read(len(c.buf) + 1)
	if err == nil || !(errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET)) {
		c.t.Fatalf("expected close, got %v", err)
	}
}

// TestSIGTERM: busrtd announces the shutdown to every client, closes them,
// exits 0 and leaves no socket, FIFO or PID file behind.
func TestSIGTERM(t *testing.T) {
	dir := shortDir(t)
	sock := filepath.Join(dir, "b.sock")
	fifo := filepath.Join(dir, "b.fifo")
	pid := filepath.Join(dir, "b.pid")
	p := startBusrtd(t, "-B", sock, "-B", "127.0.0.1:0", "-B", "fifo:"+fifo, "-P", pid, "-t", "1")
	b, err := os.ReadFile(pid)
	if err != nil || string(b) != strconv.Itoa(p.cmd.Process.Pid) {
		t.Fatalf("pid file %q (%v), pid %d", b, err, p.cmd.Process.Pid)
	}
	c := dialClient(t, "unix", sock, "watcher")
	// make sure registration is complete (ACK of a message to itself)
	c.write(proto.AppendMessage(nil, 1, proto.QoSProcessed, []byte("watcher"), []byte("x")))
	c.expectDelivery(proto.KindMessage, "watcher", "", []byte("x"))
	if h, _ := c.frame(); h.Kind != proto.KindAck {
		t.Fatalf("expected ACK, got %+v", h)
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	h, d := c.frame()
	s, topic, payload, err := proto.SplitDelivery(h.Kind, d)
	if err != nil || string(s) != ".broker" || string(topic) != ".broker/warn" ||
		!bytes.HasPrefix(payload, []byte("\x82\xa1s\xa8shutdown\xa1t\xcf")) {
		t.Fatalf("expected the shutdown announcement, got %+v %q", h, d)
	}
	c.expectClosed()
	select {
	case err := <-p.exited:
		if err != nil {
			t.Fatalf("busrtd exit: %v", err)
		}
	case <-time.After(waitTimeout):
		t.Fatal("busrtd did not exit")
	}
	p.exited <- nil // for the cleanup
	for _, f := range []string{sock, fifo, pid} {
		if _, err := os.Lstat(f); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s left behind (%v)", f, err)
		}
	}
}

// TestFIFO: every FIFO command reaches clients as frames from `.broker`.
func TestFIFO(t *testing.T) {
	dir := shortDir(t)
	sock := filepath.Join(dir, "b.sock")
	fifo := filepath.Join(dir, "b.fifo")
	startBusrtd(t, "-B", sock, "-B", "fifo:"+fifo)
	fi, err := os.Lstat(fifo)
	if err != nil || fi.Mode()&os.ModeNamedPipe == 0 || fi.Mode().Perm() != 0o622 {
		t.Fatalf("fifo %v %v", fi.Mode(), err)
	}
	c := dialClient(t, "unix", sock, "svc.x")
	b, _ := proto.AppendName(nil, "x")
	_ = b
	c.write(proto.AppendTopics(nil, 1, proto.OpSubscribe, proto.QoSProcessed, []byte("some/topic")))
	if h, _ := c.frame(); h.Kind != proto.KindAck {
		t.Fatalf("expected ACK, got %+v", h)
	}
	w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	cmd := func(line string) {
		if _, err := io.WriteString(w, line+"\n"); err != nil {
			t.Fatal(err)
		}
	}
	cmd("svc.x hello")
	c.expectDelivery(proto.KindMessage, ".broker", "", []byte("hello"))
	cmd("=some/topic 123 ignored")
	c.expectDelivery(proto.KindPublish, ".broker", "some/topic", []byte("123"))
	cmd("svc.* hi")
	c.expectDelivery(proto.KindBroadcast, ".broker", "", []byte("hi"))
	cmd("svc.x .data")
	c.expectDelivery(proto.KindMessage, ".broker", "", []byte("\x00data"))
	cmd("svc.x :reload force=true level=2")
	c.expectDelivery(proto.KindMessage, ".broker", "", []byte("\x01\x00\x00\x00\x00reload\x00\x82\xa5force\xc3\xa5level\x02"))
	cmd("onlyoneword")
	cmd("nobody x") // dropped silently
	cmd("svc.x last")
	c.expectDelivery(proto.KindMessage, ".broker", "", []byte("last"))
}

// TestStartErrors: a live broker's socket and a busy TCP port are refused
// with one clear line and exit status 1; bad flags exit 2.
func TestStartErrors(t *testing.T) {
	dir := shortDir(t)
	sock := filepath.Join(dir, "b.sock")
	startBusrtd(t, "-B", sock)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	file := filepath.Join(dir, "file.sock")
	if err := os.WriteFile(file, []byte("keep"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"-B", sock}, 1, "live broker"},
		{[]string{"-B", l.Addr().String()}, 1, "address already in use"},
		{[]string{"-B", file}, 1, "not a socket"},
		{[]string{"-B", filepath.Join(dir, "missing", "x.sock")}, 1, "no such file or directory"},
		{[]string{"-t", "zero"}, 2, "invalid argument"},
	} {
		cmd := exec.Command(busrtdBin, tc.args...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != tc.code {
			t.Errorf("%v: %v", tc.args, err)
		}
		if lines := strings.Split(strings.TrimSpace(stderr.String()), "\n"); !strings.Contains(lines[0], tc.msg) ||
			!strings.HasPrefix(lines[0], "busrtd: ") {
			t.Errorf("%v: stderr %q", tc.args, stderr.String())
		}
	}
	if b, _ := os.ReadFile(file); string(b) != "keep" {
		t.Error("regular file touched")
	}
}

// TestDaemonMode: -D returns once the daemon listens; the PID file holds
// the daemon's PID; SIGTERM stops it and removes its files.
func TestDaemonMode(t *testing.T) {
	dir := shortDir(t)
	sock := filepath.Join(dir, "d.sock")
	pid := filepath.Join(dir, "d.pid")
	cmd := exec.Command(busrtdBin, "-D", "-B", sock, "-P", pid)
	cmd.Env = append(os.Environ(), "DISABLE_SYSLOG=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("busrtd -D: %v %s", err, out)
	}
	b, err := os.ReadFile(pid)
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.Atoi(string(b))
	if err != nil || n == cmd.Process.Pid {
		t.Fatalf("pid file %q", b)
	}
	proc, _ := os.FindProcess(n)
	t.Cleanup(func() { _ = proc.Kill() })
	_ = dialClient(t, "unix", sock, "d")
	if err := proc.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := waitExit(n, waitTimeout); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{sock, pid} {
		if _, err := os.Lstat(f); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s left behind", f)
		}
	}

	// a daemon that cannot start reports why, and the parent exits 1
	cmd = exec.Command(busrtdBin, "-D", "-B", filepath.Join(dir, "nodir", "x.sock"))
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.Contains(string(out), "no such file") {
		t.Fatalf("failed daemon: %v %q", err, out)
	}
}
