package benchmarks

import (
	"fmt"
	"slices"
	"strings"
)

// Stage names. The first seven are upstream's, in its execution order.
const (
	StageRPCCall          = "rpc.call"
	StageRPCCallHandle    = "rpc.call+handle"
	StageRPCCall0         = "rpc.call0"
	StageSendNo           = "send.qos.no"
	StageSendProcessed    = "send.qos.processed"
	StageSendRecvNo       = "send+recv.qos.no"
	StageSendRecvProc     = "send+recv.qos.processed"
	StageLatency          = "latency.rtt"
	StageRawLatency       = "raw.latency.rtt"
	StageRawSendProc      = rawPrefix + StageSendProcessed
	StageLeanSendProc     = leanPrefix + StageSendProcessed
	fanoutPrefix          = "pubsub.fanout."
	rawPrefix             = "raw."
	leanPrefix            = "lean."
	groupUpstream         = "upstream"
	groupExtra            = "extra"
	groupAll              = "all"
	defaultStageSelection = groupUpstream
)

// FanoutSizes are the subscriber counts of the fan-out stages.
var FanoutSizes = []int{1, 10, 100}

// UpstreamStages are upstream's seven stages in execution order: the RPC
// phase, then the raw-client phase.
var UpstreamStages = []string{
	StageRPCCall, StageRPCCallHandle, StageRPCCall0,
	StageSendNo, StageSendProcessed, StageSendRecvNo, StageSendRecvProc,
}

// ExtraStages are the stages upstream lacks, in execution order: fan-out
// through the broker, the same over raw sockets, the latency pair, then the
// request/response ceiling pair (send.qos.processed's traffic over raw
// sockets with no broker, and from a minimal epoll client through the
// broker).
var ExtraStages = extraStages()

func extraStages() []string {
	var s []string
	for _, n := range FanoutSizes {
		s = append(s, FanoutStage(n))
	}
	for _, n := range FanoutSizes {
		s = append(s, rawPrefix+FanoutStage(n))
	}
	return append(s, StageLatency, StageRawLatency, StageRawSendProc, StageLeanSendProc)
}

// FanoutStage is the name of the fan-out stage with n subscribers.
func FanoutStage(n int) string { return fmt.Sprintf("%s%d", fanoutPrefix, n) }

// stageSet is a selection of stages.
type stageSet map[string]bool

// parseStages turns a --stages value into a set: a comma-separated list of
// groups (upstream, extra, all) and stage names.
func parseStages(spec string) (stageSet, error) {
	if strings.TrimSpace(spec) == "" {
		spec = defaultStageSelection
	}
	set := stageSet{}
	for _, item := range strings.Split(spec, ",") {
		item = strings.TrimSpace(item)
		switch {
		case item == groupUpstream:
			set.add(UpstreamStages...)
		case item == groupExtra:
			set.add(ExtraStages...)
		case item == groupAll:
			set.add(UpstreamStages...)
			set.add(ExtraStages...)
		case slices.Contains(UpstreamStages, item), slices.Contains(ExtraStages, item):
			set.add(item)
		default:
			return nil, fmt.Errorf("unknown stage %q in --stages: want upstream, extra, all or stage names (%s, %s)",
				item, strings.Join(UpstreamStages, ", "), strings.Join(ExtraStages, ", "))
		}
	}
	return set, nil
}

func (s stageSet) add(names ...string) {
	for _, n := range names {
		s[n] = true
	}
}

// any reports whether at least one of names is selected.
func (s stageSet) any(names ...string) bool {
	for _, n := range names {
		if s[n] {
			return true
		}
	}
	return false
}
