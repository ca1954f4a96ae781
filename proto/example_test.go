package proto_test

import (
	"bytes"
	"fmt"
	"io"

	"github.com/busrt-go/busrt/proto"
)

// A non-blocking broker connection: everything that arrived is fed, the
// consumed bytes are discarded, and the rest stays buffered (gnet's
// Peek/Discard). Here the client pipelined its greeting, name and a ping.
func ExampleServerHandshake() {
	inbound := []byte{0xeb, 0x01, 0x00, 0x03, 0x00, 'a', 'p', 'p', 0, 0, 0, 0, 0, 0, 0, 0, 0}
	out := proto.AppendGreeting(nil) // the broker speaks first

	var hs proto.ServerHandshake
	for !hs.Done() {
		n, ev, name := hs.Feed(inbound)
		switch ev {
		case proto.ServerNeedMore:
			return // wait for the next read
		case proto.ServerGreetingOK:
			out = append(out, byte(proto.CodeOK))
		case proto.ServerRejected:
			out = append(out, byte(proto.CodeNotSupported)) // then close
			return
		case proto.ServerName:
			code, reply := proto.CheckName(name)
			if !reply {
				return // close without a byte
			}
			// A real broker registers the name here and may answer 71, 76, 79.
			fmt.Printf("name %q -> %v\n", name, code)
			out = append(out, byte(code))
		}
		inbound = inbound[n:]
	}
	h, _, n, _ := proto.NextClientFrame(inbound, 0)
	fmt.Printf("wrote % x; then a %d-byte frame, ping: %v\n", out, n, h.IsPing())
	// Output:
	// name "app" -> OK
	// wrote eb 01 00 01 01; then a 9-byte frame, ping: true
}

// A blocking client reads exactly Want() bytes per step.
func ExampleClientHandshake() {
	broker := bytes.NewReader([]byte{0xeb, 0x01, 0x00, 0x01, 0x76}) // name taken
	var written []byte

	hs, err := proto.NewClientHandshake("test.client")
	if err != nil {
		panic(err)
	}
	buf := make([]byte, proto.GreetingSize)
	for !hs.Done() {
		if _, err := io.ReadFull(broker, buf[:hs.Want()]); err != nil {
			panic(err)
		}
		_, written, err = hs.Feed(buf[:hs.Want()], written)
		if err != nil {
			fmt.Printf("%v: %v\n", hs.Step(), err)
			break
		}
	}
	fmt.Printf("wrote % x\n", written)
	// Output:
	// registration response: busrt: client name already registered (0x76)
	// wrote eb 01 00 0b 00 74 65 73 74 2e 63 6c 69 65 6e 74
}
