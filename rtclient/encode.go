package rtclient

import "github.com/busrt-go/busrt/proto"

// frameParts describes one client→broker frame without building it, so that
// the writer can append it straight into its buffer (and write a large
// payload without copying it there).
type frameParts struct {
	op      proto.Op
	qos     proto.QoS
	name    string   // MESSAGE target, BROADCAST mask, PUBLISH(_FOR) topic
	recv    string   // PUBLISH_FOR receiver
	header  []byte   // zero-copy header, written between name 00 and payload
	payload []byte   // the payload
	topics  []string // SUBSCRIBE, UNSUBSCRIBE, EXCLUDE, UNEXCLUDE

	async bool       // do not wait for the ACK
	ack   AckHandler // async: receives the ACK's code, may be nil
	tag   uint32     // async: handed back to ack
}

func isTopicOp(op proto.Op) bool {
	return op >= proto.OpSubscribe && op <= proto.OpUnexclude
}

// dataLen returns the frame's data length (after the 9-byte header) and
// whether it fits the u32 length field.
func (fp *frameParts) dataLen() (int, bool) {
	n := 0
	if isTopicOp(fp.op) {
		for i, t := range fp.topics {
			if i > 0 {
				n++
			}
			n += len(t)
		}
	} else {
		n = len(fp.name) + 1 + len(fp.header) + len(fp.payload)
		if fp.op == proto.OpPublishFor {
			n += len(fp.recv) + 1
		}
	}
	return n, uint64(n) <= proto.MaxDataLen
}

// appendHead appends the whole frame but its payload; dataLen is from
// dataLen.
func (fp *frameParts) appendHead(dst []byte, id uint32, dataLen int) []byte {
	dst = proto.AppendClientHeader(dst, id, fp.op, fp.qos, uint32(dataLen))
	if isTopicOp(fp.op) {
		for i, t := range fp.topics {
			if i > 0 {
				dst = append(dst, 0)
			}
			dst = append(dst, t...)
		}
		return dst
	}
	dst = append(dst, fp.name...)
	dst = append(dst, 0)
	if fp.op == proto.OpPublishFor {
		dst = append(dst, fp.recv...)
		dst = append(dst, 0)
	}
	return append(dst, fp.header...)
}

// appendTo appends the whole frame.
func (fp *frameParts) appendTo(dst []byte, id uint32, dataLen int) []byte {
	return append(fp.appendHead(dst, id, dataLen), fp.payload...)
}
