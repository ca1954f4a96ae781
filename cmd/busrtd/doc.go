// Command busrtd is the stand-alone BUS/RT broker: the bus core served over
// UNIX and TCP sockets by netloop, with upstream busrtd's flags
// (SERVER_AND_CLI.md §1), a FIFO command channel, a PID file, daemon mode,
// logging to stdout or syslog, and a graceful shutdown on SIGINT/SIGTERM
// that announces `.broker/warn` shutdown to every client.
//
// With no -B it listens on /tmp/busrt.sock and 127.0.0.1:9924.
//
// It holds no logic a library user would need: the broker is package bus,
// the transport is package netloop.
package main
