package rtclient

import (
	"context"

	"github.com/busrt-go/busrt/proto"
)

// Client is the surface shared by SocketClient and EmbeddedClient, so that
// code written against it runs in-process or over a socket unchanged. Every
// method is safe from any goroutine.
//
// Sending methods wait for the broker's ACK when qos requests one
// (Processed, RealtimeProcessed) and return its code as a *proto.Error (nil
// for OK); with QoS No or Realtime they return once the frame is queued and
// the broker reports nothing.
type Client interface {
	// Name returns the client's full registered name.
	Name() string
	// Send sends a direct message to the exact (full) target name.
	Send(ctx context.Context, target string, payload []byte, qos proto.QoS) error
	// SendZC sends a direct message whose payload is header followed by
	// payload, without concatenating them first (upstream's zero-copy
	// send; on the wire it is an ordinary MESSAGE).
	SendZC(ctx context.Context, target string, header, payload []byte, qos proto.QoS) error
	// SendAsync is SendZC that does not wait for the ACK: qos goes on
	// the wire as given, and when it requests an ACK, ack (if not nil)
	// receives the ACK's code with tag, once, on the client's reader
	// goroutine (in-process: before SendAsync returns). If the
	// connection is lost first, ack is not called: watch Done. The RPC
	// layer sends calls (ack = the RPC) and replies (ack = nil) with it.
	SendAsync(ctx context.Context, target string, header, payload []byte, qos proto.QoS, ack AckHandler, tag uint32) error
	// Broadcast sends payload to every client whose name matches mask
	// (`.` segments, `?` and `*` wildcards).
	Broadcast(ctx context.Context, mask string, payload []byte, qos proto.QoS) error
	// Publish publishes payload on topic.
	Publish(ctx context.Context, topic string, payload []byte, qos proto.QoS) error
	// PublishFor publishes payload on topic for the subscribers whose
	// primary name is receiver.
	PublishFor(ctx context.Context, topic, receiver string, payload []byte, qos proto.QoS) error
	// Subscribe subscribes to the topic patterns in one frame. No topics
	// means the single empty topic "", as upstream sends it.
	Subscribe(ctx context.Context, qos proto.QoS, topics ...string) error
	// Unsubscribe removes topic patterns (see Subscribe for no topics).
	Unsubscribe(ctx context.Context, qos proto.QoS, topics ...string) error
	// Exclude adds exclusion patterns (see Subscribe for no topics).
	Exclude(ctx context.Context, qos proto.QoS, topics ...string) error
	// Unexclude removes exclusion patterns (see Subscribe for no topics).
	Unexclude(ctx context.Context, qos proto.QoS, topics ...string) error
	// Ping sends a keep-alive to the broker (a no-op in-process).
	Ping(ctx context.Context) error
	// Frames returns the queue of incoming frames, used while no handler
	// is set. The receiver owns each *Frame until it calls Release. The
	// channel is closed when the client stops. While it is full the
	// client's reader waits, and ACKs wait with it: keep reading it (or
	// set a handler).
	Frames() <-chan *Frame
	// SetHandler makes the client hand every incoming frame to h, on its
	// reader goroutine, instead of queueing it on Frames; frames still
	// queued are handed to h before the next new one. h owns each frame it is given, exactly
	// as a receiver from Frames does (Release it when done), and must not
	// block for long: ACKs are read by the same goroutine. nil restores
	// the queue.
	SetHandler(h func(*Frame))
	// RegisterSecondary registers a new secondary client NAME%%N (N = 0,
	// 1, ... per primary) with the same settings.
	RegisterSecondary(ctx context.Context) (Client, error)
	// IsConnected reports whether the client is registered and usable
	// (upstream's connection beacon).
	IsConnected() bool
	// Done is closed when the client has stopped (Close, or connection
	// lost); Err then says why.
	Done() <-chan struct{}
	// Err returns nil while connected, ErrClosed after Close, or an error
	// wrapping ErrDisconnected.
	Err() error
	// Close unregisters the client (closing its connection) after writing
	// what is buffered. Waiting calls return ErrClosed. Idempotent.
	Close() error
}

// AckHandler receives the result of an ACK nobody waits for (see
// Client.SendAsync). HandleAck must not block: it runs on the client's
// reader goroutine.
type AckHandler interface {
	// HandleAck receives the ACK's result code and the tag given to
	// SendAsync.
	HandleAck(tag uint32, code proto.Code)
}

// Compile-time checks that both implementations satisfy Client.
var (
	_ Client = (*SocketClient)(nil)
	_ Client = (*EmbeddedClient)(nil)
)
