package rtclient_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/busrt-go/busrt/bus"
	"github.com/busrt-go/busrt/netloop"
)

// brokerProcessEnv makes the test binary run as a stand-alone broker (see
// startBrokerProcess) instead of running tests.
const brokerProcessEnv = "RTCLIENT_TEST_BROKER_SOCKET"

func TestMain(m *testing.M) {
	if path := os.Getenv(brokerProcessEnv); path != "" {
		os.Exit(runBrokerProcess(path))
	}
	os.Exit(m.Run())
}

// runBrokerProcess serves a broker on a UNIX socket at path and on a TCP
// port of 127.0.0.1, prints both addresses, and stops when stdin closes.
func runBrokerProcess(path string) int {
	b := bus.New(bus.Config{Timeout: 5 * time.Second})
	srv, err := netloop.New(b, netloop.Config{Binds: []netloop.Listener{{Addr: path}, {Addr: "127.0.0.1:0"}}, Loops: 2})
	if err == nil {
		err = srv.Start()
	}
	if err != nil {
		fmt.Println("error", err)
		return 1
	}
	fmt.Println(path)
	fmt.Println(srv.Addrs()[1].String())
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n') // until stdin closes
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(ctx)
	return 0
}

// brokerProcess is a broker running in a child process: its allocations
// are not counted by the allocation guards of this process, and it can be
// killed for real.
type brokerProcess struct {
	cmd        *exec.Cmd
	unix, tcp  string
	stdinClose func() error
}

func startBrokerProcess(t testing.TB) *brokerProcess {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), brokerProcessEnv+"="+filepath.Join(shortTempDir(t), "p.sock"))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	bp := &brokerProcess{cmd: cmd, stdinClose: stdin.Close}
	t.Cleanup(bp.stop)
	lines := make(chan string, 2)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	for _, dst := range []*string{&bp.unix, &bp.tcp} {
		select {
		case l, ok := <-lines:
			if !ok || strings.HasPrefix(l, "error") {
				t.Fatalf("broker process: %q", l)
			}
			*dst = l
		case <-time.After(waitTimeout):
			t.Fatal("broker process did not start")
		}
	}
	return bp
}

// stop ends the process gracefully (it may already be dead).
func (bp *brokerProcess) stop() {
	_ = bp.stdinClose()
	done := make(chan struct{})
	go func() { _ = bp.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(waitTimeout):
		_ = bp.cmd.Process.Kill()
		<-done
	}
}

// kill kills the process at once (SIGKILL): the broker dies.
func (bp *brokerProcess) kill() { _ = bp.cmd.Process.Kill() }
