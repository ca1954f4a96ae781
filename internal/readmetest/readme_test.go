package readmetest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Bounds of the steps; every wait in this file has one.
const (
	buildTimeout   = 5 * time.Minute  // go build / go run of the embedding program
	commandTimeout = 30 * time.Second // a foreground command of the quick start
	readyTimeout   = 30 * time.Second // a background command printing its ready line
	outputTimeout  = 15 * time.Second // expected output appearing
	stopTimeout    = 15 * time.Second // a killed job exiting
)

// binDir holds busrtd and busrt, built once for all tests (TestMain).
var (
	binOnce sync.Once
	binDir  string
	binErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		_ = os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// TestReadme runs the quick start and the embedding program of the
// repository's README.md.
func TestReadme(t *testing.T) {
	checkReadme(t, filepath.Join(repoRoot(t), "README.md"))
}

// checkReadme runs the quick start section and the embedding section of
// the README at path.
func checkReadme(t *testing.T, path string) {
	t.Run("QuickStart", func(t *testing.T) { runQuickStart(t, path) })
	t.Run("Embedding", func(t *testing.T) { runEmbedding(t, path) })
}

// ---- markdown ----

// block is one fenced code block.
type block struct {
	lang  string // the word after the opening fence
	lines []string
}

// readSection returns the fenced code blocks of the "## heading" section
// of the markdown file at path (up to the next "## " heading).
func readSection(path, heading string) ([]block, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var (
		blocks    []block
		in, found bool
		cur       *block
	)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case cur != nil:
			if strings.TrimSpace(line) == "```" {
				blocks = append(blocks, *cur)
				cur = nil
			} else {
				cur.lines = append(cur.lines, line)
			}
		case strings.HasPrefix(line, "## "):
			in = strings.EqualFold(strings.TrimSpace(line[3:]), heading)
			found = found || in
		case in && strings.HasPrefix(line, "```"):
			cur = &block{lang: strings.TrimSpace(line[3:])}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if cur != nil {
		return nil, fmt.Errorf("%s: unterminated code block in section %q", path, heading)
	}
	if !found {
		return nil, fmt.Errorf("%s: no %q section", path, "## "+heading)
	}
	return blocks, nil
}

// splitBlocks separates shell blocks (commands), Go blocks and text blocks
// (expected output).
func splitBlocks(blocks []block) (shell, golang, text []block) {
	for _, b := range blocks {
		switch b.lang {
		case "sh", "shell", "bash", "console":
			shell = append(shell, b)
		case "go":
			golang = append(golang, b)
		case "text", "":
			text = append(text, b)
		}
	}
	return
}

// ---- the quick start ----

func runQuickStart(t *testing.T, path string) {
	blocks, err := readSection(path, "Quick start")
	if err != nil {
		t.Fatal(err)
	}
	shell, _, text := splitBlocks(blocks)
	if len(shell) == 0 || len(text) == 0 {
		t.Fatalf("%s: the quick start needs a sh block of commands and text blocks of their output", path)
	}
	r := newRunner(t, buildBinaries(t), expectations(text))
	for _, b := range shell {
		for _, line := range b.lines {
			args, bg, err := splitShell(line)
			if err != nil {
				t.Fatalf("quick start line %q: %v", line, err)
			}
			if len(args) > 0 {
				r.run(line, args, bg)
			}
		}
	}
	r.awaitExpected()
}

// expectation is a text block: consecutive output lines of one command.
type expectation struct {
	text  string
	lines []*regexp.Regexp
}

// expectations compiles the text blocks. cli.HOST.PID stands for any
// default client name (cli.<hostname>.<pid>).
func expectations(text []block) []expectation {
	var ex []expectation
	for _, b := range text {
		e := expectation{text: strings.Join(b.lines, "\n")}
		for _, l := range b.lines {
			l = strings.TrimRight(l, " \t")
			if l == "" {
				continue
			}
			q := regexp.QuoteMeta(l)
			q = strings.ReplaceAll(q, regexp.QuoteMeta("cli.HOST.PID"), `cli\.\S+\.[0-9]+`)
			e.lines = append(e.lines, regexp.MustCompile("^"+q+"$"))
		}
		if len(e.lines) > 0 {
			ex = append(ex, e)
		}
	}
	return ex
}

// matches reports whether e's lines appear consecutively in out.
func (e expectation) matches(out string) bool {
	lines := strings.Split(out, "\n")
	for i := range lines {
		lines[i] = strings.TrimRight(lines[i], " \t\r")
	}
	for i := 0; i+len(e.lines) <= len(lines); i++ {
		ok := true
		for j, re := range e.lines {
			if !re.MatchString(lines[i+j]) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// runner runs the commands of a quick start.
type runner struct {
	t        *testing.T
	bin, tmp string
	port     string // TCP port of the test's busrtd, once it runs
	expected []expectation
	bg       []*job // background jobs, in start order (kill %N)
	all      []*job // every command
	ev       notifier
	killed   bool // a kill line ran (expected output was awaited first)
}

func newRunner(t *testing.T, bin string, expected []expectation) *runner {
	r := &runner{t: t, bin: bin, tmp: shortTempDir(t), expected: expected}
	r.ev.init()
	t.Cleanup(func() {
		for _, j := range r.all {
			j.stop()
		}
	})
	return r
}

// run runs one command line.
func (r *runner) run(line string, args []string, bg bool) {
	t := r.t
	if args[0] == "kill" {
		if bg {
			t.Fatalf("%q: kill in the background", line)
		}
		r.kill(line, args[1:])
		return
	}
	prog, rest, ok := program(args)
	if !ok {
		t.Fatalf("quick start line %q: only `go run ./cmd/busrtd`, `go run ./cmd/busrt`, busrtd, busrt and kill %%N are understood", line)
	}
	rest = r.rewrite(prog, rest)
	j := r.start(line, filepath.Join(r.bin, prog), rest)
	if !bg {
		r.foreground(j)
		return
	}
	r.bg = append(r.bg, j)
	ready := readyLine(prog, rest)
	if ready == nil {
		t.Fatalf("%q: the test does not know when this background command is ready", line)
	}
	r.ready(j, ready)
	if prog == "busrtd" {
		m := regexp.MustCompile(`started, listening on .*127\.0\.0\.1:([0-9]+)`).FindStringSubmatch(j.out.String())
		if m == nil {
			t.Fatalf("%q: no TCP address in its start-up line:\n%s", line, j.out.String())
		}
		r.port = m[1]
	}
}

// foreground waits until j exits, which it must do with status 0.
func (r *runner) foreground(j *job) {
	if !r.ev.waitFor(j.exited, commandTimeout) {
		r.t.Fatalf("%q did not finish within %v:\n%s", j.line, commandTimeout, j.out.String())
	}
	if err := j.exitErr(); err != nil {
		r.t.Fatalf("%q: %v\n%s", j.line, err, j.out.String())
	}
}

// ready waits until the background job j prints a line matching re.
func (r *runner) ready(j *job, re *regexp.Regexp) {
	if !r.ev.waitFor(func() bool { return re.MatchString(j.out.String()) || j.exited() }, readyTimeout) || j.exited() {
		r.t.Fatalf("%q did not get ready (exit: %v):\n%s", j.line, j.exitErr(), j.out.String())
	}
}

// terminate sends sig to j and waits for its exit, which must have
// status 0.
func (r *runner) terminate(j *job, sig os.Signal) {
	if !j.exited() {
		_ = j.cmd.Process.Signal(sig)
	}
	if !r.ev.waitFor(j.exited, stopTimeout) {
		r.t.Fatalf("%q did not exit within %v of %v:\n%s", j.line, stopTimeout, sig, j.out.String())
	}
	if err := j.exitErr(); err != nil {
		r.t.Fatalf("%q: %v\n%s", j.line, err, j.out.String())
	}
}

// awaitLines waits until j's output has a line matching each pattern.
func (r *runner) awaitLines(j *job, patterns ...string) {
	res := make([]*regexp.Regexp, len(patterns))
	for i, p := range patterns {
		res[i] = regexp.MustCompile("(?m)" + p)
	}
	all := func() bool {
		out := j.out.String()
		for _, re := range res {
			if !re.MatchString(out) {
				return false
			}
		}
		return true
	}
	if !r.ev.waitFor(all, outputTimeout) {
		r.t.Fatalf("%q printed\n%s\nwant lines matching %q", j.line, j.out.String(), patterns)
	}
}

// program recognizes the two binaries, in `go run` and installed form.
func program(args []string) (prog string, rest []string, ok bool) {
	if len(args) >= 3 && args[0] == "go" && args[1] == "run" {
		switch strings.TrimSuffix(args[2], "/") {
		case "./cmd/busrtd":
			return "busrtd", args[3:], true
		case "./cmd/busrt":
			return "busrt", args[3:], true
		}
		return "", nil, false
	}
	if args[0] == "busrtd" || args[0] == "busrt" {
		return args[0], args[1:], true
	}
	return "", nil, false
}

var (
	socketPath = regexp.MustCompile(`/tmp/([A-Za-z0-9_.-]+\.(?:sock|socket|ipc))`)
	port9924   = regexp.MustCompile(`:9924\b`)
)

// rewrite moves socket paths to the test's directory and port 9924 to the
// test broker's port; a busrtd without -B gets the defaults' equivalents.
func (r *runner) rewrite(prog string, args []string) []string {
	out := make([]string, 0, len(args)+4)
	binds := false
	for _, a := range args {
		if a == "-B" || a == "--bind" || strings.HasPrefix(a, "--bind=") {
			binds = true
		}
		a = socketPath.ReplaceAllString(a, filepath.Join(r.tmp, "$1"))
		if port9924.MatchString(a) {
			if prog == "busrtd" {
				a = port9924.ReplaceAllString(a, ":0")
			} else {
				if r.port == "" {
					r.t.Fatalf("%v uses port 9924 before a busrtd runs", args)
				}
				a = port9924.ReplaceAllString(a, ":"+r.port)
			}
		}
		out = append(out, a)
	}
	if prog == "busrtd" && !binds {
		out = append(out, "-B", filepath.Join(r.tmp, "busrt.sock"), "-B", "127.0.0.1:0")
	}
	return out
}

// readyLine is what a background command prints once it serves.
func readyLine(prog string, args []string) *regexp.Regexp {
	if prog == "busrtd" {
		return regexp.MustCompile(`BUS/RT broker started`)
	}
	for _, a := range args {
		if a == "listen" {
			return regexp.MustCompile(`(?m)^Listening to (RPC )?messages for `)
		}
	}
	return nil
}

// kill stops background jobs with SIGTERM; each must exit with status 0.
// The expected output is awaited first, as a reader would see it before
// stopping anything.
func (r *runner) kill(line string, specs []string) {
	t := r.t
	if len(specs) == 0 {
		t.Fatalf("%q: kill what?", line)
	}
	if !r.killed {
		r.killed = true
		r.awaitExpected()
	}
	for _, s := range specs {
		n, err := strconv.Atoi(strings.TrimPrefix(s, "%"))
		if !strings.HasPrefix(s, "%") || err != nil || n < 1 || n > len(r.bg) {
			t.Fatalf("%q: %s is not a background job (%d started)", line, s, len(r.bg))
		}
		r.terminate(r.bg[n-1], syscall.SIGTERM)
	}
}

// awaitExpected waits until every text block has appeared in the output
// of some command.
func (r *runner) awaitExpected() {
	missing := func() []expectation {
		var m []expectation
		for _, e := range r.expected {
			found := false
			for _, j := range r.all {
				if e.matches(j.out.String()) {
					found = true
					break
				}
			}
			if !found {
				m = append(m, e)
			}
		}
		return m
	}
	if r.ev.waitFor(func() bool { return len(missing()) == 0 }, outputTimeout) {
		return
	}
	var b strings.Builder
	for _, j := range r.all {
		fmt.Fprintf(&b, "--- %s\n%s\n", j.line, j.out.String())
	}
	for _, e := range missing() {
		r.t.Errorf("expected output not printed by any command:\n%s", e.text)
	}
	r.t.Fatalf("outputs:\n%s", b.String())
}

// ---- processes ----

// job is one started command.
type job struct {
	line string
	cmd  *exec.Cmd
	out  *output
	done chan struct{}
	err  error // valid once done is closed
}

func (r *runner) start(line, exe string, args []string) *job {
	cmd := exec.Command(exe, args...)
	j := &job{line: line, cmd: cmd, out: &output{ev: &r.ev}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = j.out, j.out
	if err := cmd.Start(); err != nil {
		r.t.Fatalf("%q: %v", line, err)
	}
	r.all = append(r.all, j)
	go func() {
		j.err = cmd.Wait()
		close(j.done)
		r.ev.signal()
	}()
	return j
}

func (j *job) exited() bool {
	select {
	case <-j.done:
		return true
	default:
		return false
	}
}

// exitErr returns the exit error of a job that exited.
func (j *job) exitErr() error {
	if !j.exited() {
		return errors.New("still running")
	}
	return j.err
}

// stop kills a job that still runs and waits for it (test cleanup).
func (j *job) stop() {
	if j.exited() {
		return
	}
	_ = j.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-j.done:
	case <-time.After(stopTimeout):
		_ = j.cmd.Process.Kill()
		<-j.done
	}
}

// output collects a command's stdout and stderr and signals every write.
type output struct {
	mu sync.Mutex
	b  strings.Builder
	ev *notifier
}

func (o *output) Write(p []byte) (int, error) {
	o.mu.Lock()
	o.b.Write(p)
	o.mu.Unlock()
	o.ev.signal()
	return len(p), nil
}

func (o *output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.String()
}

// notifier wakes waiters whenever something happened (output, an exit).
type notifier struct {
	mu sync.Mutex
	ch chan struct{}
}

func (n *notifier) init() { n.ch = make(chan struct{}) }

func (n *notifier) signal() {
	n.mu.Lock()
	close(n.ch)
	n.ch = make(chan struct{})
	n.mu.Unlock()
}

func (n *notifier) changed() <-chan struct{} {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.ch
}

// waitFor waits until cond holds, re-checking after every event, for at
// most d.
func (n *notifier) waitFor(cond func() bool, d time.Duration) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		ch := n.changed() // before checking: no event is missed
		if cond() {
			return true
		}
		select {
		case <-ch:
		case <-timer.C:
			return cond()
		}
	}
}

// ---- shell lines ----

// splitShell splits one command line into words: single and double
// quotes, a trailing `&` and `# comments` are understood; pipes,
// redirections, substitutions and separators are refused.
func splitShell(line string) (args []string, bg bool, err error) {
	var (
		cur     strings.Builder
		inWord  bool
		quote   rune
		escaped bool
	)
	flush := func() {
		if inWord {
			args = append(args, cur.String())
			cur.Reset()
			inWord = false
		}
	}
scan:
	for _, c := range line {
		switch {
		case escaped:
			cur.WriteRune(c)
			escaped = false
		case quote == '\'':
			if c == '\'' {
				quote = 0
			} else {
				cur.WriteRune(c)
			}
		case quote == '"':
			switch c {
			case '"':
				quote = 0
			case '\\':
				escaped = true
			case '$', '`':
				return nil, false, fmt.Errorf("%q inside double quotes is not supported", c)
			default:
				cur.WriteRune(c)
			}
		case c == ' ' || c == '\t':
			flush()
		case c == '#' && !inWord:
			break scan // a comment
		case c == '\'' || c == '"':
			quote = c
			inWord = true
		case c == '\\':
			escaped = true
			inWord = true
		case strings.ContainsRune("|;<>()$`{}*?", c):
			return nil, false, fmt.Errorf("%q is not supported", c)
		case c == '&':
			if bg || inWord {
				return nil, false, errors.New("& only ends a line")
			}
			bg = true
		default:
			if bg {
				return nil, false, errors.New("& only ends a line")
			}
			cur.WriteRune(c)
			inWord = true
		}
	}
	if quote != 0 || escaped {
		return nil, false, errors.New("unterminated quote or escape")
	}
	flush()
	if bg && len(args) == 0 {
		return nil, false, errors.New("& without a command")
	}
	return args, bg, nil
}

// ---- the embedding program ----

func runEmbedding(t *testing.T, path string) {
	blocks, err := readSection(path, "Embedding")
	if err != nil {
		t.Fatal(err)
	}
	_, golang, text := splitBlocks(blocks)
	if len(golang) != 1 || len(text) == 0 {
		t.Fatalf("%s: the embedding section needs one go block and a text block of its output", path)
	}
	dir := shortTempDir(t)
	src := socketPath.ReplaceAllString(strings.Join(golang[0].lines, "\n")+"\n", filepath.Join(dir, "$1"))
	main := filepath.Join(dir, "main.go")
	if err := os.WriteFile(main, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "run", main)
	cmd.Dir = repoRoot(t) // the program imports this module
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go run the embedding example: %v\n%s", err, out)
	}
	for _, e := range expectations(text) {
		if !e.matches(string(out)) {
			t.Errorf("the embedding example printed\n%s\nwant\n%s", out, e.text)
		}
	}
}

// ---- helpers ----

// repoRoot is the module root (this package is internal/readmetest).
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if !fileExists(filepath.Join(root, "go.mod")) {
		t.Fatalf("%s is not the module root", root)
	}
	return root
}

// buildBinaries builds busrtd, busrt and the examples/ programs once per
// test binary.
func buildBinaries(t *testing.T) string {
	t.Helper()
	root := repoRoot(t)
	binOnce.Do(func() {
		binDir, binErr = os.MkdirTemp("", "readmetest-bin")
		if binErr != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
		defer cancel()
		cmd := exec.CommandContext(ctx, "go", "build", "-o", binDir+string(filepath.Separator),
			"./cmd/busrtd", "./cmd/busrt", "./examples/...")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binDir
}

// shortTempDir is a temporary directory with a short path: UNIX socket
// paths are limited to 107 bytes.
func shortTempDir(t *testing.T) string {
	t.Helper()
	d, err := os.MkdirTemp("", "rdm")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(d) })
	return d
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// rx compiles a multi-line regular expression.
func rx(pattern string) *regexp.Regexp { return regexp.MustCompile("(?m)" + pattern) }

// readSectionText returns the text of the "## heading" section of the
// markdown file at path, code blocks included.
func readSectionText(path, heading string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	var sec strings.Builder
	in, found := false, false
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "## ") {
			in = strings.EqualFold(strings.TrimSpace(line[3:]), heading)
			found = found || in
		}
		if in {
			sec.WriteString(line)
			sec.WriteByte('\n')
		}
	}
	if !found {
		return "", fmt.Errorf("%s: no %q section", path, "## "+heading)
	}
	return sec.String(), nil
}
