package bus

import "testing"

// ROUTING.md §13.1: allow_X_to adds its patterns (a second call widens the
// rule); the catch-all sets "any"; deny_X empties it.
func TestACLBuilderAdds(t *testing.T) {
	a := NewClientAAA().AllowP2PTo("a.*").AllowP2PTo("b.*").AllowSubscribeTo("x/#").AllowSubscribeTo("y/+")
	for name, want := range map[string]bool{"a.1": true, "b.2": true, "c.3": false} {
		if got := a.p2p.allowName([]byte(name)); got != want {
			t.Errorf("p2p %q: %v, want %v", name, got, want)
		}
	}
	for topic, want := range map[string]bool{"x/1/2": true, "y/1": true, "y/1/2": false, "z": false} {
		if got := a.subscribe.allowTopic([]byte(topic)); got != want {
			t.Errorf("subscribe %q: %v, want %v", topic, got, want)
		}
	}
	if a = a.AllowP2PTo("*"); !a.p2p.allowName([]byte("c.3")) {
		t.Error("catch-all * does not allow any target")
	}
	if a = a.DenyP2P(); a.p2p.allowName([]byte("a.1")) {
		t.Error("DenyP2P still allows")
	}
}
