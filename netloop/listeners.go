package netloop

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/busrt-go/busrt/bus"

	"github.com/busrt-go/busrt/proto"
)

// maxSunPath is the longest UNIX socket path the kernel accepts.
const maxSunPath = 107

// listenerState is one configured listener, resolved.
type listenerState struct {
	cfg   Listener
	kind  bus.ClientKind
	queue int

	// UNIX: path is where clients connect (absolute); gnet binds bindPath,
	// a private name next to it, and Start renames the socket onto path so
	// gnet (which removes whatever is at its path, before binding and at
	// shutdown) never touches the user's path. bindPath == path when no
	// private name fits the kernel's length limit.
	path     string
	bindPath string
	dev, ino uint64 // identity of our socket file at path, once renamed
	renamed  bool

	gnetAddr string   // the address handed to gnet.Rotate
	addr     net.Addr // the resolved listening address (real TCP port)
	tcpIP    netip.Addr
	tcpPort  int
}

// newListenerState classifies l and checks what can be checked before
// binding.
func newListenerState(l Listener) (*listenerState, error) {
	a := l.Addr
	switch {
	case a == "":
		return nil, fmt.Errorf("bind %q: %w", a, ErrUnsupportedAddr)
	case strings.HasPrefix(a, "ws://"), strings.HasPrefix(a, "wss://"), strings.HasPrefix(a, "fifo:"):
		return nil, fmt.Errorf("bind %s: %w", a, ErrUnsupportedAddr)
	}
	ls := &listenerState{cfg: l, queue: l.QueueSize}
	if proto.IsUnixAddr(a) {
		ls.kind = bus.KindLocalIPC
		p, err := filepath.Abs(a)
		if err != nil {
			return nil, fmt.Errorf("bind %s: %w", a, err)
		}
		if len(p) > maxSunPath {
			return nil, fmt.Errorf("bind %s: socket path longer than %d bytes: %w", a, maxSunPath, ErrUnsupportedAddr)
		}
		ls.path = p
		ls.bindPath = privateSocketName(p)
		if strings.ContainsAny(ls.bindPath, "?#") {
			return nil, fmt.Errorf("bind %s: '?' and '#' are not supported in socket directories: %w", a, ErrUnsupportedAddr)
		}
		ls.gnetAddr = "unix://" + ls.bindPath
		ls.addr = &net.UnixAddr{Name: p, Net: "unix"}
		return ls, nil
	}
	ls.kind = bus.KindTCP
	if _, _, err := net.SplitHostPort(a); err != nil {
		return nil, fmt.Errorf("bind %s: %w", a, err)
	}
	ls.gnetAddr = "tcp://" + a
	return ls, nil
}

// privateSocketName returns a fresh name in p's directory for gnet to bind,
// or p itself when no such name fits the kernel's path limit.
func privateSocketName(p string) string {
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	name := filepath.Join(filepath.Dir(p), ".busrt-"+hex.EncodeToString(rnd[:])+".sock")
	if len(name) > maxSunPath {
		return p
	}
	return name
}

// checkUnixPath refuses to start on a path that holds anything but a dead
// socket: absent is fine, a socket nobody answers on is stale, a live broker
// or a non-socket is an error. Nothing is deleted here.
func checkUnixPath(p string) error {
	fi, err := os.Lstat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if fi.Mode()&fs.ModeSocket == 0 {
		return ErrNotSocket
	}
	c, err := net.DialTimeout("unix", p, time.Second)
	if err == nil {
		_ = c.Close()
		return ErrSocketInUse
	}
	if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ENOENT) {
		return nil // stale socket file: replaced atomically by the rename
	}
	return err
}

// precheck finds the usual start-up failures before gnet binds anything
// (gnet leaks the listeners it already opened when a later one fails).
func (ls *listenerState) precheck() error {
	if ls.kind == bus.KindLocalIPC {
		if err := checkUnixPath(ls.path); err != nil {
			return fmt.Errorf("bind %s: %w", ls.cfg.Addr, errnoOf(err))
		}
		// binding needs write and search permission on the directory
		if err := unix.Access(filepath.Dir(ls.path), unix.W_OK|unix.X_OK); err != nil {
			return fmt.Errorf("bind %s: %w", ls.cfg.Addr, errnoOf(err))
		}
		if ls.bindPath != ls.path {
			// the private name must be free too (it never is in practice)
			if _, err := os.Lstat(ls.bindPath); err == nil {
				return fmt.Errorf("bind %s: %s exists: %w", ls.cfg.Addr, ls.bindPath, fs.ErrExist)
			}
		}
		return nil
	}
	l, err := net.Listen("tcp", ls.cfg.Addr)
	if err != nil {
		return fmt.Errorf("bind %s: %w", ls.cfg.Addr, errnoOf(err))
	}
	return l.Close()
}

// errnoOf returns the system error inside err (so messages read "bind
// 127.0.0.1:9924: address already in use"), or err itself.
func errnoOf(err error) error {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno
	}
	return err
}

// publish moves the bound socket from its private name onto the user's
// path (atomically replacing a stale socket) and records its identity so
// shutdown removes only our own file.
func (ls *listenerState) publish() error {
	if ls.kind != bus.KindLocalIPC {
		return nil
	}
	if ls.bindPath != ls.path {
		if err := checkUnixPath(ls.path); err != nil {
			return fmt.Errorf("bind %s: %w", ls.cfg.Addr, err)
		}
		if err := os.Rename(ls.bindPath, ls.path); err != nil {
			return fmt.Errorf("bind %s: %w", ls.cfg.Addr, err)
		}
		ls.renamed = true
	}
	var st unix.Stat_t
	if err := unix.Lstat(ls.path, &st); err != nil {
		return fmt.Errorf("bind %s: %w", ls.cfg.Addr, err)
	}
	ls.dev, ls.ino = st.Dev, st.Ino
	return nil
}

// resolveTCP records the real listening address (port 0 → the kernel's
// choice) from a duplicate of gnet's listener descriptor.
func (ls *listenerState) resolveTCP(fd int) error {
	defer unix.Close(fd)
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return err
	}
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		ls.tcpIP, ls.tcpPort = netip.AddrFrom4(a.Addr), a.Port
	case *unix.SockaddrInet6:
		ls.tcpIP, ls.tcpPort = netip.AddrFrom16(a.Addr), a.Port
	default:
		return fmt.Errorf("unexpected listener address %T", sa)
	}
	ls.addr = net.TCPAddrFromAddrPort(netip.AddrPortFrom(ls.tcpIP, uint16(ls.tcpPort)))
	return nil
}

// removeSocket deletes the socket file at path if it is still the one this
// listener created (same device and inode, still a socket). It never
// deletes anything else. Safe to call more than once.
func (ls *listenerState) removeSocket() {
	if ls.kind != bus.KindLocalIPC {
		return
	}
	if ls.ino != 0 {
		var st unix.Stat_t
		if unix.Lstat(ls.path, &st) == nil && st.Dev == ls.dev && st.Ino == ls.ino && st.Mode&unix.S_IFMT == unix.S_IFSOCK {
			_ = os.Remove(ls.path)
		}
		ls.ino = 0
	}
	if !ls.renamed && ls.bindPath != ls.path {
		// start failed before the rename: the private name is ours
		if fi, err := os.Lstat(ls.bindPath); err == nil && fi.Mode()&fs.ModeSocket != 0 {
			_ = os.Remove(ls.bindPath)
		}
	}
}

// matches reports whether an accepted socket's local address belongs to
// this listener.
func (ls *listenerState) matches(sa unix.Sockaddr) bool {
	switch a := sa.(type) {
	case *unix.SockaddrUnix:
		return ls.kind == bus.KindLocalIPC && a.Name == ls.bindPath
	case *unix.SockaddrInet4:
		if ls.kind != bus.KindTCP || a.Port != ls.tcpPort {
			return false
		}
		ip := netip.AddrFrom4(a.Addr)
		return ls.tcpIP.IsUnspecified() || ls.tcpIP.Unmap() == ip
	case *unix.SockaddrInet6:
		if ls.kind != bus.KindTCP || a.Port != ls.tcpPort {
			return false
		}
		ip := netip.AddrFrom16(a.Addr).Unmap()
		return ls.tcpIP.IsUnspecified() || ls.tcpIP.Unmap() == ip
	}
	return false
}
