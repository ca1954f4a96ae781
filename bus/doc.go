// Package bus is the BUS/RT broker core: the client registry, name rules,
// secondaries, routing of messages, broadcasts and publications, QoS
// acknowledgements, per-client queue limits, announcements, the AAA security
// model, statistics, the built-in `.broker` RPC service and embedded
// (in-process) clients.
//
// It has no sockets in it and never imports netloop or gnet: a transport
// hands decoded frames to Client.Process and receives outgoing frames through
// the Sink it registered the client with.
//
// # Embedding
//
// New creates a broker (with the `.broker` service unless
// Config.NoCoreService). Broker.Register adds in-process clients
// (EmbeddedClient) whose operations route synchronously in the caller's
// goroutine and return the ACK a socket client would get; they receive on
// a channel of pooled *Delivery values that belong to the receiver until
// Release. Package netloop serves the same broker to socket clients (with
// an AAAMap per listener, if wanted), and package rtclient wraps embedded
// and socket clients in one interface with an RPC layer. The package's
// examples (Example, ExampleNewAAAMap, ExampleBroker_SetCore...) run in the
// tests; docs/embedding.md in the repository is the guide.
//
// All exported methods are safe from any goroutine unless their comment
// says otherwise.
package bus
