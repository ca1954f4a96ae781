// Package proto owns the BUS/RT wire format, version 1: constants, the
// handshake, the 9-byte client header and 6-byte broker header, zero-copy
// splitting of frame data, Append* encoders into caller-owned buffers and the
// RPC event layout that rides inside direct messages.
//
// It never does I/O, never starts goroutines and never allocates per frame:
// decoders return views into their input, encoders append to a caller's
// []byte. Every function is safe to call from any goroutine.
package proto
