package main

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/spf13/pflag"

	"github.com/busrt-go/busrt/gen"
	"github.com/busrt-go/busrt/proto"
	"github.com/busrt-go/busrt/rtclient"
)

// Output formats of upstream's CLI (SERVER_AND_CLI.md §2.3).

// printPayload prints a received payload: JSON object, string, MessagePack
// (as JSON) or hex, first that fits. silent selects compact JSON, a bare
// string and raw bytes instead of hex.
func (c *cli) printPayload(p []byte, silent bool) {
	if bytes.IndexFunc(p, func(r rune) bool { return r < 9 }) < 0 && utf8.Valid(p) {
		if js, ok := jsonObject(p, silent); ok {
			if !silent {
				fmt.Fprintln(c.out, "JSON:")
			}
			fmt.Fprintln(c.out, js)
			return
		}
		prefix := "STR: "
		if silent {
			prefix = ""
		}
		fmt.Fprintf(c.out, "%s %s\n", prefix, p)
		return
	}
	js, err := gen.MsgpackToJSON(p, !silent)
	if err == nil || errors.Is(err, gen.ErrTrailingBytes) { // upstream ignores trailing bytes
		if !silent {
			fmt.Fprintln(c.out, "MSGPACK:")
		}
		fmt.Fprintf(c.out, "%s\n", js)
		return
	}
	if silent {
		_, _ = c.out.Write(p)
		return
	}
	dots := ""
	if len(p) > 256 {
		p, dots = p[:256], "..."
	}
	fmt.Fprintf(c.out, "HEX: %s%s\n", hex.EncodeToString(p), dots)
}

// jsonObject parses p as a JSON object and formats it as upstream does:
// keys sorted, pretty with two-space indentation unless compact.
func jsonObject(p []byte, compact bool) (string, bool) {
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(p))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil || m == nil || dec.More() {
		return "", false
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	if !compact {
		enc.SetIndent("", "  ")
	}
	if err := enc.Encode(m); err != nil {
		return "", false
	}
	return strings.TrimSuffix(out.String(), "\n"), true
}

// kindName is upstream's Debug name of a frame kind.
func kindName(k proto.Kind) string {
	switch k {
	case proto.KindMessage:
		return "Message"
	case proto.KindBroadcast:
		return "Broadcast"
	case proto.KindPublish:
		return "Publish"
	}
	return k.String()
}

func (c *cli) sep() { fmt.Fprintln(c.out, "----") }

// printFrame prints an incoming frame (always in the non-silent payload
// format, as upstream).
func (c *cli) printFrame(f *rtclient.Frame) {
	c.infof("Incoming frame %s byte(s)", fnum(uint64(len(f.Payload))))
	fmt.Fprintf(c.out, "%s from %s (%s)\n", kindName(f.Kind), f.Sender, f.PrimarySender())
	if f.Kind == proto.KindPublish {
		fmt.Fprintf(c.out, "topic: %s\n", f.Topic)
	}
	c.printPayload(f.Payload, false)
	c.sep()
}

// fnum formats n with `_` as thousands separator (1_234_567).
func fnum(n uint64) string {
	s := strconv.FormatUint(n, 10)
	if len(s) <= 3 {
		return s
	}
	var b strings.Builder
	lead := len(s) % 3
	if lead > 0 {
		b.WriteString(s[:lead])
	}
	for i := lead; i < len(s); i += 3 {
		if b.Len() > 0 {
			b.WriteByte('_')
		}
		b.WriteString(s[i : i+3])
	}
	return b.String()
}

// printTable prints rows under titles in upstream's table layout: columns
// left-aligned and separated by two spaces, a dashed line under the
// titles.
func (c *cli) printTable(titles []string, rows [][]string) {
	widths := make([]int, len(titles))
	for i, t := range titles {
		widths[i] = utf8.RuneCountInString(t)
	}
	for _, r := range rows {
		for i, cell := range r {
			widths[i] = max(widths[i], utf8.RuneCountInString(cell))
		}
	}
	line := func(cells []string) {
		var b strings.Builder
		b.WriteByte(' ')
		for i, cell := range cells {
			if i > 0 {
				b.WriteString("  ")
			}
			b.WriteString(cell)
			b.WriteString(strings.Repeat(" ", widths[i]-utf8.RuneCountInString(cell)))
		}
		fmt.Fprintln(c.out, strings.TrimRight(b.String(), " "))
	}
	line(titles)
	total := 1
	for _, w := range widths {
		total += w + 2
	}
	fmt.Fprintln(c.out, strings.Repeat("-", total+1))
	for _, r := range rows {
		line(r)
	}
}

// flagUsages lists the flags of fs, one per line, without pflag's
// `[=true|false]` decoration of booleans.
func flagUsages(fs *pflag.FlagSet) string {
	type row struct{ names, usage string }
	var rows []row
	width := 0
	fs.VisitAll(func(f *pflag.Flag) {
		names := "    "
		if f.Shorthand != "" {
			names = "-" + f.Shorthand + ", "
		}
		names += "--" + f.Name
		varname, usage := pflag.UnquoteUsage(f)
		if f.Value.Type() != "bool" {
			names += " " + varname
			if d := f.DefValue; d != "" && d != "[]" && d != "0" {
				usage += " (default " + d + ")"
			}
		}
		width = max(width, len(names))
		rows = append(rows, row{names, usage})
	})
	var b strings.Builder
	for _, r := range rows {
		fmt.Fprintf(&b, "  %-*s  %s\n", width, r.names, r.usage)
	}
	return b.String()
}
