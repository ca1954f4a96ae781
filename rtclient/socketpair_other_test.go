//go:build !unix

package rtclient

import (
	"net"
	"testing"
)

// socketPair returns a net.Pipe where UNIX socket pairs do not exist.
func socketPair(testing.TB) (net.Conn, net.Conn) { return net.Pipe() }
