package proto

import "testing"

func TestIsUnixAddr(t *testing.T) {
	for addr, want := range map[string]bool{
		"/tmp/busrt.sock": true, "busrt.sock": true, "x.socket": true, "a.ipc": true,
		"/var/run/b": true, "127.0.0.1:9924": false, "localhost:9924": false,
		"[::]:9924": false, "0.0.0.0:9924": false, "sock": false,
	} {
		if IsUnixAddr(addr) != want {
			t.Errorf("IsUnixAddr(%q) = %v", addr, !want)
		}
	}
}
