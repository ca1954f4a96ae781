package replay

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"
)

const (
	headerLen      = 6    // B→C frame header: kind u8 | len u32 LE | realtime u8
	kindMessage    = 0x12 // B→C frame kind MESSAGE
	rpcTypeError   = 0x12 // RPC payload type: error reply
	rpcErrorFixed  = 7    // RPC error reply: type u8 | call id u32 | code i16
	hexShownMax    = 256  // longer byte strings are shown as a window around the difference
	hexWindowLeft  = 32
	hexWindowRight = 96
)

// firstDiff returns the first position below min(len(exp), len(got)) where
// got differs from exp in a bit the mask selects (nil mask = every bit), or
// -1 if there is none.
func firstDiff(exp, mask, got []byte) int {
	n := min(len(exp), len(got))
	for i := 0; i < n; i++ {
		m := byte(0xff)
		if mask != nil {
			m = mask[i]
		}
		if (exp[i]^got[i])&m != 0 {
			return i
		}
	}
	return -1
}

// mismatch describes expected and received bytes. at is the first
// difference, or -1 when the received bytes are only too short.
func mismatch(headline string, exp, mask, got []byte, at int) error {
	var b strings.Builder
	b.WriteString(headline)
	from, to := 0, max(len(exp), len(got))
	if to > hexShownMax {
		center := max(at, min(len(exp), len(got)))
		from = max(0, center-hexWindowLeft)
		to = center + hexWindowRight
		fmt.Fprintf(&b, "\n  (showing bytes %d..%d only)", from, to)
	}
	fmt.Fprintf(&b, "\n  expected (%4d bytes): %s", len(exp), hexRange(exp, from, to))
	if mask != nil {
		fmt.Fprintf(&b, "\n  mask     (%4d bytes): %s", len(mask), hexRange(mask, from, to))
	}
	fmt.Fprintf(&b, "\n  got      (%4d bytes): %s", len(got), hexRange(got, from, to))
	if at >= 0 {
		fmt.Fprintf(&b, "\n  %s^", strings.Repeat(" ", len("got      (1234 bytes): ")+2*(at-from)))
		fmt.Fprintf(&b, "\n  first difference at byte %d: expected %02x, got %02x", at, exp[at], got[at])
		if mask != nil && mask[at] != 0xff {
			fmt.Fprintf(&b, " (mask %02x)", mask[at])
		}
	}
	return fmt.Errorf("%s", b.String())
}

// hexRange formats b[from:to] (clipped) in hex.
func hexRange(b []byte, from, to int) string {
	to = min(to, len(b))
	if from >= to {
		return "(none)"
	}
	return hex.EncodeToString(b[from:to])
}

// rpcErrorPrefix reports whether exp is one complete B→C MESSAGE frame that
// carries an RPC error reply, and if so returns the length of its part up to
// and including the error code: header, sender, 00, type, call id, code.
func rpcErrorPrefix(exp []byte) (int, bool) {
	if len(exp) < headerLen || exp[0] != kindMessage {
		return 0, false
	}
	if binary.LittleEndian.Uint32(exp[1:5]) != uint32(len(exp)-headerLen) {
		return 0, false
	}
	nul := bytes.IndexByte(exp[headerLen:], 0)
	if nul < 0 {
		return 0, false
	}
	p := headerLen + nul + 1
	if len(exp) < p+rpcErrorFixed || exp[p] != rpcTypeError {
		return 0, false
	}
	return p + rpcErrorFixed, true
}

// tolerantMask is the mask for the error-reply prefix: the given mask (or
// every byte) without the frame length field.
func tolerantMask(mask []byte, prefix int) []byte {
	m := bytes.Repeat([]byte{0xff}, prefix)
	if mask != nil {
		copy(m, mask[:prefix])
	}
	clear(m[1:5])
	return m
}

// ReplaceMsgpackString replaces the first MessagePack encoding of the string
// old in the expected bytes frame by the encoding of new, and returns the new
// expectation. The replacement is compared exactly (its mask bytes are ff),
// even where the old bytes were masked. When frame is one complete B→C frame
// (its length field equals len(frame)-6), the length field is updated. ok is
// false, and frame and mask come back unchanged, when old is not found.
//
// It is meant for a RewriteFunc; for example, to expect busrt-go's own
// identity in the broker_info reply:
//
//	e, m, _ = ReplaceMsgpackString(e, m, "(c) 2022 Bohemia Automation / Altertech", ourAuthor)
//	e, m, _ = ReplaceMsgpackString(e, m, "0.5.6", ourVersion)
func ReplaceMsgpackString(frame, mask []byte, old, new string) (newFrame, newMask []byte, ok bool) {
	oldEnc, newEnc := msgpackString(old), msgpackString(new)
	at := bytes.Index(frame, oldEnc)
	if at < 0 {
		return frame, mask, false
	}
	whole := len(frame) >= headerLen && binary.LittleEndian.Uint32(frame[1:5]) == uint32(len(frame)-headerLen)
	newFrame = make([]byte, 0, len(frame)-len(oldEnc)+len(newEnc))
	newFrame = append(newFrame, frame[:at]...)
	newFrame = append(newFrame, newEnc...)
	newFrame = append(newFrame, frame[at+len(oldEnc):]...)
	if whole {
		binary.LittleEndian.PutUint32(newFrame[1:5], uint32(len(newFrame)-headerLen))
	}
	if mask != nil {
		newMask = make([]byte, 0, len(newFrame))
		newMask = append(newMask, mask[:at]...)
		newMask = append(newMask, bytes.Repeat([]byte{0xff}, len(newEnc))...)
		newMask = append(newMask, mask[at+len(oldEnc):]...)
	}
	return newFrame, newMask, true
}

// msgpackString encodes s as a MessagePack str.
func msgpackString(s string) []byte {
	n := len(s)
	var b []byte
	switch {
	case n < 32:
		b = []byte{0xa0 | byte(n)}
	case n < 1<<8:
		b = []byte{0xd9, byte(n)}
	case n < 1<<16:
		b = []byte{0xda, byte(n >> 8), byte(n)}
	default:
		b = []byte{0xdb, byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}
	}
	return append(b, s...)
}
