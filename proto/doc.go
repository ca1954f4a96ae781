// Package proto owns the BUS/RT wire format, version 1: constants, the
// handshake, the 9-byte client header and 6-byte broker header, zero-copy
// splitting of frame data, Append* encoders into caller-owned buffers and the
// RPC event layout that rides inside direct messages.
//
// It never does I/O, never starts goroutines and never allocates per frame:
// decoders return views into their input, encoders append to a caller's
// []byte, and the handshake is two small state machines (ServerHandshake,
// ClientHandshake) that are fed bytes and say what to write back. Malformed
// input is reported as a preallocated *MalformedError that says what was
// wrong; decoders never panic and never look past len(input). The maximum
// frame size is a parameter of the frame readers, not a constant.
//
// Every function is safe to call from any goroutine; the handshake machines
// are values owned by one connection.
package proto
