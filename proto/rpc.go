package proto

import (
	"bytes"
	"encoding/binary"
	"strconv"
)

// RPCType is byte 0 of an RPC event, the payload of a direct MESSAGE
// (RPC.md §2).
type RPCType uint8

// RPC event types.
const (
	RPCNotification RPCType = 0x00 // 00 data
	RPCRequest      RPCType = 0x01 // 01 call_id method 00 params
	RPCReply        RPCType = 0x11 // 11 call_id result
	RPCError        RPCType = 0x12 // 12 call_id code(i16) data
)

// String returns upstream's name for t.
func (t RPCType) String() string {
	switch t {
	case RPCNotification:
		return "notification"
	case RPCRequest:
		return "request"
	case RPCReply:
		return "reply"
	case RPCError:
		return "error reply"
	}
	return "rpc type(0x" + strconv.FormatUint(uint64(t), 16) + ")"
}

// JSON-RPC-like error codes (RPC.md §3.1). Bus-derived codes are computed by
// RPCCodeFromBus.
const (
	RPCErrParse          int16 = -32700 // params could not be decoded
	RPCErrInvalidRequest int16 = -32600 // defined, not produced upstream
	RPCErrMethodNotFound int16 = -32601 // unknown method, or no call handler
	RPCErrInvalidParams  int16 = -32602 // unexpected or invalid params
	RPCErrInternal       int16 = -32603 // handler failure, encode failure, I/O
	RPCErrNotFound       int16 = -32001 // unknown or expired object (cursors)
)

// Sizes of the fixed RPC event headers that precede the data. A request's
// header also holds the method and its 00 terminator: RPCRequestHeaderLen.
const (
	RPCNotificationHeaderLen = 1
	RPCReplyHeaderLen        = 5
	RPCErrorHeaderLen        = 7
	rpcRequestMinLen         = 6
)

// RPCRequestHeaderLen returns the size of `01 call_id method 00`, the part
// of a request before its params.
func RPCRequestHeaderLen(method []byte) int { return rpcRequestMinLen + len(method) }

// RPC encoders append one event, the payload of a MESSAGE, to dst. For a
// whole frame, write AppendTargetedHeader(dst, id, OpMessage, qos, target,
// n) first, where n is the event's size, and then the event. The *Header
// variants stop before the data, for a vectored write of large params.

// AppendRPCNotification appends `00 data`.
func AppendRPCNotification(dst, data []byte) []byte {
	dst = append(dst, byte(RPCNotification))
	return append(dst, data...)
}

// AppendRPCRequestHeader appends `01 call_id method 00`. callID 0 asks for no
// reply (call0).
func AppendRPCRequestHeader[S Text](dst []byte, callID uint32, method S) []byte {
	dst = append(dst, byte(RPCRequest))
	dst = binary.LittleEndian.AppendUint32(dst, callID)
	dst = append(dst, method...)
	return append(dst, 0)
}

// AppendRPCRequest appends `01 call_id method 00 params`. The method must not
// contain 00 (the callee would cut it there).
func AppendRPCRequest(dst []byte, callID uint32, method, params []byte) []byte {
	dst = AppendRPCRequestHeader(dst, callID, method)
	return append(dst, params...)
}

// AppendRPCReplyHeader appends `11 call_id`.
func AppendRPCReplyHeader(dst []byte, callID uint32) []byte {
	dst = append(dst, byte(RPCReply))
	return binary.LittleEndian.AppendUint32(dst, callID)
}

// AppendRPCReply appends `11 call_id result`; result may be empty.
func AppendRPCReply(dst []byte, callID uint32, result []byte) []byte {
	return append(AppendRPCReplyHeader(dst, callID), result...)
}

// AppendRPCErrorHeader appends `12 call_id code`, code as i16 LE.
func AppendRPCErrorHeader(dst []byte, callID uint32, code int16) []byte {
	dst = append(dst, byte(RPCError))
	dst = binary.LittleEndian.AppendUint32(dst, callID)
	return binary.LittleEndian.AppendUint16(dst, uint16(code))
}

// AppendRPCError appends `12 call_id code data`; data may be empty.
func AppendRPCError(dst []byte, callID uint32, code int16, data []byte) []byte {
	return append(AppendRPCErrorHeader(dst, callID, code), data...)
}

// RPCEvent is a decoded RPC event. Method and Data are views into the
// payload given to ParseRPCEvent.
type RPCEvent struct {
	Type   RPCType // byte 0: notification, request, reply or error reply
	CallID uint32  // request, reply, error reply; 0 in a request = no reply wanted
	Method []byte  // request only; upstream dispatchers require UTF-8
	Data   []byte  // notification data, request params, reply result or error data
	Code   int16   // error reply only
}

// NeedsReply reports whether e is a request whose caller waits for a reply
// (call id not 0).
func (e RPCEvent) NeedsReply() bool { return e.Type == RPCRequest && e.CallID != 0 }

// ParseRPCEvent decodes an RPC event with upstream's validation (RPC.md §2).
// Every failure is an error that unwraps to ErrInvalidRPCFrame and says what
// was wrong; upstream logs such a frame and drops it without a reply.
func ParseRPCEvent(payload []byte) (RPCEvent, error) {
	if len(payload) == 0 {
		return RPCEvent{}, ErrRPCEmpty
	}
	switch t := RPCType(payload[0]); t {
	case RPCNotification:
		return RPCEvent{Type: t, Data: payload[1:]}, nil
	case RPCRequest:
		if len(payload) < rpcRequestMinLen {
			return RPCEvent{}, ErrRPCShortRequest
		}
		i := bytes.IndexByte(payload[5:], 0)
		if i < 0 {
			return RPCEvent{}, ErrRPCNoMethodEnd
		}
		end := 5 + i
		return RPCEvent{
			Type:   t,
			CallID: binary.LittleEndian.Uint32(payload[1:]),
			Method: payload[5:end:end],
			Data:   payload[end+1:],
		}, nil
	case RPCReply:
		if len(payload) < RPCReplyHeaderLen {
			return RPCEvent{}, ErrRPCShortReply
		}
		return RPCEvent{Type: t, CallID: binary.LittleEndian.Uint32(payload[1:]), Data: payload[RPCReplyHeaderLen:]}, nil
	case RPCError:
		if len(payload) < RPCErrorHeaderLen {
			return RPCEvent{}, ErrRPCShortError
		}
		return RPCEvent{
			Type:   t,
			CallID: binary.LittleEndian.Uint32(payload[1:]),
			Code:   int16(binary.LittleEndian.Uint16(payload[5:])),
			Data:   payload[RPCErrorHeaderLen:],
		}, nil
	}
	return RPCEvent{}, ErrRPCUnknownType
}
