// Package netloop is the socket transport of the BUS/RT broker: one gnet
// engine serving any number of UNIX and TCP listeners.
//
// It owns everything between the kernel and the broker core: the listeners
// (safe handling of UNIX socket paths, connection caps), the server side of
// the handshake (PROTOCOL.md §4), frame decoding straight from gnet's input
// buffers (Peek/Discard, no copy, no allocation ahead of the bytes that
// arrived), the per-connection output buffers with QoS-aware flushing and
// frame-counted queue limits, keep-alive pings, idle, body and write-stall
// timeouts, and the graceful shutdown sequence.
//
// It never holds routing rules: every decoded frame goes to bus
// (Client.Process), and every frame the broker sends comes back through the
// bus.Sink that netloop registers for the connection. netloop never decides
// who receives what, which result code a frame deserves, or whether a name
// is acceptable.
//
// Usage:
//
//	b := bus.New(bus.Config{Timeout: 5 * time.Second})
//	srv, err := netloop.New(b, netloop.Config{Binds: []netloop.Listener{
//		{Addr: "/tmp/busrt.sock"}, {Addr: "127.0.0.1:9924"},
//	}})
//	if err != nil { ... }     // a bad configuration; nothing is bound yet
//	err = srv.Start()         // bound and accepting, or the first error
//	...
//	err = srv.Shutdown(ctx)   // announce shutdown, flush clients, close
//
// Run with GOMAXPROCS of at least Config.Loops+1 (see Config.Loops).
// netloop builds on Linux (where it is tested) and FreeBSD only.
//
// Threading: a connection is read and written only by the gnet event loop
// that owns it. Other goroutines (other loops routing, the `.broker`
// service, embedded clients) append to the connection's pending buffer under
// its lock and ring the owning loop's doorbell (one byte on a socketpair
// enrolled in that loop) at most once per read batch. The lock order is:
// conn.mu, then loop.inboxMu; neither is held while calling into bus or
// gnet.
package netloop
