package benchmarks

import (
	"bytes"
	"context"
	"fmt"

	"github.com/busrt-go/busrt/proto"
	"github.com/busrt-go/busrt/rtclient"
)

// Phase 1 (SERVER_AND_CLI.md §3.2): W RPC clients NAME-1 … NAME-W, each
// answering `benchmark.selftest` by echoing its params (anything else:
// -32601), a warm-up spin, then rpc.call, rpc.call+handle and rpc.call0,
// all with QoS RealtimeProcessed. The connections are closed afterwards.

const (
	methodBrokerTest = "benchmark.test"     // answered by the broker's `.broker` service
	methodSelfTest   = "benchmark.selftest" // answered by the worker's own handler
	methodNull       = "test"               // call0 to the absent NAME-k-null
)

// selfTest echoes the params of a `benchmark.selftest` call.
func selfTest(_ context.Context, ev *rtclient.Event) ([]byte, error) {
	return append(ev.Buffer(), ev.Payload...), nil
}

func (r *runner) rpcPhase(ctx context.Context) error {
	if !r.sel.any(StageRPCCall, StageRPCCallHandle, StageRPCCall0) {
		return nil
	}
	names := workerNames(r.o.Name, r.o.Workers)
	clients, err := r.dialAll(ctx, names)
	if err != nil {
		return err
	}
	defer closeAll(clients, r.o.Timeout)
	rpcs := make([]*rtclient.RPC, len(clients))
	for k, c := range clients {
		rpcs[k] = rtclient.NewRPC(c, rtclient.RPCConfig{Timeout: r.o.Timeout})
		rpcs[k].Handle(methodSelfTest, selfTest)
	}
	if err := spin(ctx, r.o.Warmup); err != nil {
		return err
	}
	perWorker := r.o.Iters / int64(r.o.Workers)
	call := func(target func(k int) string, method string) []task {
		tasks := make([]task, len(rpcs))
		for k, rpc := range rpcs {
			to := target(k)
			tasks[k] = func(ctx context.Context, done *counter) error {
				for range perWorker {
					reply, err := rpc.Call(ctx, to, method, r.payload, proto.QoSRealtimeProcessed)
					if err != nil {
						return fmt.Errorf("%s: call %s %s: %w", names[k], to, method, err)
					}
					same := bytes.Equal(reply.Data, r.payload)
					reply.Release()
					if !same {
						return fmt.Errorf("%s: call %s %s: the reply differs from the params", names[k], to, method)
					}
					done.n.Add(1)
				}
				return nil
			}
		}
		return tasks
	}
	if r.sel[StageRPCCall] {
		tasks := call(func(int) string { return rtclient.BrokerTarget }, methodBrokerTest)
		if _, err := r.runStage(ctx, stage{name: StageRPCCall, iters: r.o.Iters, tasks: tasks, want: perWorker * int64(len(tasks))}); err != nil {
			return err
		}
	}
	if r.sel[StageRPCCallHandle] {
		tasks := call(func(k int) string { return names[k] }, methodSelfTest)
		if _, err := r.runStage(ctx, stage{name: StageRPCCallHandle, iters: r.o.Iters, tasks: tasks, want: perWorker * int64(len(tasks))}); err != nil {
			return err
		}
	}
	if r.sel[StageRPCCall0] {
		tasks := make([]task, len(rpcs))
		for k, rpc := range rpcs {
			null := names[k] + "-null"
			tasks[k] = func(ctx context.Context, done *counter) error {
				for range perWorker {
					err := rpc.Call0(ctx, null, methodNull, r.payload, proto.QoSRealtimeProcessed)
					if err := ignoreNotRegistered(err); err != nil {
						return fmt.Errorf("%s: call0 %s: %w", names[k], null, err)
					}
					done.n.Add(1)
				}
				return nil
			}
		}
		if _, err := r.runStage(ctx, stage{name: StageRPCCall0, iters: r.o.Iters, tasks: tasks, want: perWorker * int64(len(tasks))}); err != nil {
			return err
		}
	}
	return nil
}
