package benchmarks

import (
	"encoding/json"
	"io"
	"time"
)

// JSON document printed by --json. Durations are seconds (stages) or
// microseconds (latencies), as numbers.

type jsonReport struct {
	Address        string      `json:"address"`
	Network        string      `json:"network"`
	Embedded       bool        `json:"embedded"`
	Broker         *jsonBroker `json:"broker,omitempty"`
	Workers        int         `json:"workers"`
	ClientThreads  int         `json:"client_threads"`
	Iters          int64       `json:"iters"`
	ItersPerWorker int64       `json:"iters_per_worker"`
	PayloadSize    int         `json:"payload_size"`
	Stages         []jsonStage `json:"stages"`
	Ratios         []jsonRatio `json:"ratios,omitempty"`
	Machine        Machine     `json:"machine"`
	Date           string      `json:"date"`
}

type jsonBroker struct {
	Workers   int     `json:"workers"`
	TimeoutS  float64 `json:"timeout_s"`
	BufSize   int     `json:"buf_size"`
	BufTTLUs  float64 `json:"buf_ttl_us"`
	QueueSize int     `json:"queue_size"`
}

type jsonStage struct {
	Name        string       `json:"name"`
	Iters       int64        `json:"iters"`
	Errors      int64        `json:"errors"`
	Secs        float64      `json:"secs"`
	ItersPerSec int64        `json:"iters_per_sec"`
	Latency     *jsonLatency `json:"latency,omitempty"`
}

type jsonLatency struct {
	P50Us  float64 `json:"p50_us"`
	P99Us  float64 `json:"p99_us"`
	P999Us float64 `json:"p99_9_us"`
	MaxUs  float64 `json:"max_us"`
}

// jsonRatio keeps the keys "broker" and "raw" of the first ratios (broker
// stage / raw-socket twin): they are the stage's and the baseline's value.
type jsonRatio struct {
	Stage    string  `json:"stage"`
	Baseline string  `json:"baseline"`
	Metric   string  `json:"metric"`
	Broker   float64 `json:"broker"`
	Raw      float64 `json:"raw"`
	Ratio    float64 `json:"ratio"`
}

// writeJSON prints rep as one indented JSON document.
func writeJSON(w io.Writer, rep *Report) error {
	doc := jsonReport{
		Address: rep.Address, Network: rep.Network, Embedded: rep.Embedded,
		Workers: rep.Workers, ClientThreads: rep.ClientThreads, Iters: rep.Iters, ItersPerWorker: rep.ItersPerWorker,
		PayloadSize: rep.PayloadSize, Machine: rep.Machine,
		Date:   rep.Date.Format(time.RFC3339),
		Stages: []jsonStage{},
	}
	if b := rep.Broker; b != nil {
		doc.Broker = &jsonBroker{
			Workers: b.Workers, TimeoutS: b.Timeout.Seconds(), BufSize: b.BufSize,
			BufTTLUs: micros(b.BufTTL), QueueSize: b.QueueSize,
		}
	}
	for _, s := range rep.Stages {
		js := jsonStage{Name: s.Name, Iters: s.Iters, Errors: s.Errors, Secs: s.Elapsed.Seconds(), ItersPerSec: s.ItersPerSec}
		if l := s.Latency; l != nil {
			js.Latency = &jsonLatency{P50Us: micros(l.P50), P99Us: micros(l.P99), P999Us: micros(l.P999), MaxUs: micros(l.Max)}
		}
		doc.Stages = append(doc.Stages, js)
	}
	for _, q := range rep.Ratios {
		doc.Ratios = append(doc.Ratios, jsonRatio(q))
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}
