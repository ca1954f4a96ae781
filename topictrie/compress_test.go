package topictrie

import (
	"slices"
	"strings"
	"testing"
)

// labels lists the trie's edges as "path label" lines, sorted.
func labels(root *node) []string {
	var out []string
	var walk func(n *node, path string)
	walk = func(n *node, path string) {
		if n == nil {
			return
		}
		walk(n.plus, path+"/<+>")
		for _, s := range appendChildren(nil, n.kids) {
			out = append(out, path+" "+s.seg)
			walk(s.node, path+"/"+s.seg)
		}
	}
	walk(root, "")
	slices.Sort(out)
	return out
}

// TestSubsPathCompression follows the labels through splits and merges.
func TestSubsPathCompression(t *testing.T) {
	s := NewSubs()
	sc := NewScratch()
	step := func(want ...string) {
		t.Helper()
		got := labels(s.root.Load())
		if !slices.Equal(got, want) {
			t.Fatalf("edges:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if _, _, err := checkTrie(s.root.Load(), topicSyntax); err != nil {
			t.Fatal(err)
		}
	}
	s.Subscribe([]byte("a/b/c/d"), 1)
	step(" a/b/c/d")
	s.Subscribe([]byte("a/b/x"), 2) // split inside the label
	step(" a/b", "/a/b c/d", "/a/b x")
	s.Subscribe([]byte("a/b"), 3) // ends at the branch point
	s.Subscribe([]byte("a"), 4)   // ends inside a label: split again
	step(" a", "/a b", "/a/b c/d", "/a/b x")
	s.Subscribe([]byte("a/b/c/+/e/f"), 5) // a run stops before a wildcard
	step(" a", "/a b", "/a/b c", "/a/b x", "/a/b/c d", "/a/b/c/<+> e/f")
	s.Subscribe([]byte("a/b/c/#/z"), 6)
	for _, c := range []struct {
		topic string
		want  []uint32
	}{
		{"a/b/c/d", []uint32{1, 6}}, {"a/b/x", []uint32{2}}, {"a/b", []uint32{3}},
		{"a", []uint32{4}}, {"a/b/c/q/e/f", []uint32{5, 6}}, {"a/b/c", nil}, {"a/b/c/d/e", []uint32{6}},
		{"a/b/cd", nil}, {"a/b/c/", []uint32{6}}, {"a/bb/c/d", nil},
	} {
		if got := sorted(s.Match([]byte(c.topic), sc, nil)); !slices.Equal(got, c.want) {
			t.Errorf("Match(%q) = %v, want %v", c.topic, got, c.want)
		}
	}
	s.Unsubscribe([]byte("a/b/c/#/z"), 6)
	s.Unsubscribe([]byte("a/b/c/+/e/f"), 5) // c/d merges back
	step(" a", "/a b", "/a/b c/d", "/a/b x")
	s.Unsubscribe([]byte("a"), 4)
	s.Unsubscribe([]byte("a/b"), 3)
	step(" a/b", "/a/b c/d", "/a/b x")
	s.Unsubscribe([]byte("a/b/x"), 2)
	step(" a/b/c/d")
	s.Unsubscribe([]byte("a/b/c/d"), 1)
	step()
	if s.root.Load() != nil {
		t.Fatal("root not pruned")
	}
}
