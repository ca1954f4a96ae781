package proto

// NextClientFrame finds the client→broker frame at the start of b, a
// receive buffer that may hold a partial frame or several frames (gnet's
// Peek/Discard style). It never copies and never looks past len(b).
//
//   - n > 0: a whole frame of n bytes is there; data is its data (nil for a
//     ping, which has none whatever its length field says, PROTOCOL.md §5.4).
//   - n == 0, err == nil: more bytes are needed. Once the 9 header bytes are
//     there, h is filled and 9+h.Len is the size to wait for; this is also
//     when maxLen is checked, so an oversized frame is refused before its
//     body is buffered.
//   - err != nil: the stream is broken (ErrUnknownOp, ErrFrameTooLarge).
//
// maxLen > 0 bounds the data length; 0 means no limit (upstream's default).
func NextClientFrame(b []byte, maxLen uint32) (h Header, data []byte, n int, err error) {
	if len(b) < ClientHeaderSize {
		return Header{}, nil, 0, nil
	}
	h, err = DecodeHeader(b, maxLen)
	if err != nil {
		return h, nil, 0, err
	}
	if h.IsPing() {
		return h, nil, ClientHeaderSize, nil
	}
	// Compare in uint64: on 32-bit platforms 9+Len can overflow an int.
	if uint64(len(b)-ClientHeaderSize) < uint64(h.Len) {
		return h, nil, 0, nil
	}
	n = ClientHeaderSize + int(h.Len)
	// The full slice expression caps the view, so appending to it can never
	// overwrite the next frame in the caller's buffer.
	return h, b[ClientHeaderSize:n:n], n, nil
}

// NextBrokerFrame is NextClientFrame for the broker→client direction (a
// client's reader). ACK and NOP frames are 6 bytes with empty data; a NOP's
// length bytes are ignored, as upstream clients do.
func NextBrokerFrame(b []byte, maxLen uint32) (h BrokerHeader, data []byte, n int, err error) {
	if len(b) < BrokerHeaderSize {
		return BrokerHeader{}, nil, 0, nil
	}
	h, err = DecodeBrokerHeader(b)
	if err != nil {
		return h, nil, 0, err
	}
	if maxLen > 0 && h.Len > maxLen {
		return h, nil, 0, ErrFrameTooLarge
	}
	if uint64(len(b)-BrokerHeaderSize) < uint64(h.Len) {
		return h, nil, 0, nil
	}
	n = BrokerHeaderSize + int(h.Len)
	return h, b[BrokerHeaderSize:n:n], n, nil
}
