package rtclient

import (
	"context"
	"errors"
	"strconv"

	"github.com/busrt-go/busrt/proto"
)

// RPCError is an RPC error: an error reply from the callee (code and data
// as received), or a failure of the call itself reported, as upstream
// does, with a bus-derived code -32000 − bus code (RPC.md §3.2): -32113 for
// an unknown target, -32120 for a timeout, -32255 for a lost connection.
//
// busrt-go maps result bytes correctly (0x78 → -32120, 0xFF → -32255);
// upstream's Rust clients report -32116 ("other") for both, see
// proto.UpstreamRPCCodeFromBus.
type RPCError struct {
	Code int16  // JSON-RPC-like (-32700 ... -32001) or bus-derived code
	Data []byte // error data; conventionally a UTF-8 message; may be empty
	err  error  // local cause, for errors.Is / errors.As
}

// Predefined error replies for handlers (no data). Handlers may return them
// as they are; they are never modified.
var (
	ErrParse          = &RPCError{Code: proto.RPCErrParse}          // -32700: params could not be decoded
	ErrInvalidRequest = &RPCError{Code: proto.RPCErrInvalidRequest} // -32600
	ErrMethodNotFound = &RPCError{Code: proto.RPCErrMethodNotFound} // -32601: unknown method
	ErrInvalidParams  = &RPCError{Code: proto.RPCErrInvalidParams}  // -32602: unexpected or invalid params
	ErrInternal       = &RPCError{Code: proto.RPCErrInternal}       // -32603: handler failure
	ErrNotFound       = &RPCError{Code: proto.RPCErrNotFound}       // -32001: unknown object
)

// errBadMethodName is the callee's reply to a method name that is not
// UTF-8 (bus code DATA, RPC.md §2).
var errBadMethodName = &RPCError{Code: proto.RPCCodeFromBus(proto.CodeData)}

// NewRPCError returns an error reply with code and data (data is kept, not
// copied).
func NewRPCError(code int16, data []byte) *RPCError {
	return &RPCError{Code: code, Data: data}
}

// Error returns "rtclient: RPC error CODE" followed by ": DATA" when there
// is data, or else by ": CAUSE" for a local failure.
func (e *RPCError) Error() string {
	s := "rtclient: RPC error " + strconv.Itoa(int(e.Code))
	switch {
	case len(e.Data) > 0:
		s += ": " + string(e.Data)
	case e.err != nil:
		s += ": " + e.err.Error()
	}
	return s
}

// Unwrap returns the local cause (an ACK's *proto.Error, ErrDisconnected,
// context.DeadlineExceeded, ErrReplyTimeout...), or nil for a reply.
func (e *RPCError) Unwrap() error { return e.err }

// Is makes errors.Is match any *RPCError with the same code, so that
// errors.Is(err, rtclient.ErrMethodNotFound) works.
func (e *RPCError) Is(target error) bool {
	t, ok := target.(*RPCError)
	return ok && t.Code == e.Code
}

// RPCCode returns the RPC error code that describes err: its own code for
// an *RPCError, -32000 − code for a bus result (*proto.Error), -32255 for a
// lost or closed connection, -32120 for a timeout, -32602 for ErrTooLarge,
// -32603 (internal) for anything else, 0 for nil.
func RPCCode(err error) int16 {
	switch e := err.(type) {
	case nil:
		return 0
	case *RPCError:
		return e.Code
	case *proto.Error:
		return proto.RPCCodeFromBus(e.Code)
	}
	var re *RPCError
	if errors.As(err, &re) {
		return re.Code
	}
	var pe *proto.Error
	switch {
	case errors.As(err, &pe):
		return proto.RPCCodeFromBus(pe.Code)
	case errors.Is(err, ErrDisconnected), errors.Is(err, ErrClosed):
		return proto.RPCCodeFromBus(proto.CodeEOF)
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, ErrReplyTimeout):
		return proto.RPCCodeFromBus(proto.CodeTimeout)
	case errors.Is(err, ErrTooLarge):
		return proto.RPCErrInvalidParams
	}
	return proto.RPCErrInternal
}

// callError turns a local failure of a call into an *RPCError.
func callError(err error) *RPCError {
	if re, ok := err.(*RPCError); ok {
		return re
	}
	return &RPCError{Code: RPCCode(err), err: err}
}

// replyError returns the code and data of the error reply for a handler's
// error: an *RPCError as it is, a bus result as -32000 − code, anything
// else as -32603 with the error's text.
func replyError(err error) (int16, []byte) {
	switch e := err.(type) {
	case *RPCError:
		return e.Code, e.Data
	case *proto.Error:
		return proto.RPCCodeFromBus(e.Code), nil
	}
	var re *RPCError
	if errors.As(err, &re) {
		return re.Code, re.Data
	}
	var pe *proto.Error
	if errors.As(err, &pe) {
		return proto.RPCCodeFromBus(pe.Code), nil
	}
	return proto.RPCErrInternal, []byte(err.Error())
}
