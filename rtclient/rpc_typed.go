package rtclient

import (
	"context"

	"github.com/tinylib/msgp/msgp"

	"github.com/busrt-go/busrt/proto"
)

// Typed helpers: params and results are encoded and decoded by
// msgp-generated codecs (gen's types, or any type with msgp methods), with
// no reflection. The type parameters keep value types unboxed, so encoding
// into the pooled buffer allocates nothing.

// Empty encodes to no bytes at all: the params of methods that require
// empty params, such as the `.broker` API's test, info and stats.
type Empty struct{}

// MarshalMsg appends nothing. It implements msgp.Marshaler.
func (Empty) MarshalMsg(b []byte) ([]byte, error) { return b, nil }

// CallMsg calls method on target with params encoded by their MarshalMsg
// and decodes the reply into result with its UnmarshalMsg. Errors are
// *RPCError: those of RPC.Call, -32603 when params cannot be encoded,
// -32700 when the reply cannot be decoded. Safe from any goroutine.
func CallMsg[P msgp.Marshaler, R msgp.Unmarshaler](ctx context.Context, r *RPC, target, method string, params P, result R, qos proto.QoS) error {
	j := joinPool.Get().(*joined)
	defer putJoined(j)
	var err error
	if j.b, err = params.MarshalMsg(j.b[:0]); err != nil {
		return &RPCError{Code: proto.RPCErrInternal, Data: []byte(err.Error()), err: err}
	}
	rep, err := r.Call(ctx, target, method, j.b, qos)
	if err != nil {
		return err
	}
	_, err = result.UnmarshalMsg(rep.Data)
	rep.Release()
	if err != nil {
		return &RPCError{Code: proto.RPCErrParse, Data: []byte(err.Error()), err: err}
	}
	return nil
}

// Call0Msg is RPC.Call0 with params encoded by their MarshalMsg. Safe from
// any goroutine.
func Call0Msg[P msgp.Marshaler](ctx context.Context, r *RPC, target, method string, params P, qos proto.QoS) error {
	j := joinPool.Get().(*joined)
	defer putJoined(j)
	var err error
	if j.b, err = params.MarshalMsg(j.b[:0]); err != nil {
		return err
	}
	return r.Call0(ctx, target, method, j.b, qos)
}

// NotifyMsg is RPC.Notify with data encoded by its MarshalMsg. Safe from any
// goroutine.
func NotifyMsg[P msgp.Marshaler](ctx context.Context, r *RPC, target string, data P, qos proto.QoS) error {
	j := joinPool.Get().(*joined)
	defer putJoined(j)
	var err error
	if j.b, err = data.MarshalMsg(j.b[:0]); err != nil {
		return err
	}
	return r.Notify(ctx, target, j.b, qos)
}

// DecodeParams decodes a request's params into dst with its UnmarshalMsg.
// A failure is an *RPCError with code -32602 (invalid params) and the
// decoder's message, ready to be returned by a CallHandler.
func DecodeParams[T msgp.Unmarshaler](ev *Event, dst T) error {
	if _, err := dst.UnmarshalMsg(ev.Payload); err != nil {
		return &RPCError{Code: proto.RPCErrInvalidParams, Data: []byte(err.Error()), err: err}
	}
	return nil
}

// EncodeResult encodes v with its MarshalMsg into ev's reusable buffer, for
// a CallHandler to return. A failure is an *RPCError with code -32603.
func EncodeResult[T msgp.Marshaler](ev *Event, v T) ([]byte, error) {
	b, err := v.MarshalMsg(ev.Buffer())
	if err != nil {
		return nil, &RPCError{Code: proto.RPCErrInternal, Data: []byte(err.Error()), err: err}
	}
	return b, nil
}
