// Package bus is the BUS/RT broker core: the client registry, name rules,
// secondaries, routing of messages, broadcasts and publications, QoS
// acknowledgements, per-client queue limits, announcements, the AAA security
// model, statistics, the built-in `.broker` RPC service and embedded
// (in-process) clients.
//
// It has no sockets in it and never imports netloop or gnet: a transport
// hands decoded frames to Client.Process and receives outgoing frames through
// the Sink it registered the client with.
package bus
