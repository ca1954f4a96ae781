package readmetest

import (
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
)

// TestExamplePrograms runs the programs of examples/, which the README
// points to: embedded on its own, and listener and sender, rpc-server and
// rpc-caller against a real busrtd.
func TestExamplePrograms(t *testing.T) {
	bin := buildBinaries(t)
	r := newRunner(t, bin, nil)
	sock := filepath.Join(r.tmp, "busrt.sock")
	exe := func(name string) string { return filepath.Join(bin, name) }

	embedded := r.start("examples/embedded", exe("embedded"), nil)
	r.foreground(embedded)
	r.awaitLines(embedded,
		`^plant\.panel got MESSAGE from plant\.sensor: hello panel$`,
		`^plant\.logger got PUBLISH from plant\.sensor on plant/temp/boiler: 81\.5$`,
		`^plant\.calc double\(ab\) = abab$`,
		`^\.broker test: ok$`)

	broker := r.start("busrtd", exe("busrtd"), []string{"-B", sock})
	r.ready(broker, rx(`BUS/RT broker started`))

	listener := r.start("examples/listener", exe("listener"), []string{sock})
	r.ready(listener, rx(`listening as example.listener`))
	sender := r.start("examples/sender", exe("sender"), []string{sock})
	r.foreground(sender)
	r.awaitLines(sender, `^sent$`)
	r.awaitLines(listener,
		`^PUBLISH from example.sender topic "example/hello": hello, subscribers$`,
		`^MESSAGE from example.sender topic "": hello, listener$`,
		`^BROADCAST from example.sender topic "": hello, everybody$`)

	server := r.start("examples/rpc-server", exe("rpc-server"), []string{sock})
	r.ready(server, rx(`serving as example.rpc`))
	caller := r.start("examples/rpc-caller", exe("rpc-caller"), []string{sock})
	r.foreground(caller)
	r.awaitLines(caller,
		`^broker [0-9]+\.[0-9]+\.[0-9]+, .+$`,
		`^echo: ping$`,
		`^time: [0-9]{4}-[0-9]{2}-[0-9]{2}T`,
		`^no\.such\.method: RPC error -32601 *$`)
	r.awaitLines(server, `^notification from example.caller: bye$`)

	// the long-running examples stop on Ctrl-C, busrtd on SIGTERM
	r.terminate(listener, syscall.SIGINT)
	r.terminate(server, syscall.SIGINT)
	r.terminate(broker, syscall.SIGTERM)
}

// TestBusrtdHelpDocumented checks that docs/operations.md shows the exact
// `busrtd --help` text and that the README's flags table lists every flag
// of it.
func TestBusrtdHelpDocumented(t *testing.T) {
	bin := buildBinaries(t)
	out, err := exec.Command(filepath.Join(bin, "busrtd"), "--help").CombinedOutput()
	if err != nil {
		t.Fatalf("busrtd --help: %v\n%s", err, out)
	}
	help := strings.TrimRight(string(out), "\n")

	root := repoRoot(t)
	blocks, err := readSection(filepath.Join(root, "docs", "operations.md"), "Flags")
	if err != nil {
		t.Fatal(err)
	}
	_, _, text := splitBlocks(blocks)
	if len(text) == 0 || strings.Join(text[0].lines, "\n") != help {
		t.Errorf("docs/operations.md, section Flags: the first text block must be the output of busrtd --help:\n%s", help)
	}

	readme := filepath.Join(root, "README.md")
	table, err := readSectionText(readme, "busrtd flags")
	if err != nil {
		t.Fatal(err)
	}
	flags := regexp.MustCompile(`(?m)^\s+(-[A-Za-z])?(?:, )?(--[a-z-]+)?`)
	for _, m := range flags.FindAllStringSubmatch(help[strings.Index(help, "Options:"):], -1) {
		for _, f := range m[1:] {
			if f != "" && !strings.Contains(table, "`"+f+"`") {
				t.Errorf("%s: the busrtd flags table does not list `%s`", readme, f)
			}
		}
	}
}
