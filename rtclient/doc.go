// Package rtclient is the Go client of the BUS/RT bus and its RPC layer.
//
// It owns everything a bus participant needs: connecting to a broker over a
// UNIX or TCP socket (SocketClient: handshake, one reader goroutine, TTL
// buffered writes, QoS acknowledgements, keep-alive pings), the same client
// surface over an in-process bus.EmbeddedClient (EmbeddedClient), and the RPC
// convention that rides inside direct messages (RPC: calls, replies, error
// replies, notifications, handler dispatch, typed msgpack helpers and the
// `.broker` API). Code written against the Client interface runs unchanged
// in-process or over a socket.
//
// It never reconnects by itself, never interprets publications or
// broadcasts, and never depends on the broker's internals: the embedded
// adapter uses bus's public API only.
//
// # Getting started
//
// Dial connects to a broker ("/tmp/busrt.sock", "127.0.0.1:9924");
// RegisterEmbedded joins a *bus.Broker in the same process; both results
// implement Client. NewRPC turns a Client into an RPC endpoint: Call, Call0 and
// Notify, Handle for serving, and the typed helpers CallMsg, DecodeParams
// and EncodeResult for msgp-generated types. The package's examples run in
// the tests; docs/rpc.md in the repository is the guide.
//
// # Buffer ownership
//
// Incoming frames are pooled. A *Frame received from Client.Frames, or
// handed to a handler installed with Client.SetHandler, belongs to the
// receiver until it calls Release; after Release its slices must not be
// touched. RPC handlers may use the *Event they are given only until they
// return (copy what you keep); the RPC layer releases it afterwards. A
// *Reply returned by RPC.Call belongs to the caller until Reply.Release.
// Not releasing only costs garbage.
//
// # Acknowledgements and contexts
//
// Every blocking method takes a context. An operation sent with a QoS that
// requests an acknowledgement (Processed, RealtimeProcessed) returns when the
// broker's ACK arrives, carrying its result code as a *proto.Error (nil for
// OK); with the other QoS it returns once the frame is queued for writing and
// broker errors are silent, as on the wire. The context bounds the wait for
// the ACK; the socket write itself is bounded by Config.Timeout, because a
// frame abandoned half-way would break the stream (PROTOCOL.md §11): a
// failed or timed-out write marks the client disconnected. When the
// connection is lost, every waiting call returns an error wrapping
// ErrDisconnected; nothing waits for ever.
//
// # Concurrency
//
// Every method of SocketClient, EmbeddedClient and RPC is safe from any
// goroutine unless its comment says otherwise. Frames, Reply and Event values
// are owned by one goroutine at a time.
package rtclient
