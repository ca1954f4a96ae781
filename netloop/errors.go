package netloop

import "errors"

// Errors returned by Server methods. Match them with errors.Is.
var (
	// ErrNoBinds: the configuration names no listener.
	ErrNoBinds = errors.New("netloop: no listeners configured")
	// ErrSocketInUse: a live broker answers on the UNIX socket path.
	ErrSocketInUse = errors.New("netloop: socket path is in use by a live broker")
	// ErrNotSocket: something other than a socket exists at the UNIX path.
	ErrNotSocket = errors.New("netloop: path exists and is not a socket")
	// ErrUnsupportedAddr: the bind string names a transport netloop does not
	// serve (WebSocket) or cannot be used as given.
	ErrUnsupportedAddr = errors.New("netloop: unsupported bind address")
	// ErrDuplicateBind: the same bind string appears twice.
	ErrDuplicateBind = errors.New("netloop: duplicate bind address")
	// ErrStarted: Start was called twice.
	ErrStarted = errors.New("netloop: server already started")
	// ErrNotStarted: the server is not running.
	ErrNotStarted = errors.New("netloop: server not started")
)
