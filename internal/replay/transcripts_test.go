package replay

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

const transcriptDir = "../../testdata/transcripts"

// The per-file counts of the README's table.
var transcriptCounts = map[string]int{
	"handshake.json": 28, "publish.json": 14, "subscribe.json": 29, "exclude.json": 11,
	"message.json": 12, "broadcast.json": 11, "publish_for.json": 10, "qos_acks.json": 6,
	"ping_keepalive.json": 8, "malformed.json": 29, "secondaries.json": 7, "broker_api.json": 32,
	"rpc.json": 7, "announcements.json": 9, "counters.json": 9, "overflow.json": 2,
}

var knownTags = []string{"time-based", "exact-binds", "upstream-error-text", "signal", "fragmented", "overflow", "large-payload"}

// TestTranscriptStructure validates the files independently of LoadDir (from
// the raw JSON), then checks that LoadDir agrees.
func TestTranscriptStructure(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(transcriptDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	names := make(map[string]string)
	var order []string
	total := 0
	for _, path := range files {
		file := filepath.Base(path)
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Scenarios []map[string]any `json:"scenarios"`
		}
		if err := json.Unmarshal(data, &doc); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if want, ok := transcriptCounts[file]; !ok {
			t.Errorf("%s: not in the README table", file)
		} else if len(doc.Scenarios) != want {
			t.Errorf("%s: %d scenarios, README says %d", file, len(doc.Scenarios), want)
		}
		total += len(doc.Scenarios)
		for i, s := range doc.Scenarios {
			name, _ := s["name"].(string)
			where := file + ": " + name
			if name == "" {
				t.Errorf("%s: scenarios[%d] has no name", file, i)
			}
			if other, dup := names[name]; dup {
				t.Errorf("%s: name also used in %s", where, other)
			}
			names[name] = file
			order = append(order, name)
			checkRawScenario(t, where, s)
		}
	}
	if total != 224 {
		t.Errorf("%d scenarios in all, want 224", total)
	}

	loaded, err := LoadDir(transcriptDir)
	if err != nil {
		t.Fatalf("LoadDir: %v", err)
	}
	if len(loaded) != len(order) {
		t.Fatalf("LoadDir returned %d scenarios, want %d", len(loaded), len(order))
	}
	for i, s := range loaded {
		if s.Name != order[i] || s.File != names[s.Name] {
			t.Fatalf("LoadDir order: [%d] is %s (%s), want %s (%s)", i, s.Name, s.File, order[i], names[order[i]])
		}
		checkLoadedScenario(t, s)
	}
}

// checkRawScenario checks one scenario as raw JSON.
func checkRawScenario(t *testing.T, where string, s map[string]any) {
	t.Helper()
	broker, ok := s["broker"].(map[string]any)
	if !ok {
		t.Errorf("%s: no broker object", where)
		return
	}
	if v, ok := broker["timeout"].(float64); !ok || v <= 0 {
		t.Errorf("%s: broker timeout %v", where, broker["timeout"])
	}
	if q, present := broker["queue_size"]; present && q != nil {
		if v, ok := q.(float64); !ok || v < 1 || v != float64(int(v)) {
			t.Errorf("%s: queue_size %v", where, q)
		}
	}
	if _, ok := broker["force_register"].(bool); !ok {
		t.Errorf("%s: force_register %v", where, broker["force_register"])
	}
	var tags []string
	if raw, present := s["tags"]; present {
		list, ok := raw.([]any)
		if !ok {
			t.Errorf("%s: tags %v", where, raw)
		}
		for _, tg := range list {
			tag, _ := tg.(string)
			if !slices.Contains(knownTags, tag) {
				t.Errorf("%s: unknown tag %v", where, tg)
			}
			tags = append(tags, tag)
		}
	}
	_, hasBinds := broker["binds"]
	if hasBinds != slices.Contains(tags, "exact-binds") {
		t.Errorf("%s: binds present %v, exact-binds tag %v", where, hasBinds, !hasBinds)
	}
	steps, ok := s["steps"].([]any)
	if !ok || len(steps) == 0 {
		t.Errorf("%s: no steps", where)
		return
	}
	kinds := make([]string, len(allKinds))
	for i, k := range allKinds {
		kinds[i] = string(k)
	}
	for i, raw := range steps {
		st, ok := raw.(map[string]any)
		if !ok {
			t.Errorf("%s steps[%d]: not an object", where, i)
			continue
		}
		var found []string
		for key := range st {
			if slices.Contains(kinds, key) {
				found = append(found, key)
			}
		}
		if len(found) != 1 {
			t.Errorf("%s steps[%d]: step kinds %v, want exactly one known kind", where, i, found)
			continue
		}
		kind := found[0]
		_, hasConn := st["conn"].(string)
		if needConn := kind != "sleep_ms" && kind != "broker_signal"; needConn != hasConn {
			t.Errorf("%s steps[%d] %s: conn present %v", where, i, kind, hasConn)
		}
		switch kind {
		case "send":
			checkHex(t, where, i, st, "send", -1)
			if _, ok := st["pad_count"]; ok {
				checkHex(t, where, i, st, "pad_byte", 1)
			}
		case "expect":
			n := checkHex(t, where, i, st, "expect", -1)
			if _, ok := st["mask"]; ok {
				checkHex(t, where, i, st, "mask", n)
			}
			if _, ok := st["within_ms"].(float64); !ok {
				t.Errorf("%s steps[%d]: expect without within_ms", where, i)
			}
		case "expect_unordered":
			items, _ := st["expect_unordered"].([]any)
			if len(items) == 0 {
				t.Errorf("%s steps[%d]: no items", where, i)
			}
			for _, it := range items {
				item, _ := it.(map[string]any)
				n := checkHex(t, where, i, item, "expect", -1)
				if _, ok := item["mask"]; ok {
					checkHex(t, where, i, item, "mask", n)
				}
			}
		case "connect":
			if v := st["connect"]; v != "unix" && v != "tcp" {
				t.Errorf("%s steps[%d]: connect %v", where, i, v)
			}
		case "expect_nothing_ms", "expect_closed_ms", "sleep_ms":
			if v, ok := st[kind].(float64); !ok || v < 0 || v != float64(int(v)) {
				t.Errorf("%s steps[%d]: %s %v", where, i, kind, st[kind])
			}
		case "close", "stop_reading":
			if st[kind] != true {
				t.Errorf("%s steps[%d]: %s %v", where, i, kind, st[kind])
			}
		case "register", "broker_signal":
			if _, ok := st[kind].(string); !ok {
				t.Errorf("%s steps[%d]: %s %v", where, i, kind, st[kind])
			}
		}
	}
}

// checkHex checks that field key decodes as hex, of n bytes unless n < 0, and
// returns its length.
func checkHex(t *testing.T, where string, i int, obj map[string]any, key string, n int) int {
	t.Helper()
	s, ok := obj[key].(string)
	if !ok {
		t.Errorf("%s steps[%d]: %s is not a string", where, i, key)
		return -1
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Errorf("%s steps[%d]: %s: %v", where, i, key, err)
		return -1
	}
	if n >= 0 && len(b) != n {
		t.Errorf("%s steps[%d]: %s has %d bytes, want %d", where, i, key, len(b), n)
	}
	return len(b)
}

// checkLoadedScenario checks what the replay relies on beyond the format:
// connections are used only while open, nothing is read after stop_reading,
// the tolerant comparison applies to every upstream-error-text scenario, and
// broker_info carries upstream's author for a Rewrite to replace.
func checkLoadedScenario(t *testing.T, s Scenario) {
	t.Helper()
	open, stopped := map[string]bool{}, map[string]bool{}
	errorReplies := 0
	for i, st := range s.Steps {
		switch st.Kind {
		case KindSleep, KindBrokerSignal:
			continue
		case KindConnect:
			if open[st.Conn] {
				t.Errorf("%s steps[%d]: %s connected twice", s.Name, i, st.Conn)
			}
			open[st.Conn], stopped[st.Conn] = true, false
			continue
		}
		if !open[st.Conn] {
			t.Errorf("%s steps[%d]: %s used while not open", s.Name, i, st.Conn)
		}
		switch st.Kind {
		case KindClose:
			open[st.Conn] = false
		case KindStopReading:
			stopped[st.Conn] = true
		case KindExpect, KindExpectUnordered, KindExpectNothing, KindExpectClosed, KindRegister:
			if stopped[st.Conn] {
				t.Errorf("%s steps[%d]: %s read after stop_reading", s.Name, i, st.Conn)
			}
		}
		if st.Kind == KindExpect {
			if _, ok := rpcErrorPrefix(st.Data); ok {
				errorReplies++
			}
		}
	}
	if s.HasTag("upstream-error-text") && errorReplies == 0 {
		t.Errorf("%s: tagged upstream-error-text but no expect step is an RPC error reply", s.Name)
	}
	if s.Name == "broker_info" {
		if _, _, ok := ReplaceMsgpackString(s.Steps[3].Data, s.Steps[3].Mask, upstreamAuthor, "x"); !ok {
			t.Errorf("broker_info: upstream author not found in steps[3]")
		}
	}
}

// ourErrorText replaces the text of an RPC error reply, fixing its length.
func ourErrorText(frame []byte) []byte {
	prefix, ok := rpcErrorPrefix(frame)
	if !ok {
		return frame
	}
	out := append(slices.Clone(frame[:prefix]), "busrt-go: a text of our own"...)
	binary.LittleEndian.PutUint32(out[1:5], uint32(len(out)-headerLen))
	return out
}

// mirrorMutation is what the mirror broker changes in its replies: its own
// error texts for upstream-error-text scenarios, its own identity for
// broker_info.
func mirrorMutation(s Scenario) func(int, []byte) []byte {
	switch {
	case s.HasTag("upstream-error-text"):
		return func(_ int, b []byte) []byte { return ourErrorText(b) }
	case s.Name == "broker_info":
		return func(_ int, b []byte) []byte {
			if !strings.Contains(string(b), upstreamAuthor) {
				return b
			}
			return mustHex(ourInfo("busrt-go authors", "0.1.0"))
		}
	}
	return nil
}

// ourIdentity is the Rewrite a busrt-go test would use for broker_info.
func ourIdentity(scenario string, _ int, e, m []byte) ([]byte, []byte) {
	if scenario == "broker_info" {
		e, m, _ = ReplaceMsgpackString(e, m, upstreamAuthor, "busrt-go authors")
		e, m, _ = ReplaceMsgpackString(e, m, "0.5.6", "0.1.0")
	}
	return e, m
}

// TestTranscriptsAgainstMirror replays every scenario against a fake broker
// that answers exactly what the scenario expects (in lock step with the
// replay), with busrt-go's own error texts and identity where the transcripts
// carry upstream's. The scenarios run concurrently: only their own sleeps
// take time.
func TestTranscriptsAgainstMirror(t *testing.T) {
	scenarios, err := LoadDir(transcriptDir)
	if err != nil {
		t.Fatal(err)
	}
	// Longest first, at most mirrorParallel at once: enough to overlap the
	// sleeps, few enough that a loaded machine keeps to the scenarios' limits.
	slices.SortStableFunc(scenarios, func(a, b Scenario) int { return int(scenarioWait(b) - scenarioWait(a)) })
	const mirrorParallel = 16
	sem := make(chan struct{}, mirrorParallel)
	var wg sync.WaitGroup
	for _, s := range scenarios {
		// The mirror answers at once, so generous limits change nothing but
		// keep a loaded machine from failing the run.
		for i := range s.Steps {
			s.Steps[i].Within *= 4
			if s.Steps[i].Kind == KindExpectClosed {
				s.Steps[i].Duration *= 4
			}
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			t.Run(s.Name, func(t *testing.T) {
				b := newFakeBroker(t)
				var log lockedBuffer
				opts := Options{ErrorTextTolerant: true, Rewrite: ourIdentity, Log: &log}
				opts.stepDone = b.serveMirror(s, mirrorMutation(s))
				defer func() {
					if t.Failed() {
						t.Logf("replay log:\n%s", log.String())
					}
				}()
				Run(t, s, b.startFunc(), opts)
				b.Stop()
				if errs := b.serverErrors(); len(errs) > 0 {
					t.Errorf("mirror: %v", errs)
				}
				if b.cfg != s.Broker {
					t.Errorf("broker config %+v, want %+v", b.cfg, s.Broker)
				}
			})
		})
	}
	wg.Wait()
}

// lockedBuffer is a bytes.Buffer safe for concurrent use.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// scenarioWait is the time a scenario spends in sleeps and "nothing arrives" checks.
func scenarioWait(s Scenario) time.Duration {
	var d time.Duration
	for _, st := range s.Steps {
		if st.Kind == KindSleep || st.Kind == KindExpectNothing {
			d += st.Duration
		}
	}
	return d
}

// TestTranscriptsErrorTextNeedsTolerance checks that, against texts of our
// own, the upstream-error-text scenarios fail in strict mode, and that
// broker_info fails without the Rewrite.
func TestTranscriptsErrorTextNeedsTolerance(t *testing.T) {
	scenarios, err := LoadDir(transcriptDir)
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, s := range scenarios {
		if !s.HasTag("upstream-error-text") && s.Name != "broker_info" {
			continue
		}
		checked++
		t.Run(s.Name, func(t *testing.T) {
			t.Parallel()
			b := newFakeBroker(t)
			opts := Options{}
			opts.stepDone = b.serveMirror(s, mirrorMutation(s))
			rec := &recordingTB{TB: t}
			Run(rec, s, b.startFunc(), opts)
			got := rec.recorded()
			if len(got) != 1 || !strings.Contains(got[0], "first difference at byte 1") {
				t.Errorf("strict replay: failures %q, want one length mismatch", got)
			}
		})
	}
	if checked != 4 {
		t.Errorf("checked %d scenarios, want 3 upstream-error-text + broker_info", checked)
	}
}
