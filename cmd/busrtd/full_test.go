package main

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/busrt-go/busrt/proto"
)

// TestTenThousandConnections (BUSRT_FULL=1 only): 10 000 idle TCP clients
// stay connected to one busrtd at once (the broker runs in its own process,
// so each side needs one descriptor per connection) and all get a
// broadcast. It reports busrtd's resident memory per connection.
func TestTenThousandConnections(t *testing.T) {
	if os.Getenv("BUSRT_FULL") != "1" {
		t.Skip("BUSRT_FULL=1 only")
	}
	const n = 10000
	dir := shortDir(t)
	sock := filepath.Join(dir, "b.sock")
	tcp := freeTCPAddr(t)
	p := startBusrtd(t, "-B", sock, "-B", tcp, "-w", "2")
	rss0 := vmRSS(t, p.cmd.Process.Pid)
	clients := make([]net.Conn, n)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	sem := make(chan struct{}, 256)
	for i := range clients {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			nc, err := net.Dial("tcp", tcp)
			if err != nil {
				errs <- err
				return
			}
			b := proto.AppendGreeting(nil)
			b, _ = proto.AppendName(b, fmt.Sprintf("many.%d", i))
			if _, err := nc.Write(b); err != nil {
				errs <- err
				return
			}
			var r [5]byte
			if _, err := readFull(nc, r[:]); err != nil || r != [5]byte{0xeb, 1, 0, 1, 1} {
				errs <- fmt.Errorf("client %d: %x %v", i, r, err)
				return
			}
			clients[i] = nc
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	defer func() {
		for _, c := range clients {
			_ = c.Close()
		}
	}()
	rss1 := vmRSS(t, p.cmd.Process.Pid)
	perConn := float64(rss1-rss0) / n
	t.Logf("busrtd RSS: %d KiB before, %d KiB with %d idle TCP connections: %.1f KiB per connection", rss0, rss1, n, perConn)
	if perConn > 20 {
		t.Errorf("%.1f KiB per idle connection, goal under 20 KiB", perConn)
	}
	ctl := dialClient(t, "unix", sock, "ctl")
	ctl.write(proto.AppendBroadcast(nil, 1, proto.QoSProcessed, []byte("many.*"), []byte("hi")))
	if h, _ := ctl.frame(); h.Kind != proto.KindAck {
		t.Fatalf("expected ACK, got %+v", h)
	}
	want := proto.AppendDelivery(nil, proto.KindBroadcast, false, []byte("ctl"), nil, []byte("hi"))
	for i, c := range clients {
		got := make([]byte, len(want))
		if _, err := readFull(c, got); err != nil || string(got) != string(want) {
			t.Fatalf("client %d: %x %v", i, got, err)
		}
	}
}

// vmRSS returns a process's resident set size in KiB.
func vmRSS(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			if err != nil {
				t.Fatal(err)
			}
			return kb
		}
	}
	t.Fatal("no VmRSS")
	return 0
}

func freeTCPAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func readFull(c net.Conn, b []byte) (int, error) {
	_ = c.SetReadDeadline(time.Now().Add(waitTimeout))
	n := 0
	for n < len(b) {
		k, err := c.Read(b[n:])
		n += k
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
