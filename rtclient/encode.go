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

// fits reports whether the frame's data (after the 9-byte header) fits
// the u32 length field.
func (fp *frameParts) fits() bool {
	var n int
	if isTopicOp(fp.op) {
		n = proto.TopicsLen(fp.topics)
	} else {
		n = len(fp.name) + 1 + len(fp.header) + len(fp.payload)
		if fp.op == proto.OpPublishFor {
			n += len(fp.recv) + 1
		}
	}
	return uint64(n) <= proto.MaxDataLen
}

// appendHead appends the whole frame but its payload (check dataLen first).
func (fp *frameParts) appendHead(dst []byte, id uint32) []byte {
	rest := len(fp.header) + len(fp.payload)
	switch {
	case isTopicOp(fp.op):
		return proto.AppendTopics(dst, id, fp.op, fp.qos, fp.topics...)
	case fp.op == proto.OpPublishFor:
		dst = proto.AppendPublishForHeader(dst, id, fp.qos, fp.name, fp.recv, rest)
	default:
		dst = proto.AppendTargetedHeader(dst, id, fp.op, fp.qos, fp.name, rest)
	}
	return append(dst, fp.header...)
}

// appendTo appends the whole frame.
func (fp *frameParts) appendTo(dst []byte, id uint32) []byte {
	return append(fp.appendHead(dst, id), fp.payload...)
}
