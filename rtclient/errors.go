package rtclient

import "errors"

// Errors of the client. Match them with errors.Is; errors of a broker ACK
// are *proto.Error values (errors.Is(err, proto.CodeNotRegistered.Err())).
var (
	// ErrClosed is returned by operations on a client after Close.
	ErrClosed = errors.New("rtclient: client closed")
	// ErrDisconnected is wrapped by every error caused by the loss of the
	// connection (EOF, read or write failure, broker gone). Err says why.
	ErrDisconnected = errors.New("rtclient: disconnected from the broker")
	// ErrBrokenFrame is wrapped when a write failed or timed out part-way
	// through a frame: the stream cannot be resynchronised, so the client
	// is disconnected (PROTOCOL.md §11).
	ErrBrokenFrame = errors.New("rtclient: frame half-written, connection broken")
	// ErrWebSocket is returned for ws:// and wss:// addresses.
	ErrWebSocket = errors.New("rtclient: WebSocket (ws://, wss://) is not supported; connect to a UNIX socket path or a TCP host:port")
	// ErrTooLarge is returned for a frame whose data does not fit the
	// protocol's u32 length field (PROTOCOL.md §10); nothing is sent.
	ErrTooLarge = errors.New("rtclient: frame data longer than 4294967295 bytes")
	// ErrNotPrimary is returned by RegisterSecondary on a secondary client.
	ErrNotPrimary = errors.New("rtclient: not a primary client")
	// ErrReplyTimeout is wrapped by the *RPCError of a call whose reply did
	// not arrive within RPCConfig.Timeout.
	ErrReplyTimeout = errors.New("rtclient: RPC reply timed out")
	// ErrInvalidMethod is returned for an RPC method name that contains a
	// 00 byte (the callee would cut it there).
	ErrInvalidMethod = errors.New("rtclient: RPC method name contains a 00 byte")
)
