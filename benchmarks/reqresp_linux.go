//go:build linux

package benchmarks

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"slices"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/busrt-go/busrt/proto"
)

// The request/response ceiling stages (reqresp.go) over raw file
// descriptors: non-blocking sockets that Go's netpoller never sees, each
// side one locked thread with its own level-triggered epoll.

// epollStages reports whether raw.send.qos.processed and
// lean.send.qos.processed can run here: they need Linux's epoll.
const epollStages = true

// rawSendProcessed runs raw.send.qos.processed.
func (r *runner) rawSendProcessed(ctx context.Context) error {
	clients, servers, err := socketPairs(r.network, r.o.Workers)
	if err != nil {
		return fmt.Errorf("benchmarks: raw socket: %w", err)
	}
	defer reserveProcs(2)() // client and echo
	echoDone := make(chan error, 1)
	go func() { echoDone <- ackEcho(servers, r.o.BufSize) }() // closes servers
	err = r.seqStage(ctx, StageRawSendProc, clients)
	closeFDs(clients) // the echo returns once it has seen every end closed
	if echoErr := <-echoDone; echoErr != nil {
		err = errors.Join(err, fmt.Errorf("benchmarks: raw echo: %w", echoErr))
	}
	return err
}

// leanSendProcessed runs lean.send.qos.processed.
func (r *runner) leanSendProcessed(ctx context.Context) error {
	names := workerNames(r.o.Name, r.o.Workers)
	fds := make([]int, 0, len(names))
	defer func() { closeFDs(fds) }()
	for _, name := range names {
		var fd int
		err := r.retryBusy(ctx, name, func() error {
			var err error
			fd, err = leanDial(ctx, r.network, r.addr, name, r.o.Timeout)
			return err
		})
		if err != nil {
			return err
		}
		fds = append(fds, fd)
	}
	defer reserveProcs(1)() // the client
	return r.seqStage(ctx, StageLeanSendProc, fds)
}

// Go's scheduler takes the P of a thread blocked in a system call when no
// P is idle (sysmon's retake) and hands one back through futex wake-ups
// when the call returns. With the client and the echo both blocking in
// epoll_wait on a 2-CPU machine (GOMAXPROCS 2), that nearly doubles the
// context switches of raw.send.qos.processed and costs it about a fifth of
// its rate: nothing to do with the machine's ceiling. So the epoll
// stages run with GOMAXPROCS at least one above their locked threads: an
// idle P makes sysmon leave short system calls alone.
//
// reserveProcs raises GOMAXPROCS, when needed, to locked+1 until the
// returned function is called.
func reserveProcs(locked int) (restore func()) { return holdProcs(0, locked+1) }

// seqStage measures send.qos.processed's traffic on fds, the connected
// non-blocking sockets of workers 1 … W: worker k sends iters/W MESSAGE
// frames to NAME-k-null, one at a time, all from one seqClient thread.
func (r *runner) seqStage(ctx context.Context, name string, fds []int) error {
	names := workerNames(r.o.Name, len(fds))
	frames := make([][]byte, len(fds))
	for k := range frames {
		frames[k] = proto.AppendMessage(nil, 0, proto.QoSRealtimeProcessed, []byte(names[k]+"-null"), r.payload)
	}
	perWorker := r.o.Iters / int64(len(fds))
	t := func(ctx context.Context, done *counter) error {
		return seqClient(ctx, fds, frames, perWorker, r.o.BufSize, done)
	}
	_, err := r.runStage(ctx, stage{name: name, iters: r.o.Iters, tasks: []task{t}, want: perWorker * int64(len(fds))})
	return err
}

// nbConn is one non-blocking connection of an epoll loop, registered with
// its index as the event's data.
type nbConn struct {
	fd      int
	in      []byte // read, not yet parsed (a partial frame at most)
	out     []byte // to write: out[off:]
	off     int
	pollOut bool // EPOLLOUT is registered: out could not be written at once
}

// fill reads once into c.in's free space, first doubling it when a partial
// frame fills it. eof reports the end of the stream.
func (c *nbConn) fill() (eof bool, err error) {
	if len(c.in) == cap(c.in) {
		c.in = slices.Grow(c.in, max(cap(c.in), 64))
	}
	for {
		n, err := unix.Read(c.fd, c.in[len(c.in):cap(c.in)])
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN:
			return false, nil
		case err != nil:
			return false, os.NewSyscallError("read", err)
		case n == 0:
			return true, nil
		}
		c.in = c.in[:len(c.in)+n]
		return false, nil
	}
}

// consume drops the first n bytes of c.in, keeping a partial frame.
func (c *nbConn) consume(n int) { c.in = c.in[:copy(c.in, c.in[n:])] }

// flush writes c.out[c.off:]. When the socket buffer is full it registers
// EPOLLOUT and returns; once everything is written it drops EPOLLOUT again.
func (c *nbConn) flush(epfd, idx int) error {
	for c.off < len(c.out) {
		n, err := unix.Write(c.fd, c.out[c.off:])
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN:
			if c.pollOut {
				return nil
			}
			c.pollOut = true
			return epollCtl(epfd, unix.EPOLL_CTL_MOD, c.fd, idx, unix.EPOLLIN|unix.EPOLLOUT)
		case err != nil:
			return os.NewSyscallError("write", err)
		}
		c.off += n
	}
	c.out, c.off = c.out[:0], 0
	if !c.pollOut {
		return nil
	}
	c.pollOut = false
	return epollCtl(epfd, unix.EPOLL_CTL_MOD, c.fd, idx, unix.EPOLLIN)
}

// seqConn is one connection of seqClient.
type seqConn struct {
	nbConn
	frame   []byte // the MESSAGE frame; its id is set before each write
	id      uint32 // id of the last frame written: 1, 2, … as upstream's clients
	waiting bool   // the ACK of frame id has not arrived yet
	left    int64  // frames still to acknowledge
}

// send writes the next frame, with the next id.
func (c *seqConn) send(epfd, idx int) error {
	if c.id++; c.id == 0 {
		c.id = 1 // upstream wraps to 1: 0 is the pings' id
	}
	binary.LittleEndian.PutUint32(c.frame, c.id)
	c.out, c.off, c.waiting = c.frame, 0, true
	return c.flush(epfd, idx)
}

// seqClient is upstream's single-threaded CLI reduced to its system calls:
// one locked thread with its own epoll over fds, the non-blocking sockets
// of the workers; worker k writes frames[k] n times, each time once the
// ACK of the previous one has arrived (NOT_REGISTERED or OK; any other
// code fails, as in send.qos.processed). Every ACK counts in done. It
// returns when every ACK has arrived, on the first error, or when ctx is
// cancelled. The caller keeps the sockets.
func seqClient(ctx context.Context, fds []int, frames [][]byte, n int64, bufSize int, done *counter) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	epfd, err := epollOf(fds)
	if err != nil {
		return err
	}
	defer unix.Close(epfd)
	// ctx's cancellation wakes epoll_wait through an eventfd (index -1).
	efd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		return os.NewSyscallError("eventfd", err)
	}
	defer unix.Close(efd)
	fired := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		defer close(fired)
		one := [8]byte{1}
		_, _ = unix.Write(efd, one[:])
	})
	defer func() {
		if !stop() {
			<-fired // the write to efd is over before efd is closed
		}
	}()
	if err := epollCtl(epfd, unix.EPOLL_CTL_ADD, efd, -1, unix.EPOLLIN); err != nil {
		return err
	}
	conns := make([]seqConn, len(fds))
	active := 0 // connections with frames left
	for k, fd := range fds {
		c := &conns[k]
		c.fd, c.in, c.frame, c.left = fd, make([]byte, 0, bufSize), slices.Clone(frames[k]), n
		if c.left > 0 {
			active++
			if err := c.send(epfd, k); err != nil {
				return fmt.Errorf("connection %d: %w", k+1, err)
			}
		}
	}
	// A finished connection sits idle until the stage ends: the broker's
	// pings, or its idle limit, must not end the stage (pollConns stops
	// watching it).
	return pollConns(epfd, fds, active, func(k int, events uint32) (bool, error) {
		if k < 0 {
			return false, ctx.Err()
		}
		return conns[k].serve(epfd, k, events, done)
	})
}

// serve handles the epoll events of connection idx: it finishes a short
// write, reads the ACKs that arrived and sends the next frame after each.
// finished reports that the last ACK has arrived.
func (c *seqConn) serve(epfd, idx int, events uint32, done *counter) (finished bool, err error) {
	if events&unix.EPOLLOUT != 0 {
		if err := c.flush(epfd, idx); err != nil {
			return false, err
		}
	}
	if events&(unix.EPOLLIN|unix.EPOLLHUP|unix.EPOLLERR) == 0 {
		return false, nil
	}
	eof, err := c.fill()
	if err != nil {
		return false, err
	}
	if eof {
		return false, io.ErrUnexpectedEOF
	}
	off := 0
	for {
		h, _, m, err := proto.NextBrokerFrame(c.in[off:], 0)
		if err != nil {
			return false, err
		}
		if m == 0 {
			break
		}
		off += m
		if h.Kind != proto.KindAck {
			continue // a broker ping (NOP)
		}
		if !c.waiting || h.AckID != c.id {
			return false, fmt.Errorf("ACK for frame %d while waiting for %d (waiting: %v)", h.AckID, c.id, c.waiting)
		}
		if h.Code != proto.CodeOK && h.Code != proto.CodeNotRegistered {
			return false, h.Code.Err()
		}
		c.waiting = false
		done.n.Add(1)
		if c.left--; c.left == 0 {
			finished = true
			continue
		}
		if err := c.send(epfd, idx); err != nil {
			return false, err
		}
	}
	c.consume(off)
	return finished, nil
}

// ackEcho answers, on fds, the non-blocking server ends of socket pairs,
// every client frame whose QoS asks for an ACK with the ACK the broker
// sends for a message to an absent client (NOT_REGISTERED), from one
// locked thread with its own epoll; frames may arrive in pieces. It
// returns when every peer has closed its end, or on the first error, and
// closes fds.
func ackEcho(fds []int, bufSize int) error {
	defer closeFDs(fds)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	epfd, err := epollOf(fds)
	if err != nil {
		return err
	}
	defer unix.Close(epfd)
	conns := make([]nbConn, len(fds))
	for k, fd := range fds {
		conns[k] = nbConn{fd: fd, in: make([]byte, 0, bufSize)}
	}
	return pollConns(epfd, fds, len(fds), func(k int, events uint32) (bool, error) {
		return conns[k].echo(epfd, k, events)
	})
}

// echo handles the epoll events of connection idx of ackEcho. gone reports
// that the peer has closed its end.
func (c *nbConn) echo(epfd, idx int, events uint32) (gone bool, err error) {
	if events&unix.EPOLLOUT != 0 {
		if err := c.flush(epfd, idx); err != nil {
			return peerGone(err)
		}
	}
	if events&(unix.EPOLLIN|unix.EPOLLHUP|unix.EPOLLERR) == 0 {
		return false, nil
	}
	eof, err := c.fill()
	if eof || err != nil {
		return peerGone(err)
	}
	off := 0
	for {
		h, _, m, err := proto.NextClientFrame(c.in[off:], 0)
		if err != nil {
			return false, err
		}
		if m == 0 {
			break
		}
		off += m
		if h.QoS.NeedsAck() {
			c.out = proto.AppendAck(c.out, h.ID, proto.CodeNotRegistered)
		}
	}
	c.consume(off)
	if err := c.flush(epfd, idx); err != nil {
		return peerGone(err)
	}
	return false, nil
}

// peerGone turns the errors of a peer that closed its end (and nil, end
// of stream) into gone, and returns any other error.
func peerGone(err error) (gone bool, _ error) {
	if err == nil || errors.Is(err, unix.ECONNRESET) || errors.Is(err, unix.EPIPE) {
		return true, nil
	}
	return false, err
}

// epollOf returns a new epoll instance watching fds for input, each with
// its index as the event's data.
func epollOf(fds []int) (epfd int, err error) {
	epfd, err = unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return -1, os.NewSyscallError("epoll_create1", err)
	}
	for k, fd := range fds {
		if err := epollCtl(epfd, unix.EPOLL_CTL_ADD, fd, k, unix.EPOLLIN); err != nil {
			_ = unix.Close(epfd)
			return -1, err
		}
	}
	return epfd, nil
}

// pollConns is the loop of an epoll thread over fds, registered in epfd
// with their indexes (epollOf): it hands the events of each ready
// connection k to handle until active of them have reported done, each of
// which it then stops watching. Events with a negative index (a wake-up
// fd the caller added) go to handle as they are. It returns on the first
// error, that of connection k numbered k+1.
func pollConns(epfd int, fds []int, active int, handle func(k int, events uint32) (done bool, err error)) error {
	events := make([]unix.EpollEvent, len(fds)+1)
	for active > 0 {
		ready, err := epollWait(epfd, events)
		if err != nil {
			return err
		}
		for _, ev := range events[:ready] {
			k := int(ev.Fd)
			done, err := handle(k, ev.Events)
			if err != nil {
				if k < 0 {
					return err
				}
				return fmt.Errorf("connection %d: %w", k+1, err)
			}
			if done && k >= 0 {
				if err := epollCtl(epfd, unix.EPOLL_CTL_DEL, fds[k], k, 0); err != nil {
					return err
				}
				active--
			}
		}
	}
	return nil
}

// epollCtl adds, modifies or deletes fd in epfd with events, and idx as
// the event's data.
func epollCtl(epfd, op, fd, idx int, events uint32) error {
	ev := unix.EpollEvent{Events: events, Fd: int32(idx)}
	return os.NewSyscallError("epoll_ctl", unix.EpollCtl(epfd, op, fd, &ev))
}

// epollWait waits, as long as it takes, for events on epfd.
func epollWait(epfd int, events []unix.EpollEvent) (int, error) {
	for {
		n, err := unix.EpollWait(epfd, events, -1)
		if err != unix.EINTR {
			return n, os.NewSyscallError("epoll_wait", err)
		}
	}
}

// closeFDs closes every file descriptor of fds.
func closeFDs(fds []int) {
	for _, fd := range fds {
		_ = unix.Close(fd)
	}
}

// socketPairs returns n connected pairs of non-blocking stream sockets
// that Go's netpoller does not know: socketpair(2)s for network "unix",
// TCP connections over 127.0.0.1 (TCP_NODELAY) for "tcp".
func socketPairs(network string, n int) (clients, servers []int, err error) {
	defer func() {
		if err != nil {
			closeFDs(clients)
			closeFDs(servers)
			clients, servers = nil, nil
		}
	}()
	if network == "unix" {
		for range n {
			fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
			if err != nil {
				return clients, servers, os.NewSyscallError("socketpair", err)
			}
			clients, servers = append(clients, fds[0]), append(servers, fds[1])
		}
		return clients, servers, nil
	}
	// Plain TCP with nothing but the benchmark's traffic, as the
	// socketpair(2)s: no keep-alive probes, and not Go's default MPTCP
	// listener.
	lc := net.ListenConfig{KeepAlive: -1}
	lc.SetMultipathTCP(false)
	ln, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	defer ln.Close()
	d := net.Dialer{Timeout: DefaultTimeout, KeepAlive: -1}
	for range n {
		c, err := d.Dial("tcp", ln.Addr().String())
		if err != nil {
			return clients, servers, err
		}
		fd, err := detachFD(c)
		if err != nil {
			return clients, servers, err
		}
		clients = append(clients, fd)
		s, err := ln.Accept()
		if err != nil {
			return clients, servers, err
		}
		if fd, err = detachFD(s); err != nil {
			return clients, servers, err
		}
		servers = append(servers, fd)
	}
	return clients, servers, nil
}

// detachFD closes conn, a connected UNIX or TCP socket, and returns a
// duplicate of its descriptor, non-blocking (and TCP_NODELAY), that Go's
// netpoller does not know: closing conn takes its own descriptor out of
// the netpoller's epoll before closing it, and the socket stays open
// through the duplicate.
func detachFD(conn net.Conn) (fd int, err error) {
	defer conn.Close()
	if tc, ok := conn.(*net.TCPConn); ok {
		if err := tc.SetNoDelay(true); err != nil {
			return -1, err
		}
	}
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return -1, fmt.Errorf("%T has no file descriptor", conn)
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return -1, err
	}
	var dupErr error
	if err := raw.Control(func(s uintptr) { fd, dupErr = unix.FcntlInt(s, unix.F_DUPFD_CLOEXEC, 0) }); err != nil {
		return -1, err
	}
	if dupErr != nil {
		return -1, os.NewSyscallError("fcntl", dupErr)
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		_ = unix.Close(fd)
		return -1, os.NewSyscallError("fcntl", err)
	}
	return fd, nil
}

// leanDial connects to the broker at addr (network "unix" or "tcp") and
// registers name with a blocking handshake, both within timeout and ctx,
// and returns a private duplicate of the socket (detachFD), non-blocking
// and TCP_NODELAY. A refusal wraps the broker's code (BUSY...).
func leanDial(ctx context.Context, network, addr, name string, timeout time.Duration) (fd int, err error) {
	hs, err := proto.NewClientHandshake(name)
	if err != nil {
		return -1, err
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	d := net.Dialer{KeepAlive: -1} // only the benchmark's traffic
	conn, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return -1, err
	}
	if err := clientHandshake(ctx, conn, &hs); err != nil {
		_ = conn.Close()
		return -1, fmt.Errorf("handshake (%s): %w", hs.Step(), err)
	}
	return detachFD(conn)
}

// clientHandshake runs hs, the client side of PROTOCOL.md §4, on conn
// until it ends or ctx does, reading no byte past it. An end of ctx is
// reported as ctx's error, a hang-up as io.ErrUnexpectedEOF.
func clientHandshake(ctx context.Context, conn net.Conn, hs *proto.ClientHandshake) error {
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	var in [proto.GreetingSize]byte
	var out []byte
	for !hs.Done() {
		want := hs.Want()
		if _, err := io.ReadFull(conn, in[:want]); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
		var err error
		if _, out, err = hs.Feed(in[:want], out[:0]); err != nil {
			return err
		}
		if len(out) == 0 {
			continue
		}
		if _, err := conn.Write(out); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return err
		}
	}
	return nil
}
