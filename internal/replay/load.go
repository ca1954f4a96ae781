package replay

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"
)

// Scenario is one recorded scenario, decoded and validated.
type Scenario struct {
	Name        string       // unique across all files
	Description string       // what the scenario shows
	File        string       // base name of the file it came from
	Tags        []string     // e.g. "time-based", "exact-binds", "upstream-error-text"
	Broker      BrokerConfig // the broker set-up to start
	Steps       []Step
}

// HasTag reports whether the scenario carries tag.
func (s Scenario) HasTag(tag string) bool { return slices.Contains(s.Tags, tag) }

// Kind is a step's action: the JSON key that selects it.
type Kind string

// The step kinds of the transcript format.
const (
	KindConnect         Kind = "connect"
	KindRegister        Kind = "register"
	KindSend            Kind = "send"
	KindExpect          Kind = "expect"
	KindExpectUnordered Kind = "expect_unordered"
	KindExpectNothing   Kind = "expect_nothing_ms"
	KindExpectClosed    Kind = "expect_closed_ms"
	KindClose           Kind = "close"
	KindSleep           Kind = "sleep_ms"
	KindStopReading     Kind = "stop_reading"
	KindBrokerSignal    Kind = "broker_signal"
)

var allKinds = []Kind{KindConnect, KindRegister, KindSend, KindExpect, KindExpectUnordered,
	KindExpectNothing, KindExpectClosed, KindClose, KindSleep, KindStopReading, KindBrokerSignal}

// Step is one decoded step. Only the fields of its Kind are set.
type Step struct {
	Kind      Kind
	Conn      string        // connection name; empty for sleep_ms and broker_signal
	Note      string        // description for people; never compared
	Transport string        // connect: "unix" or "tcp"
	Name      string        // register: the client name
	Data      []byte        // send: bytes before the padding; expect: expected bytes
	Mask      []byte        // expect: 0xff = compare, 0x00 = skip; nil = compare every byte
	PadByte   byte          // send: padding byte
	PadCount  int           // send: number of padding bytes written after Data in the same write
	Items     []Item        // expect_unordered
	Within    time.Duration // expect, expect_unordered: time limit
	Duration  time.Duration // expect_nothing_ms, expect_closed_ms, sleep_ms
	Signal    string        // broker_signal: "SIGTERM"
}

// Item is one expectation of an expect_unordered step.
type Item struct {
	Expect []byte
	Mask   []byte // nil = compare every byte
	Note   string
}

// defaultWithin applies to expect steps that carry no within_ms.
const defaultWithin = 2000 * time.Millisecond

// LoadDir loads every *.json file of dir, in file-name order, keeping each
// file's scenario order. It validates every scenario (known step kinds,
// decodable hex, mask lengths, unique names across files) and returns the
// first problem found.
func LoadDir(dir string) ([]Scenario, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("replay: no *.json files in %s", dir)
	}
	sort.Strings(files)
	var all []Scenario
	seen := make(map[string]string)
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("replay: %w", err)
		}
		ss, err := parseFile(filepath.Base(path), data)
		if err != nil {
			return nil, err
		}
		for _, s := range ss {
			if other, dup := seen[s.Name]; dup {
				return nil, fmt.Errorf("replay: %s: scenario name %q also used in %s", s.File, s.Name, other)
			}
			seen[s.Name] = s.File
		}
		all = append(all, ss...)
	}
	return all, nil
}

type rawFile struct {
	Scenarios []rawScenario `json:"scenarios"`
}

type rawScenario struct {
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Tags        []string `json:"tags"`
	Broker      struct {
		Timeout       *float64 `json:"timeout"`
		QueueSize     *int     `json:"queue_size"`
		ForceRegister bool     `json:"force_register"`
		Binds         *struct {
			Unix string `json:"unix"`
			TCP  string `json:"tcp"`
		} `json:"binds"`
	} `json:"broker"`
	Steps []map[string]json.RawMessage `json:"steps"`
}

// parseFile decodes and validates the scenarios of one file.
func parseFile(file string, data []byte) ([]Scenario, error) {
	var rf rawFile
	if err := json.Unmarshal(data, &rf); err != nil {
		return nil, fmt.Errorf("replay: %s: %w", file, err)
	}
	if rf.Scenarios == nil {
		return nil, fmt.Errorf("replay: %s: no \"scenarios\" array", file)
	}
	out := make([]Scenario, 0, len(rf.Scenarios))
	names := make(map[string]bool)
	for i, rs := range rf.Scenarios {
		s, err := convertScenario(file, rs)
		if err != nil {
			return nil, fmt.Errorf("replay: %s: scenarios[%d] %q: %w", file, i, rs.Name, err)
		}
		if names[s.Name] {
			return nil, fmt.Errorf("replay: %s: duplicate scenario name %q", file, s.Name)
		}
		names[s.Name] = true
		out = append(out, s)
	}
	return out, nil
}

func convertScenario(file string, rs rawScenario) (Scenario, error) {
	s := Scenario{Name: rs.Name, Description: rs.Description, File: file, Tags: rs.Tags}
	if s.Name == "" {
		return s, fmt.Errorf("no name")
	}
	s.Broker.Timeout = 5
	if t := rs.Broker.Timeout; t != nil {
		if *t <= 0 {
			return s, fmt.Errorf("broker timeout %v is not positive", *t)
		}
		s.Broker.Timeout = *t
	}
	if q := rs.Broker.QueueSize; q != nil {
		if *q <= 0 {
			return s, fmt.Errorf("broker queue_size %d is not positive", *q)
		}
		s.Broker.QueueSize = *q
	}
	s.Broker.ForceRegister = rs.Broker.ForceRegister
	if b := rs.Broker.Binds; b != nil {
		if b.Unix == "" || b.TCP == "" {
			return s, fmt.Errorf("binds need both unix and tcp")
		}
		s.Broker.Unix, s.Broker.TCP = b.Unix, b.TCP
	}
	if len(rs.Steps) == 0 {
		return s, fmt.Errorf("no steps")
	}
	s.Steps = make([]Step, 0, len(rs.Steps))
	for i, raw := range rs.Steps {
		st, err := convertStep(raw)
		if err != nil {
			return s, fmt.Errorf("steps[%d]: %w", i, err)
		}
		s.Steps = append(s.Steps, st)
	}
	return s, nil
}

// convertStep decodes one step. Keys it does not know are ignored.
func convertStep(raw map[string]json.RawMessage) (Step, error) {
	var st Step
	var kinds []string
	for _, k := range allKinds {
		if _, ok := raw[string(k)]; ok {
			kinds = append(kinds, string(k))
		}
	}
	switch len(kinds) {
	case 0:
		keys := make([]string, 0, len(raw))
		for k := range raw {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		return st, fmt.Errorf("no known step kind among keys %v", keys)
	case 1:
		st.Kind = Kind(kinds[0])
	default:
		return st, fmt.Errorf("several step kinds in one step: %s", strings.Join(kinds, ", "))
	}
	var err error
	if st.Note, err = optString(raw, "note"); err != nil {
		return st, err
	}
	if st.Kind != KindSleep && st.Kind != KindBrokerSignal {
		if st.Conn, err = optString(raw, "conn"); err != nil {
			return st, err
		}
		if st.Conn == "" {
			return st, fmt.Errorf("%s step without conn", st.Kind)
		}
	}
	switch st.Kind {
	case KindConnect:
		if st.Transport, err = optString(raw, "connect"); err != nil {
			return st, err
		}
		if st.Transport != "unix" && st.Transport != "tcp" {
			return st, fmt.Errorf("connect %q: want \"unix\" or \"tcp\"", st.Transport)
		}
	case KindRegister:
		if st.Name, err = optString(raw, "register"); err != nil {
			return st, err
		}
		if len(st.Name) > 0xffff {
			return st, fmt.Errorf("register name longer than 65535 bytes")
		}
	case KindSend:
		if st.Data, err = hexField(raw, "send"); err != nil {
			return st, err
		}
		if st.PadCount, err = optInt(raw, "pad_count"); err != nil {
			return st, err
		}
		_, hasPadByte := raw["pad_byte"]
		if hasPadByte {
			pb, err := hexField(raw, "pad_byte")
			if err != nil {
				return st, err
			}
			if len(pb) != 1 {
				return st, fmt.Errorf("pad_byte must be one byte, got %d", len(pb))
			}
			st.PadByte = pb[0]
		}
		if st.PadCount > 0 && !hasPadByte {
			return st, fmt.Errorf("pad_count without pad_byte")
		}
	case KindExpect:
		if st.Data, err = hexField(raw, "expect"); err != nil {
			return st, err
		}
		if st.Mask, err = maskField(raw, "mask", len(st.Data)); err != nil {
			return st, err
		}
		if st.Within, err = withinField(raw); err != nil {
			return st, err
		}
	case KindExpectUnordered:
		var items []map[string]json.RawMessage
		if err := json.Unmarshal(raw["expect_unordered"], &items); err != nil {
			return st, fmt.Errorf("expect_unordered: %w", err)
		}
		if len(items) == 0 {
			return st, fmt.Errorf("expect_unordered without items")
		}
		for j, ri := range items {
			var it Item
			if it.Expect, err = hexField(ri, "expect"); err != nil {
				return st, fmt.Errorf("expect_unordered[%d]: %w", j, err)
			}
			if it.Mask, err = maskField(ri, "mask", len(it.Expect)); err != nil {
				return st, fmt.Errorf("expect_unordered[%d]: %w", j, err)
			}
			if it.Note, err = optString(ri, "note"); err != nil {
				return st, fmt.Errorf("expect_unordered[%d]: %w", j, err)
			}
			st.Items = append(st.Items, it)
		}
		if st.Within, err = withinField(raw); err != nil {
			return st, err
		}
	case KindExpectNothing, KindExpectClosed, KindSleep:
		ms, err := optInt(raw, string(st.Kind))
		if err != nil {
			return st, err
		}
		st.Duration = time.Duration(ms) * time.Millisecond
	case KindClose, KindStopReading:
		var v bool
		if err := json.Unmarshal(raw[string(st.Kind)], &v); err != nil || !v {
			return st, fmt.Errorf("%s must be true", st.Kind)
		}
	case KindBrokerSignal:
		if st.Signal, err = optString(raw, "broker_signal"); err != nil {
			return st, err
		}
		if st.Signal != "SIGTERM" {
			return st, fmt.Errorf("broker_signal %q: only SIGTERM is known", st.Signal)
		}
	}
	return st, nil
}

// optString decodes a string field; a missing field is "".
func optString(raw map[string]json.RawMessage, key string) (string, error) {
	v, ok := raw[key]
	if !ok {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return "", fmt.Errorf("%s: %w", key, err)
	}
	return s, nil
}

// optInt decodes a non-negative integer field; a missing field is 0.
func optInt(raw map[string]json.RawMessage, key string) (int, error) {
	v, ok := raw[key]
	if !ok {
		return 0, nil
	}
	var n int
	if err := json.Unmarshal(v, &n); err != nil {
		return 0, fmt.Errorf("%s: %w", key, err)
	}
	if n < 0 {
		return 0, fmt.Errorf("%s: negative value %d", key, n)
	}
	return n, nil
}

func withinField(raw map[string]json.RawMessage) (time.Duration, error) {
	if _, ok := raw["within_ms"]; !ok {
		return defaultWithin, nil
	}
	ms, err := optInt(raw, "within_ms")
	return time.Duration(ms) * time.Millisecond, err
}

// hexField decodes a required hex string field.
func hexField(raw map[string]json.RawMessage, key string) ([]byte, error) {
	v, ok := raw[key]
	if !ok {
		return nil, fmt.Errorf("missing %s", key)
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return nil, fmt.Errorf("%s: %w", key, err)
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", key, err)
	}
	return b, nil
}

// maskField decodes an optional mask of n bytes, each 00 or ff.
func maskField(raw map[string]json.RawMessage, key string, n int) ([]byte, error) {
	if _, ok := raw[key]; !ok {
		return nil, nil
	}
	m, err := hexField(raw, key)
	if err != nil {
		return nil, err
	}
	if len(m) != n {
		return nil, fmt.Errorf("%s has %d bytes, expect has %d", key, len(m), n)
	}
	for i, b := range m {
		if b != 0x00 && b != 0xff {
			return nil, fmt.Errorf("%s byte %d is %02x, want 00 or ff", key, i, b)
		}
	}
	return m, nil
}
