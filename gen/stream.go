package gen

import (
	"slices"

	"github.com/tinylib/msgp/msgp"
)

// Stream (msgp.Reader) helpers of the hand-written decoders.
//
// They avoid two traps of msgp v1.6.5 / fwd v1.2.0: msgp.Reader.Skip (and
// fwd.Reader.Skip) seeks when the underlying reader is an io.Seeker, and a
// seek past the end of, e.g., a bytes.Reader is no error, so truncated input
// can be "skipped" successfully; and ReadMapKeyPtr rejects the empty key.
// skipValue and skipN read the bytes instead.

// readStrHeader reads the header of a `str` or `bin` from r and returns the
// length of its data.
func readStrHeader(r *msgp.Reader) (uint32, error) {
	lead, err := r.R.PeekByte()
	if err != nil {
		return 0, err
	}
	var n uint32
	switch {
	case isStrLead(lead):
		n, err = r.ReadStringHeader()
	case isBinLead(lead):
		n, err = r.ReadBytesHeader()
	default:
		t, terr := r.NextType()
		if terr != nil {
			return 0, terr
		}
		return 0, msgp.TypeError{Method: msgp.StrType, Encoded: t}
	}
	if err != nil {
		return 0, err
	}
	if uint64(n) > r.GetMaxStringLength() {
		return 0, msgp.ErrLimitExceeded
	}
	return n, nil
}

// readChunk bounds how far dst grows ahead of the bytes actually read.
const readChunk = 64 << 10

// readChunked appends n bytes from r to dst, growing dst at most readChunk
// bytes ahead of the data that arrived.
func readChunked(r *msgp.Reader, dst []byte, n uint32) ([]byte, error) {
	for left := int(n); left > 0; {
		c := min(left, readChunk)
		l := len(dst)
		dst = slices.Grow(dst, c)[:l+c]
		if _, err := r.ReadFull(dst[l:]); err != nil {
			return dst[:l], err
		}
		left -= c
	}
	return dst, nil
}

// readKeyIs reads a map key (`str` or `bin`, possibly empty) from r and
// reports whether it equals want. Unlike msgp.Reader.ReadMapKeyPtr it accepts
// the empty key and keys longer than the reader's buffer.
func readKeyIs(r *msgp.Reader, want string) (bool, error) {
	n, err := readStrHeader(r)
	if err != nil {
		return false, err
	}
	if int(n) != len(want) {
		return false, skipN(r, int(n))
	}
	k, err := r.R.Next(int(n))
	if err != nil {
		return false, err
	}
	return string(k) == want, nil
}

// skipN consumes n bytes from r by reading them (never by seeking), so that
// running out of input is an error.
func skipN(r *msgp.Reader, n int) error {
	for n > 0 {
		c := min(n, max(r.BufferSize(), 16))
		if _, err := r.R.Next(c); err != nil {
			return err
		}
		n -= c
	}
	return nil
}

// skipValue consumes the next MessagePack value from r, whatever it is,
// reading every byte (see skipN). Nesting deeper than r's recursion limit is
// msgp.ErrRecursion.
func skipValue(r *msgp.Reader, depth int) error {
	if depth >= r.GetMaxRecursionDepth() {
		return msgp.ErrRecursion
	}
	lead, err := r.R.PeekByte()
	if err != nil {
		return err
	}
	switch {
	case isMapLead(lead), isArrayLead(lead):
		var n uint32
		items := 1
		if isMapLead(lead) {
			n, err = r.ReadMapHeader()
			items = 2
		} else {
			n, err = r.ReadArrayHeader()
		}
		if err != nil {
			return err
		}
		for i := uint64(0); i < uint64(n)*uint64(items); i++ {
			if err := skipValue(r, depth+1); err != nil {
				return err
			}
		}
		return nil
	case isStrLead(lead), isBinLead(lead):
		n, err := readStrHeader(r)
		if err != nil {
			return err
		}
		return skipN(r, int(n))
	}
	hdr, data := scalarSize(lead)
	if hdr == 0 {
		return msgp.InvalidPrefixError(lead)
	}
	p, err := r.R.Next(hdr)
	if err != nil {
		return err
	}
	switch lead {
	case 0xc7:
		data = int(p[1])
	case 0xc8:
		data = int(p[1])<<8 | int(p[2])
	case 0xc9:
		data = int(p[1])<<24 | int(p[2])<<16 | int(p[3])<<8 | int(p[4])
	}
	return skipN(r, data)
}

// scalarSize returns, for a value that is neither a container nor a
// str/bin, the size of its header (marker included) and of the data after
// it; for ext8/16/32 the data size is read from the header by the caller.
// A zero header size means an invalid marker (c1).
func scalarSize(lead byte) (hdr, data int) {
	switch {
	case lead < 0x80 || lead >= 0xe0, lead == 0xc0, lead == 0xc2, lead == 0xc3:
		return 1, 0
	case lead == 0xcc || lead == 0xd0:
		return 1, 1
	case lead == 0xcd || lead == 0xd1:
		return 1, 2
	case lead == 0xce || lead == 0xd2 || lead == 0xca:
		return 1, 4
	case lead == 0xcf || lead == 0xd3 || lead == 0xcb:
		return 1, 8
	case lead >= 0xd4 && lead <= 0xd8: // fixext: type byte + 1..16 bytes
		return 2, 1 << (lead - 0xd4)
	case lead == 0xc7: // ext8: len u8, type
		return 3, 0
	case lead == 0xc8: // ext16
		return 4, 0
	case lead == 0xc9: // ext32
		return 6, 0
	default:
		return 0, 0
	}
}
