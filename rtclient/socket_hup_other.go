//go:build !linux

package rtclient

// No hang-up watcher here (see socket_hup_linux.go): the raw reader reads
// until EAGAIN, as net.Conn.Read does.

func (c *SocketClient) watchHangUp() bool { return false }

func (c *SocketClient) unwatchHangUp() {}
