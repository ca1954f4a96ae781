package gen

// The codecs of the types in this file are generated into types_gen.go:
//
//   - -tests=false: the package's own tests check the exact bytes instead.
//   - -io=false: only the []byte codecs (MarshalMsg, UnmarshalMsg, Msgsize)
//     are generated; nothing uses the streaming ones (EncodeMsg, DecodeMsg
//     over msgp.Writer/msgp.Reader).
//   - clearomitted: a decode into a reused value clears the `omitzero` fields
//     that the input does not carry (Announcement.D), instead of keeping the
//     previous value.
//   - ClientListParams gets only the generated encoder; its decoder is
//     hand-written in params.go because upstream also accepts a positional
//     array, which the generator cannot express.
//   - ClientList gets only the generated encoder; its decoder is
//     hand-written in clientlist.go because the generated one allocates the
//     whole slice from the declared array length before reading any element
//     (5 bytes of input could ask for gigabytes).
//   - Str and NilStr are declared in str.go, outside this file, so the
//     generator treats them as foreign types and calls their hand-written
//     methods (msgp v1.6.5 needs no //msgp:shim for a type that implements
//     its interfaces).

//go:generate go tool msgp -file=types.go -o=types_gen.go -tests=false -io=false

//msgp:clearomitted
//msgp:unmarshal ignore ClientListParams
//msgp:unmarshal ignore ClientList

// OK is the reply of `.broker` `test`: `{"ok": true}` = 81 a2 6f 6b c3.
type OK struct {
	Ok bool `msg:"ok"` // always true in the broker's reply
}

// BrokerInfo is the reply of `.broker` `info` (RPC.md §6).
type BrokerInfo struct {
	Author  Str `msg:"author"`  // copyright line of the broker
	Version Str `msg:"version"` // MAJOR.MINOR.PATCH of the broker
}

// Stats is the reply of `.broker` `stats` (RPC.md §6, ROUTING.md §11).
type Stats struct {
	Uptime  uint64 `msg:"uptime"`   // whole seconds since the broker started
	RFrames uint64 `msg:"r_frames"` // frames the broker's clients sent (routed)
	RBytes  uint64 `msg:"r_bytes"`  // data bytes of those frames
	WFrames uint64 `msg:"w_frames"` // frames handed to receivers
	WBytes  uint64 `msg:"w_bytes"`  // data bytes of those frames
}

// ClientInfo is one entry of the `.broker` `client.list` reply (RPC.md §6).
// Keys are written in this exact order.
type ClientInfo struct {
	Name      Str    `msg:"name"`      // full client name
	Kind      Str    `msg:"kind"`      // internal, local_ipc, tcp or websocket
	Source    NilStr `msg:"source"`    // peer ip:port (tcp, websocket), else nil
	Port      NilStr `msg:"port"`      // listener bind string; "" for pre-connected streams; nil for embedded
	RFrames   uint64 `msg:"r_frames"`  // frames this client sent
	RBytes    uint64 `msg:"r_bytes"`   // data bytes this client sent
	WFrames   uint64 `msg:"w_frames"`  // frames delivered to this client
	WBytes    uint64 `msg:"w_bytes"`   // data bytes delivered to this client
	Queue     uint64 `msg:"queue"`     // frames currently queued to this client
	Instances uint64 `msg:"instances"` // 1 + number of registered secondaries
}

// ClientList is the reply of `.broker` `client.list`: primary clients
// sorted by name, byte-wise ascending.
//
// Decoding into a reused ClientList reuses the Clients backing array and the
// buffers of each entry's strings. A key missing from an entry keeps that
// entry's previous value (upstream always sends every key).
type ClientList struct {
	Clients []ClientInfo `msg:"clients"` // the listed clients
}

// Announcement is the payload of a broker announcement on `.broker/info`
// (`reg`, `unreg`) or `.broker/warn` (`shutdown`), ROUTING.md §12.
//
// Decoding a payload without `d` into a reused value sets D to an empty Str
// (the generated clearomitted code assigns Str{}, so D's buffer is dropped
// and the next decode of a `d` allocates once).
type Announcement struct {
	S Str    `msg:"s"`          // subject: reg, unreg, shutdown or custom
	D Str    `msg:"d,omitzero"` // data (the client name); the key is omitted when empty
	T uint64 `msg:"t"`          // wall-clock time, ns since the UNIX epoch
}

// ClientListParams are the params of `.broker` `client.list`.
//
// Encoding (generated) writes a map: `{"filter": "…"}` when Filter is valid,
// the empty map 80 when it is not (upstream accepts both). Decoding
// (hand-written, params.go) follows upstream's rmp-serde: a map (unknown keys
// ignored, missing or nil filter = none) or a positional array `[filter]`.
type ClientListParams struct {
	Filter NilStr `msg:"filter,omitzero"` // regular expression matched against client names; nil = no filter
}
