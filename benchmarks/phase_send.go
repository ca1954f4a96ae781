package benchmarks

import (
	"context"
	"fmt"

	"github.com/busrt-go/busrt/proto"
	"github.com/busrt-go/busrt/rtclient"
)

// Phase 2 (SERVER_AND_CLI.md §3.3): W new plain clients with the names of
// phase 1 (registration retried while the broker reports BUSY), every
// incoming queue drained before each stage, then send.qos.no,
// send.qos.processed, send+recv.qos.no and send+recv.qos.processed. The
// "processed" stages use QoS RealtimeProcessed, as upstream does.

func (r *runner) sendPhase(ctx context.Context) error {
	if !r.sel.any(StageSendNo, StageSendProcessed, StageSendRecvNo, StageSendRecvProc) {
		return nil
	}
	names := workerNames(r.o.Name, r.o.Workers)
	clients, err := r.dialAll(ctx, names)
	if err != nil {
		return err
	}
	defer closeAll(clients, r.o.Timeout)
	perWorker := r.o.Iters / int64(r.o.Workers)

	// send returns the sending task of worker k: perWorker messages to
	// target with qos, waiting for each ACK when qos requests one.
	send := func(k int, target string, qos proto.QoS, ackOK bool) task {
		c := clients[k]
		return func(ctx context.Context, done *counter) error {
			for range perWorker {
				err := c.Send(ctx, target, r.payload, qos)
				if !ackOK {
					err = ignoreNotRegistered(err)
				}
				if err != nil {
					return fmt.Errorf("%s: send to %s: %w", names[k], target, err)
				}
				done.n.Add(1)
			}
			return nil
		}
	}
	stages := []struct {
		name string
		qos  proto.QoS
		recv bool // send to itself and receive, instead of to NAME-k-null
	}{
		{StageSendNo, proto.QoSNo, false},
		{StageSendProcessed, proto.QoSRealtimeProcessed, false},
		{StageSendRecvNo, proto.QoSNo, true},
		{StageSendRecvProc, proto.QoSRealtimeProcessed, true},
	}
	for _, st := range stages {
		if !r.sel[st.name] {
			continue
		}
		for _, c := range clients {
			drain(c)
		}
		var tasks []task
		for k, c := range clients {
			if !st.recv {
				tasks = append(tasks, send(k, names[k]+"-null", st.qos, false))
				continue
			}
			tasks = append(tasks, send(k, names[k], st.qos, true), receive(c, perWorker))
		}
		if _, err := r.runStage(ctx, stage{name: st.name, iters: r.o.Iters, tasks: tasks, want: perWorker * int64(len(tasks))}); err != nil {
			return err
		}
	}
	return nil
}

// receive returns the receiving task of a send+recv stage: n frames from
// c's incoming queue.
func receive(c rtclient.Client, n int64) task {
	return func(ctx context.Context, done *counter) error { return recvFrames(ctx, c, n, done) }
}
