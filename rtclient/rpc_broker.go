package rtclient

import (
	"context"

	"github.com/busrt-go/busrt/gen"
	"github.com/busrt-go/busrt/proto"
)

// BrokerTarget is the name of the broker's built-in RPC service (RPC.md §6).
const BrokerTarget = ".broker"

// Typed calls of the `.broker` API, sent with QoS Processed as the upstream
// CLI does. Errors are *RPCError (see RPC.Call). All are safe from any
// goroutine.

// BrokerTest calls `test`, which answers {"ok": true}.
func (r *RPC) BrokerTest(ctx context.Context) error {
	var ok gen.OK
	if err := CallMsg(ctx, r, BrokerTarget, "test", Empty{}, &ok, proto.QoSProcessed); err != nil {
		return err
	}
	if !ok.Ok {
		return &RPCError{Code: proto.RPCErrInternal, Data: []byte("broker test reply is not ok")}
	}
	return nil
}

// BrokerInfo calls `info`: the broker's author and version.
func (r *RPC) BrokerInfo(ctx context.Context) (gen.BrokerInfo, error) {
	var info gen.BrokerInfo
	err := CallMsg(ctx, r, BrokerTarget, "info", Empty{}, &info, proto.QoSProcessed)
	return info, err
}

// BrokerStats calls `stats`: uptime and the broker-wide frame counters.
func (r *RPC) BrokerStats(ctx context.Context) (gen.Stats, error) {
	var st gen.Stats
	err := CallMsg(ctx, r, BrokerTarget, "stats", Empty{}, &st, proto.QoSProcessed)
	return st, err
}

// BrokerClientList calls `client.list`: the primary clients sorted by
// name. A non-empty filter is a regular expression the names must match
// (sent as {"filter": ...}); "" sends empty params (no filter).
func (r *RPC) BrokerClientList(ctx context.Context, filter string) (gen.ClientList, error) {
	var list gen.ClientList
	var err error
	if filter == "" {
		err = CallMsg(ctx, r, BrokerTarget, "client.list", Empty{}, &list, proto.QoSProcessed)
	} else {
		p := gen.ClientListParams{Filter: gen.NilStr{Valid: true, Str: gen.Str(filter)}}
		err = CallMsg(ctx, r, BrokerTarget, "client.list", &p, &list, proto.QoSProcessed)
	}
	return list, err
}
