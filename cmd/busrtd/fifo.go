package main

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/busrt-go/busrt/bus"
	"github.com/busrt-go/busrt/gen"
	"github.com/busrt-go/busrt/proto"
)

// fifoChannel is upstream's FIFO command channel (SERVER_AND_CLI.md §1.4):
// shell scripts write one command per line; every frame is sent by the
// `.broker` client with QoS No. Errors are only logged.
type fifoChannel struct {
	path     string
	dev, ino uint64
	f        *os.File
	core     *bus.EmbeddedClient
	log      *slog.Logger
	bufSize  int
	done     chan struct{}
}

// errNotFIFO: something other than a FIFO exists at the path; busrtd
// never deletes it.
var errNotFIFO = errors.New("path exists and is not a FIFO")

// startFIFO creates the FIFO (mode 0622; a stale FIFO at the path is
// replaced) and starts reading it.
func startFIFO(path string, core *bus.EmbeddedClient, log *slog.Logger, bufSize int) (*fifoChannel, error) {
	if core == nil {
		return nil, fmt.Errorf("fifo %s: the broker has no .broker client", path)
	}
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode()&fs.ModeNamedPipe == 0 {
			return nil, fmt.Errorf("fifo %s: %w", path, errNotFIFO)
		}
		if err := os.Remove(path); err != nil {
			return nil, fmt.Errorf("fifo %s: %w", path, err)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("fifo %s: %w", path, err)
	}
	if err := unix.Mkfifo(path, 0o622); err != nil {
		return nil, fmt.Errorf("fifo %s: %w", path, err)
	}
	_ = os.Chmod(path, 0o622) // exactly, whatever the umask
	var st unix.Stat_t
	if err := unix.Lstat(path, &st); err != nil {
		return nil, fmt.Errorf("fifo %s: %w", path, err)
	}
	// Opened read-write, the FIFO never reports EOF when a writer closes
	// (upstream reopens after 100 ms instead), and opening never blocks.
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		_ = os.Remove(path)
		return nil, fmt.Errorf("fifo %s: %w", path, err)
	}
	fc := &fifoChannel{path: path, dev: st.Dev, ino: st.Ino, f: f, core: core, log: log,
		bufSize: max(bufSize, 4096), done: make(chan struct{})}
	go fc.serve()
	return fc, nil
}

func (fc *fifoChannel) serve() {
	defer close(fc.done)
	r := bufio.NewReaderSize(fc.f, fc.bufSize)
	for {
		line, err := r.ReadString('\n')
		if line != "" {
			if herr := fc.handle(line); herr != nil {
				fc.log.Warn(fc.path + ": " + herr.Error())
			}
		}
		if err != nil {
			if !errors.Is(err, os.ErrClosed) {
				fc.log.Warn(fc.path + ": " + err.Error())
			}
			return
		}
	}
}

// errNoPayload is upstream's error for a command without a payload.
var errNoPayload = errors.New("payload not specified")

// handle runs one command line.
func (fc *fifoChannel) handle(line string) error {
	line = strings.TrimRight(line, "\r\n")
	if strings.TrimSpace(line) == "" {
		return nil
	}
	if t := strings.TrimSpace(line); strings.HasPrefix(t, "=") {
		words := strings.Split(t[1:], " ")
		if len(words) < 2 {
			return errNoPayload
		}
		return fc.core.Publish(words[0], []byte(words[1]), proto.QoSNo)
	}
	words := strings.Split(line, " ")
	if len(words) < 2 {
		return errNoPayload
	}
	target, arg := words[0], words[1]
	switch {
	case strings.HasPrefix(arg, "."):
		return fc.send(target, proto.AppendRPCNotification(nil, []byte(arg[1:])))
	case strings.HasPrefix(arg, ":"):
		var params []byte
		if len(words) > 2 {
			p, err := gen.ParamsFromArgs(nil, words[2:])
			if err != nil {
				return err
			}
			params = p
		}
		return fc.send(target, proto.AppendRPCRequest(nil, 0, []byte(arg[1:]), params))
	case strings.ContainsAny(target, "*?"):
		return fc.core.Broadcast(target, []byte(arg), proto.QoSNo)
	}
	return fc.send(target, []byte(arg))
}

// send sends a MESSAGE; an unknown target is silently dropped, as upstream.
func (fc *fifoChannel) send(target string, payload []byte) error {
	if err := fc.core.Send(target, payload, proto.QoSNo); err != nil {
		fc.log.Debug(fc.path+": message not delivered", "target", target, "error", err)
	}
	return nil
}

// stop closes the FIFO and removes it if it is still ours.
func (fc *fifoChannel) stop() {
	_ = fc.f.Close()
	<-fc.done
	var st unix.Stat_t
	if unix.Lstat(fc.path, &st) == nil && st.Dev == fc.dev && st.Ino == fc.ino {
		_ = os.Remove(fc.path)
	}
}
