package proto

// rpcBusBase is the base of bus-derived RPC codes: code = base − bus byte
// (RPC.md §3.2).
const rpcBusBase = -32000

// RPCCodeFromBus returns the RPC error code for a failure with bus result c:
// -32000 − c, so 0x71 → -32113, 0x78 → -32120 (timeout), 0xFF → -32255
// (connection closed). This is busrt-go's mapping (DECISIONS.md) and what
// upstream's Python and JS clients compute. c must be an error code: CodeOK
// would give -32001, which is RPCErrNotFound.
func RPCCodeFromBus(c Code) int16 { return rpcBusBase - int16(c) }

// UpstreamRPCCodeFromBus returns the code upstream's Rust clients report for
// a bus result byte c. Their byte→error-kind mapping knows only 0x71, 0x72,
// 0x73, 0x75, 0x76, 0x77 and 0x79; every other byte, including 0x78
// (timeout) and 0xFF (EOF), becomes "Other" (0x74) and so -32116
// (PROTOCOL.md §3.5, RPC.md §3.2). busrt-go's own client does not do this; use
// it only to predict or compare with what a Rust peer reports.
func UpstreamRPCCodeFromBus(c Code) int16 {
	switch c {
	case CodeNotRegistered, CodeData, CodeIO, CodeNotSupported, CodeBusy, CodeNotDelivered, CodeAccess:
		return RPCCodeFromBus(c)
	}
	return RPCCodeFromBus(CodeOther)
}

// BusCodeFromRPC is the inverse of RPCCodeFromBus: it returns the bus result
// code an RPC error code was derived from, and false when code is not
// -32000 − (an error code of PROTOCOL.md §3.5), e.g. for the JSON-RPC-like
// codes and for -32001, which is RPCErrNotFound and not CodeOK.
func BusCodeFromRPC(code int16) (Code, bool) {
	v := rpcBusBase - int(code)
	if v <= int(CodeOK) || v > 0xFF {
		return 0, false
	}
	c := Code(v)
	if !c.Known() {
		return 0, false
	}
	return c, true
}
