package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"log/syslog"
	"os"
	"strings"
	"sync"
	"time"
)

// newLogger sets logging up as upstream busrtd does (SERVER_AND_CLI.md
// §1.6): --verbose → everything to stdout; otherwise info to stdout in the
// foreground, to syslog when daemonized (unless DISABLE_SYSLOG=1) or with
// --log-syslog; stdout when syslog cannot be opened.
func newLogger(o *options, daemon bool) *slog.Logger {
	level := slog.LevelInfo
	if o.verbose {
		return slog.New(&lineHandler{w: os.Stdout, level: slog.LevelDebug, mu: new(sync.Mutex)})
	}
	useSyslog := o.logSyslog || (daemon && os.Getenv("DISABLE_SYSLOG") != "1")
	if useSyslog {
		if w, err := syslog.New(syslog.LOG_USER|syslog.LOG_INFO, "busrtd"); err == nil {
			return slog.New(&syslogHandler{w: w, level: level})
		}
	}
	return slog.New(&lineHandler{w: os.Stdout, level: level, mu: new(sync.Mutex)})
}

// lineHandler writes upstream's stdout format: local time (RFC 3339,
// seconds), two spaces, the message; then our attributes as key=value.
// Warnings and errors carry their level name.
type lineHandler struct {
	w     io.Writer
	level slog.Level
	attrs string
	mu    *sync.Mutex
}

func (h *lineHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level }

func (h *lineHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	t := r.Time
	if t.IsZero() {
		t = time.Now()
	}
	b.WriteString(t.Format(time.RFC3339))
	b.WriteString("  ")
	if r.Level >= slog.LevelWarn {
		b.WriteString(r.Level.String())
		b.WriteString(" ")
	}
	b.WriteString(r.Message)
	b.WriteString(h.attrs)
	r.Attrs(func(a slog.Attr) bool {
		writeAttr(&b, a)
		return true
	})
	b.WriteString("\n")
	h.mu.Lock()
	defer h.mu.Unlock()
	_, err := io.WriteString(h.w, b.String())
	return err
}

func (h *lineHandler) WithAttrs(as []slog.Attr) slog.Handler {
	var b strings.Builder
	b.WriteString(h.attrs)
	for _, a := range as {
		writeAttr(&b, a)
	}
	return &lineHandler{w: h.w, level: h.level, attrs: b.String(), mu: h.mu}
}

func (h *lineHandler) WithGroup(string) slog.Handler { return h }

func writeAttr(b *strings.Builder, a slog.Attr) {
	if a.Equal(slog.Attr{}) {
		return
	}
	v := a.Value.Resolve().String()
	if strings.ContainsAny(v, " \t\"=") || v == "" {
		v = fmt.Sprintf("%q", v)
	}
	fmt.Fprintf(b, " %s=%s", a.Key, v)
}

// syslogHandler sends records to syslog (RFC 3164, facility USER, tag
// busrtd) at the matching priority.
type syslogHandler struct {
	w     *syslog.Writer
	level slog.Level
	attrs string
}

func (h *syslogHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level }

func (h *syslogHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Message)
	b.WriteString(h.attrs)
	r.Attrs(func(a slog.Attr) bool {
		writeAttr(&b, a)
		return true
	})
	msg := b.String()
	switch {
	case r.Level >= slog.LevelError:
		return h.w.Err(msg)
	case r.Level >= slog.LevelWarn:
		return h.w.Warning(msg)
	case r.Level >= slog.LevelInfo:
		return h.w.Info(msg)
	}
	return h.w.Debug(msg)
}

func (h *syslogHandler) WithAttrs(as []slog.Attr) slog.Handler {
	var b strings.Builder
	b.WriteString(h.attrs)
	for _, a := range as {
		writeAttr(&b, a)
	}
	return &syslogHandler{w: h.w, level: h.level, attrs: b.String()}
}

func (h *syslogHandler) WithGroup(string) slog.Handler { return h }
