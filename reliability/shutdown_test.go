package reliability

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/busrt-go/busrt/bus"
	"github.com/busrt-go/busrt/gen"
	"github.com/busrt-go/busrt/proto"
)

var (
	busrtdOnce sync.Once
	busrtdDir  string
	busrtdPath string
	busrtdErr  error
)

// busrtdBinary builds cmd/busrtd once per test process, with -race when
// the tests run with it (a data race then shows on busrtd's stderr).
func busrtdBinary(t *testing.T) string {
	t.Helper()
	busrtdOnce.Do(func() {
		busrtdDir, busrtdErr = os.MkdirTemp("", "busrtd-rel")
		if busrtdErr != nil {
			return
		}
		busrtdPath = filepath.Join(busrtdDir, "busrtd")
		args := []string{"build", "-o", busrtdPath}
		if raceEnabled {
			args = append(args, "-race")
		}
		out, err := exec.Command("go", append(args, "github.com/busrt-go/busrt/cmd/busrtd")...).CombinedOutput()
		if err != nil {
			busrtdErr = fmt.Errorf("go build busrtd: %v\n%s", err, out)
		}
	})
	if busrtdErr != nil {
		t.Fatal(busrtdErr)
	}
	return busrtdPath
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var startedLine = regexp.MustCompile(`BUS/RT broker started, listening on (\S+), (\S+)`)

// TestShutdownUnderLoad: SIGTERM reaches a busrtd process while twelve
// clients (UNIX and TCP) publish and read as fast as they can. Every
// client receives the `.broker/warn` shutdown announcement before its
// connection ends; busrtd exits with status 0, writes nothing to stderr
// (no panic, no data race: it is built with -race when the tests are),
// and removes its socket and PID files.
func TestShutdownUnderLoad(t *testing.T) {
	bin := busrtdBinary(t)
	dir := shortTempDir(t)
	sock, pidFile := filepath.Join(dir, "b.sock"), filepath.Join(dir, "b.pid")
	cmd := exec.Command(bin, "-B", sock, "-B", "127.0.0.1:0", "-P", pidFile, "-t", "2", "-w", "2")
	// two loops whatever the CPU count (busrtd runs at most GOMAXPROCS-1),
	// so the shutdown crosses loops
	cmd.Env = append(os.Environ(), "GOMAXPROCS=3")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	lines := make(chan string, 16)
	var logMu sync.Mutex
	var log []string
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			logMu.Lock()
			log = append(log, sc.Text())
			logMu.Unlock()
			select {
			case lines <- sc.Text():
			default:
			}
		}
		exited <- cmd.Wait()
	}()
	killed := false
	t.Cleanup(func() {
		if !killed {
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	var tcpAddr string
	deadline := time.After(waitTimeout)
	for tcpAddr == "" {
		select {
		case l := <-lines:
			if m := startedLine.FindStringSubmatch(l); m != nil {
				tcpAddr = m[2]
			}
		case err := <-exited:
			killed = true
			t.Fatalf("busrtd exited at start: %v; stderr: %s", err, stderr.String())
		case <-deadline:
			t.Fatal("busrtd did not log its start")
		}
	}
	addrs := []addr{{"unix", sock}, {"tcp", tcpAddr}}

	type result struct {
		name     string
		frames   int
		shutdown bool
		err      error
	}
	results := make(chan result, 32)
	var progress sync.WaitGroup // every client has seen traffic
	// reader reads c until the connection ends; busy is signalled after
	// 100 frames.
	reader := func(c *client, onAck func(), ended chan struct{}, credits chan struct{}) {
		r := result{name: c.name}
		busy := false
		defer func() {
			if ended != nil {
				close(ended)
			}
			if !busy {
				progress.Done()
			}
			results <- r
		}()
		_ = c.nc.SetReadDeadline(time.Now().Add(3 * waitTimeout))
		for {
			h, d, err := c.readFrame()
			if err != nil {
				if !isClosed(err) {
					r.err = err
				}
				return
			}
			switch h.Kind {
			case proto.KindNop:
				continue
			case proto.KindAck:
				if h.Code != proto.CodeOK {
					r.err = fmt.Errorf("ACK %+v", h)
					return
				}
				if onAck != nil {
					onAck()
				}
			default:
				s, topic, p, err := proto.SplitDelivery(h.Kind, d)
				if err != nil {
					r.err = err
					return
				}
				if string(s) == bus.CoreName && string(topic) == bus.WarnTopic {
					var a gen.Announcement
					if _, err := a.UnmarshalMsg(p); err != nil || string(a.S) != "shutdown" {
						r.err = fmt.Errorf("bad shutdown announcement %x: %v", p, err)
						return
					}
					r.shutdown = true
				}
			}
			r.frames++
			if credits != nil && r.frames%256 == 0 {
				select {
				case credits <- struct{}{}:
				default:
				}
			}
			if r.frames == 100 && !busy {
				busy = true
				progress.Done()
			}
		}
	}
	const perKind = 6
	var clients []*client
	connect := func(i int, name string) *client {
		c, err := dial(addrs[i%2])
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.nc.Close() })
		register(t, c, name)
		clients = append(clients, c)
		return c
	}
	// reader i subscribes to publisher i's topic and hands back a credit
	// every 256 frames; a publisher has 8 credits (2 048 frames) at most:
	// it never outruns its reader's 8 192-frame queue (a reader that
	// falls behind is dropped, ROUTING.md §9.1, and misses the shutdown)
	credits := make([]chan struct{}, perKind)
	for i := range perKind {
		c := connect(i, fmt.Sprintf("rd.%d", i))
		c.subscribe(t, fmt.Sprintf("load/%d", i))
		credits[i] = make(chan struct{}, 8)
		for range 8 {
			credits[i] <- struct{}{}
		}
		progress.Add(1)
		go reader(c, nil, nil, credits[i])
	}
	var pubs sync.WaitGroup
	for i := range perKind {
		c := connect(i+1, fmt.Sprintf("pub.%d", i))
		acks, ended := make(chan struct{}, 64), make(chan struct{})
		progress.Add(1)
		go reader(c, func() { acks <- struct{}{} }, ended, nil)
		pubs.Add(1)
		go func() {
			defer pubs.Done()
			payload := bytes.Repeat([]byte{'l'}, 256)
			var b []byte
			inFlight := 0
			for k := uint32(1); ; k++ {
				if k%256 == 1 {
					select {
					case <-credits[i]:
					case <-ended:
						return
					}
				}
				qos := proto.QoSNo
				if k%16 == 0 {
					qos = proto.QoSProcessed
					inFlight++
				}
				b = proto.AppendPublish(b[:0], k, qos, []byte(fmt.Sprintf("load/%d", i)), payload)
				if c.write(b) != nil {
					return // the broker is gone
				}
				for inFlight >= 32 { // flow control: ACKs come back in order
					select {
					case <-acks:
						inFlight--
					case <-ended:
						return
					}
				}
			}
		}()
	}
	busy := make(chan struct{})
	go func() { progress.Wait(); close(busy) }()
	if !waitChan(busy, waitTimeout) {
		t.Fatal("no traffic")
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for range 2 * perKind {
		select {
		case r := <-results:
			if r.err != nil {
				t.Errorf("%s: %v", r.name, r.err)
			}
			if !r.shutdown {
				t.Errorf("%s: connection ended after %d frames without the shutdown announcement", r.name, r.frames)
			}
		case <-time.After(3 * waitTimeout):
			t.Fatal("clients still connected")
		}
	}
	pubs.Wait()
	select {
	case err := <-exited:
		killed = true
		if err != nil {
			t.Errorf("busrtd: %v", err)
		}
	case <-time.After(waitTimeout):
		t.Fatal("busrtd did not exit")
	}
	if s := stderr.String(); s != "" {
		t.Errorf("busrtd wrote to stderr:\n%s", s)
	}
	for _, f := range []string{sock, pidFile} {
		if _, err := os.Lstat(f); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s left behind (%v)", f, err)
		}
	}
	logMu.Lock()
	defer logMu.Unlock()
	if t.Failed() {
		t.Logf("busrtd log:\n%s", strings.Join(log, "\n"))
	}
	if !strings.Contains(strings.Join(log, "\n"), "terminating") {
		t.Errorf("busrtd did not log its termination:\n%s", strings.Join(log, "\n"))
	}
}
