package bus

import (
	"bytes"
	"regexp"
	"sort"
	"unicode/utf8"

	"github.com/busrt-go/busrt/gen"
	"github.com/busrt-go/busrt/proto"
)

// Version is busrt-go's version, reported by `.broker` `info`.
const Version = "0.1.0"

// Author is reported by `.broker` `info`.
const Author = "(c) 2026 busrt-go authors"

// coreService serves the built-in `.broker` RPC API (RPC.md §6). Calls from
// socket clients are answered inline on the routing goroutine, right after
// the request's ACK is queued (no hand-off to another thread, and upstream's
// usual order: ACK, then reply); calls from embedded clients arrive on the
// service's queue and are answered by its goroutine.
type coreService struct {
	b   *Broker
	e   *EmbeddedClient
	buf svcBuffers // the service goroutine's reused buffers
}

func startCoreService(b *Broker, e *EmbeddedClient) {
	s := &coreService{b: b, e: e}
	e.c.inline = s.handleInline
	go s.run()
}

func (s *coreService) run() {
	for d := range s.e.Frames() {
		if d.Kind == proto.KindMessage {
			s.handle(nil, d.Sender, d.Realtime, d.Payload, &s.buf)
		}
		d.Release()
	}
}

// svcBuffers are the reply buffers of one routing goroutine (kept in its
// Scratch) or of the service goroutine.
type svcBuffers struct {
	reply, body []byte
	list        gen.ClientList
	parms       gen.ClientListParams
}

func (s *coreService) handleInline(origin any, from *Client, realtime bool, payload []byte) {
	rs, pooled := getScratch(origin)
	s.handle(origin, from.name, realtime, payload, &rs.svc)
	putScratch(rs, pooled)
}

func (s *coreService) handle(origin any, sender []byte, realtime bool, payload []byte, out *svcBuffers) {
	ev, err := proto.ParseRPCEvent(payload)
	if err != nil || ev.Type != proto.RPCRequest {
		return // notifications and invalid payloads are ignored
	}
	if ev.CallID == 0 {
		return // no reply wanted, and no method has side effects
	}
	qos := proto.QoSProcessed
	if realtime {
		qos = proto.QoSRealtimeProcessed
	}
	result, code, errData := s.call(ev.Method, ev.Data, out)
	if code != 0 {
		out.reply = proto.AppendRPCError(out.reply[:0], ev.CallID, code, errData)
	} else {
		out.reply = proto.AppendRPCReply(out.reply[:0], ev.CallID, result)
	}
	s.e.sendTo(origin, sender, out.reply, qos)
}

// call runs one method; code != 0 is an RPC error with errData.
func (s *coreService) call(method, params []byte, out *svcBuffers) (result []byte, code int16, errData []byte) {
	if string(method) == "benchmark.test" {
		return params, 0, nil
	}
	if !utf8.Valid(method) {
		return nil, proto.RPCCodeFromBus(proto.CodeData), nil
	}
	switch string(method) {
	case "test":
		if len(params) > 0 {
			return nil, proto.RPCErrInvalidParams, nil
		}
		ok := gen.OK{Ok: true}
		out.body, _ = ok.MarshalMsg(out.body[:0])
	case "info":
		if len(params) > 0 {
			return nil, proto.RPCErrInvalidParams, nil
		}
		info := gen.BrokerInfo{Author: gen.Str(Author), Version: gen.Str(Version)}
		out.body, _ = info.MarshalMsg(out.body[:0])
	case "stats":
		if len(params) > 0 {
			return nil, proto.RPCErrInvalidParams, nil
		}
		st := s.b.Stats()
		out.body, _ = st.MarshalMsg(out.body[:0])
	case "client.list":
		var filter *regexp.Regexp
		if len(params) > 0 {
			if err := out.parms.UnmarshalParams(params); err != nil {
				return nil, proto.RPCErrParse, []byte(err.Error())
			}
			if out.parms.Filter.Valid {
				re, err := regexp.Compile(string(out.parms.Filter.Str))
				if err != nil {
					return nil, proto.RPCErrParse, []byte(err.Error())
				}
				filter = re
			}
		}
		out.list = s.b.ClientList(filter, out.list)
		out.body, _ = out.list.MarshalMsg(out.body[:0])
	default:
		return nil, proto.RPCErrMethodNotFound, nil
	}
	return out.body, 0, nil
}

// sendTo sends a direct message to a target given as bytes (replies go to
// the caller's full name), with the routing origin of the call it answers.
func (e *EmbeddedClient) sendTo(origin any, target, payload []byte, qos proto.QoS) {
	e.countIn(len(payload))
	rc := e.b.names.get(target)
	if rc == nil || !rc.registered.Load() {
		return
	}
	f := Frame{Kind: proto.KindMessage, Realtime: qos.IsRealtime(), Sender: e.c.name, Payload: payload}
	e.b.deliver(origin, rc, &f, uint64(len(payload)))
}

// Stats returns the broker-wide counters (ROUTING.md §11): the sum over
// registered clients plus those that left.
func (b *Broker) Stats() gen.Stats {
	st := gen.Stats{
		Uptime:  uint64(b.Uptime().Seconds()),
		RFrames: b.gone.rFrames.Load(), RBytes: b.gone.rBytes.Load(),
		WFrames: b.gone.wFrames.Load(), WBytes: b.gone.wBytes.Load(),
	}
	b.names.rangeAll(func(c *Client) bool {
		st.RFrames += c.rFrames.Load()
		st.RBytes += c.rBytes.Load()
		st.WFrames += c.wFrames.Load()
		st.WBytes += c.wBytes.Load()
		return true
	})
	return st
}

// ClientList returns the registered primaries matching filter (nil = all),
// sorted by name, as `.broker` `client.list` reports them. dst is reused.
func (b *Broker) ClientList(filter *regexp.Regexp, dst gen.ClientList) gen.ClientList {
	dst.Clients = dst.Clients[:0]
	b.regMu.Lock() // a consistent view of secondaries
	b.names.rangeAll(func(c *Client) bool {
		if c.IsSecondary() || !c.registered.Load() {
			return true
		}
		if filter != nil && !filter.Match(c.name) {
			return true
		}
		ci := gen.ClientInfo{
			Name: gen.Str(c.name), Kind: gen.Str(c.kind.String()),
			RFrames: c.rFrames.Load(), RBytes: c.rBytes.Load(),
			WFrames: c.wFrames.Load(), WBytes: c.wBytes.Load(),
			Queue: uint64(c.queued()), Instances: uint64(1 + len(c.secondaries)),
		}
		if c.kind != KindInternal {
			ci.Port = gen.NilStr{Valid: true, Str: gen.Str(c.port)}
			if c.kind != KindLocalIPC {
				ci.Source = gen.NilStr{Valid: true, Str: gen.Str(c.source)}
			}
		}
		dst.Clients = append(dst.Clients, ci)
		return true
	})
	b.regMu.Unlock()
	sort.Slice(dst.Clients, func(i, j int) bool {
		return bytes.Compare(dst.Clients[i].Name, dst.Clients[j].Name) < 0
	})
	return dst
}
