package topictrie

import (
	"slices"
	"testing"
)

// topicCases is the table of ROUTING.md §4.1 (pattern, topic → match).
var topicCases = []struct {
	pattern, topic string
	match          bool
}{
	{"#", "a", true},
	{"#", "", true},
	{"#", "a/b/c", true},
	{"a/#", "a", false},
	{"a/#", "a/b", true},
	{"a/#", "a/b/c", true},
	{"a/+", "a", false},
	{"a/+", "a/b", true},
	{"a/+", "a/b/c", false},
	{"a/+", "a/", true},
	{"+", "a/b", false},
	{"+/#", "a", false},
	{"+/#", "a/b", true},
	{"a/+/#", "a/b", false},
	{"a/+/#", "a/b/c", true},
	{"a/#/c", "a/x/y", true},
	{"", "", true},
	{"", "a", false},
	{"a", "a/", false},
	// The consequences listed in §4.1's prose.
	{"a/#/c", "a/b", true},      // behaves exactly like a/#
	{"#", ".broker/info", true}, // no special treatment of . or $
	{"$SYS/#", "$SYS/x", true},  //
	{"a/+", "a/+", true},        // wildcards in a published topic are characters
	{"a/#", "a/+", true},        //
	{"a/b", "a/+", false},       // never matched by a literal pattern
	{"a#", "a#", true},          // a# and +b are literal segments
	{"a#", "a/b", false},        //
	{"+b", "ab", false},         //
	{"+b", "+b", true},          //
	{"/a", "/a", true},          // empty first segment
	{"+/a", "/a", true},         //
	{"a/", "a", false},          //
	{"#/x", "", true},           // text after # ignored
	{"+", "", true},             // + matches the empty segment
	{"a/b/c", "a/b/c", true},    //
	{"a/b/c", "a/b", false},     //
	{"a/b", "a/b/c", false},     //
	{".broker/warn", ".broker/warn", true},
}

func TestSpecTopicTable(t *testing.T) {
	for _, c := range topicCases {
		if got := refMatchTopic(c.pattern, c.topic); got != c.match {
			t.Errorf("reference %q vs %q = %v, spec says %v", c.pattern, c.topic, got, c.match)
		}
		if got := MatchTopic([]byte(c.pattern), []byte(c.topic)); got != c.match {
			t.Errorf("MatchTopic(%q, %q) = %v, want %v", c.pattern, c.topic, got, c.match)
		}
		s := NewSubs()
		s.Subscribe([]byte(c.pattern), 7)
		got := s.Match([]byte(c.topic), NewScratch(), nil)
		if want := c.match; (len(got) == 1 && got[0] == 7) != want || len(got) > 1 {
			t.Errorf("Subs{%q}.Match(%q) = %v, want match %v", c.pattern, c.topic, got, want)
		}
		var p PatternSet
		p.Add([]byte(c.pattern))
		if got := p.Match([]byte(c.topic)); got != c.match {
			t.Errorf("PatternSet{%q}.Match(%q) = %v, want %v", c.pattern, c.topic, got, c.match)
		}
	}
}

// specNames are the nine registered names of ROUTING.md §5.1.
var specNames = []string{"this.is.a", "this.is.b", "this.is", "this", "that.is.a",
	"app.x", "app.x%%1", ".broker", "single"}

// maskCases is the table of ROUTING.md §5.1 (mask → receivers).
var maskCases = []struct {
	mask      string
	receivers []string
}{
	{"*", specNames},
	{"this.*", []string{"this.is", "this.is.a", "this.is.b"}},
	{"this.is.*", []string{"this.is.a", "this.is.b"}},
	{"this.?", []string{"this.is"}},
	{"this.?.?", []string{"this.is.a", "this.is.b"}},
	{"?.is.a", []string{"this.is.a", "that.is.a"}},
	{"this.is", []string{"this.is"}},
	{"?", []string{"this", "single"}},
	{"*.a", specNames},
	{"this.*.b", []string{"this.is", "this.is.a", "this.is.b"}},
	{"this.is.a.*", nil},
	{"app.*", []string{"app.x", "app.x%%1"}},
	{"app.?", []string{"app.x", "app.x%%1"}},
	{"app.x", []string{"app.x"}},
	{"?.broker", []string{".broker"}},
	// Beyond the table: other consequences of the algorithm.
	{".broker", []string{".broker"}},
	{"?.?", []string{"this.is", "app.x", "app.x%%1", ".broker"}},
	{"?.*", []string{"this.is.a", "this.is.b", "this.is", "that.is.a", "app.x", "app.x%%1", ".broker"}},
	{"app.x%%1", []string{"app.x%%1"}},
	{"", nil},
	{"nobody", nil},
	{"this.is.a.b", nil},
}

func TestSpecNameTable(t *testing.T) {
	n := NewNames()
	ids := map[string]uint32{}
	for i, name := range specNames {
		ids[name] = uint32(i)
		n.Add([]byte(name), uint32(i))
	}
	if n.Len() != len(specNames) {
		t.Fatalf("Len = %d", n.Len())
	}
	for _, c := range maskCases {
		var want []uint32
		for _, name := range c.receivers {
			want = append(want, ids[name])
		}
		slices.Sort(want)
		var ref []uint32
		for _, name := range specNames {
			if refMatchName(c.mask, name) {
				ref = append(ref, ids[name])
			}
			if MatchName([]byte(c.mask), []byte(name)) != refMatchName(c.mask, name) {
				t.Errorf("MatchName(%q, %q) disagrees with the reference", c.mask, name)
			}
		}
		slices.Sort(ref)
		if !slices.Equal(ref, want) {
			t.Errorf("reference: mask %q reaches %v, spec says %v", c.mask, ref, want)
		}
		if got := sorted(n.Match([]byte(c.mask), nil)); !slices.Equal(got, want) {
			t.Errorf("Names.Match(%q) = %v, want %v", c.mask, got, want)
		}
	}
}

// TestSubsOneCopy: a subscriber matching through several patterns is
// listed once (ROUTING.md §4.2).
func TestSubsOneCopy(t *testing.T) {
	s := NewSubs()
	for _, p := range []string{"#", "a/#", "a/+", "+/b", "a/b", "a/#/x", "+/+"} {
		if !s.Subscribe([]byte(p), 3) {
			t.Fatalf("Subscribe(%q) = false", p)
		}
	}
	s.Subscribe([]byte("a/b"), 5)
	s.Subscribe([]byte("x"), 6)
	got := sorted(s.Match([]byte("a/b"), NewScratch(), nil))
	if !slices.Equal(got, []uint32{3, 5}) {
		t.Fatalf("Match = %v, want [3 5]", got)
	}
}

// TestSubsNoSharedSlot: `a/#` and `a/#/x` are separate subscriptions
// (DECISIONS.md: upstream's shared slot is not reproduced).
func TestSubsNoSharedSlot(t *testing.T) {
	s := NewSubs()
	sc := NewScratch()
	s.Subscribe([]byte("a/#"), 1)
	s.Subscribe([]byte("a/#/x"), 1)
	if !s.Unsubscribe([]byte("a/#"), 1) {
		t.Fatal("Unsubscribe(a/#) = false")
	}
	if got := s.Match([]byte("a/b"), sc, nil); !slices.Equal(got, []uint32{1}) {
		t.Fatalf("after unsubscribing a/#: Match(a/b) = %v, want [1] (a/#/x remains)", got)
	}
	if s.Unsubscribe([]byte("a/#"), 1) {
		t.Fatal("second Unsubscribe(a/#) = true")
	}
	if !s.Unsubscribe([]byte("a/#/x"), 1) {
		t.Fatal("Unsubscribe(a/#/x) = false")
	}
	if got := s.Match([]byte("a/b"), sc, nil); len(got) != 0 {
		t.Fatalf("Match = %v after both unsubscribed", got)
	}
	if s.root.Load() != nil || s.Len() != 0 {
		t.Fatalf("index not empty: %q, Len %d", dumpString(s.root.Load()), s.Len())
	}

	var p PatternSet
	p.Add([]byte("a/#"))
	p.Add([]byte("a/#/x"))
	p.Remove([]byte("a/#/x"))
	if !p.Match([]byte("a/b")) {
		t.Fatal("PatternSet lost a/# when a/#/x was removed")
	}
}

func TestSubsBookkeeping(t *testing.T) {
	s := NewSubs()
	if !s.Subscribe([]byte(""), 1) || s.Subscribe([]byte(""), 1) {
		t.Fatal("Subscribe of the empty pattern: want true then false")
	}
	if s.Unsubscribe([]byte("x"), 1) || s.Unsubscribe([]byte(""), 2) || s.Unsubscribe([]byte(""), 99999) {
		t.Fatal("Unsubscribe of an absent subscription reported true")
	}
	s.Subscribe([]byte(".broker/warn"), 1)
	s.Subscribe([]byte(".broker/warn"), 2)
	if s.Len() != 3 {
		t.Fatalf("Len = %d, want 3", s.Len())
	}
	s.UnsubscribeAll(1)
	s.UnsubscribeAll(1)
	s.UnsubscribeAll(12345)
	sc := NewScratch()
	if got := s.Match([]byte(".broker/warn"), sc, nil); !slices.Equal(got, []uint32{2}) {
		t.Fatalf("Match = %v, want [2]", got)
	}
	if got := s.Match([]byte(""), sc, nil); len(got) != 0 {
		t.Fatalf("Match(\"\") = %v after UnsubscribeAll", got)
	}
	if s.Len() != 1 {
		t.Fatalf("Len = %d, want 1", s.Len())
	}
	var zero Subs // the zero value works too
	zero.Subscribe([]byte("a"), 0)
	if got := zero.Match([]byte("a"), sc, nil); !slices.Equal(got, []uint32{0}) {
		t.Fatalf("zero Subs: Match = %v", got)
	}
}

func TestNamesReplaceAndRemove(t *testing.T) {
	n := NewNames()
	n.Add([]byte("a.b"), 1)
	n.Add([]byte("a.b"), 2) // replaces
	n.Add([]byte("a"), 3)
	if got := sorted(n.Match([]byte("a.*"), nil)); !slices.Equal(got, []uint32{2}) {
		t.Fatalf("Match(a.*) = %v, want [2]", got)
	}
	n.Remove([]byte("a.b"), 1) // not held by 1: no-op
	if n.Len() != 2 {
		t.Fatalf("Len = %d, want 2", n.Len())
	}
	n.Remove([]byte("a.b"), 2)
	n.Remove([]byte("nope"), 2)
	if got := n.Match([]byte("a.*"), nil); len(got) != 0 {
		t.Fatalf("Match(a.*) = %v after Remove", got)
	}
	if got := n.Match([]byte("a"), nil); !slices.Equal(got, []uint32{3}) {
		t.Fatalf("Match(a) = %v", got)
	}
	n.Remove([]byte("a"), 3)
	if n.root.Load() != nil || n.Len() != 0 {
		t.Fatal("index not empty after removing every name")
	}
	n.Add([]byte(""), 9) // embedded clients may have an empty name
	if got := n.Match([]byte(""), nil); !slices.Equal(got, []uint32{9}) {
		t.Fatalf("Match(\"\") = %v", got)
	}
}

func TestPatternSetBasics(t *testing.T) {
	var p PatternSet
	if p.Match([]byte("a")) || p.Len() != 0 {
		t.Fatal("empty set matches")
	}
	if !p.Add([]byte("a/+")) || p.Add([]byte("a/+")) || !p.Add([]byte("")) {
		t.Fatal("Add results")
	}
	if p.Len() != 2 || !p.Match([]byte("a/x")) || !p.Match([]byte("")) || p.Match([]byte("a")) {
		t.Fatal("Match results")
	}
	if p.Remove([]byte("zz")) || !p.Remove([]byte("a/+")) || p.Match([]byte("a/x")) {
		t.Fatal("Remove results")
	}
	p.Clear()
	if p.Len() != 0 || p.Match([]byte("")) {
		t.Fatal("Clear")
	}
}
