package bench

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// The UTCP code-mode peer (issue 18: "≥ 10× the UTCP peer end to end"):
// @utcp/code-mode's client runs each script in a fresh isolated-vm isolate
// (V8) in the user's Node process, with the benchmark's upstream registered
// through UTCP's MCP call template, over stdio as ours has it. It is pinned
// in bench/node/utcp (not npm/, which CI installs: isolated-vm builds from
// source) and driven by bench/node/utcp.mjs, interleaved with ours in the
// same rounds.

// UTCPFigures are the UTCP peer's figures.
type UTCPFigures struct {
	Node  string `json:"node"`  // the Node that ran it (isolated-vm's ABI)
	Tools int    `json:"tools"` // tools the client registered from the upstream
	// Trivial is callToolChain of the trivial script; Call is one of a
	// script calling the upstream's echo once.
	Trivial Latency `json:"trivial"`
	Call    Latency `json:"upstream_call"`
}

// The UTCP peer's scripts: the trivial one as ours, and one call of echo
// as UTCP names it (manual.server_tool) and calls it (synchronously; the
// result is the tool's structured content).
const (
	UTCPTrivialJS = TrivialJS
	UTCPCallJS    = `const r = bench.bench_echo({ text: "hi" });
return { ok: r.text === "hi" };`
)

// UTCPModules is bench/node/utcp/node_modules.
func (e Env) UTCPModules() string {
	return filepath.Join(e.Root, "bench", "node", "utcp", "node_modules")
}

// UTCPInstall is the command that installs the UTCP peer, building
// isolated-vm against the headers of the node on PATH.
const UTCPInstall = `npm_config_nodedir="$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")" npm ci --prefix bench/node/utcp`

// startUTCP starts bench/node/utcp.mjs with the node on PATH (the one
// isolated-vm was built for) and the upstream, and checks that the client
// registered the upstream's tools. The error says how to install it.
func (e Env) startUTCP(upstream []string) (*driver, *UTCPFigures, error) {
	mods := e.UTCPModules()
	if _, err := os.Stat(filepath.Join(mods, "isolated-vm", "out", "isolated_vm.node")); err != nil {
		return nil, nil, fmt.Errorf("the UTCP peer is not installed (%s has no isolated-vm build): run `%s`", mods, UTCPInstall)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, nil, fmt.Errorf("the UTCP peer runs with the node on PATH, the one isolated-vm was built for: %w", err)
	}
	f := &UTCPFigures{}
	if out, err := exec.Command(node, "--version").Output(); err == nil {
		f.Node = strings.TrimSpace(string(out))
	}
	d, err := startNode(node, filepath.Join(e.Root, "bench", "node", "utcp.mjs"), append([]string{mods}, upstream...)...)
	if err != nil {
		return nil, nil, err
	}
	var tools struct{ Tools int }
	if err := d.do(map[string]any{"op": "tools"}, &tools); err != nil {
		d.close()
		return nil, nil, fmt.Errorf("UTCP peer: %w", err)
	}
	if f.Tools = tools.Tools; f.Tools == 0 {
		d.close()
		return nil, nil, errors.New("UTCP peer: the client registered no tools of the upstream")
	}
	return d, f, nil
}

// timeUTCP runs n callToolChain of code and adds their durations to ds.
func timeUTCP(d *driver, code string, n int, ds *[]time.Duration) error {
	var got durations
	if err := d.do(map[string]any{"op": "time", "n": n, "code": code}, &got); err != nil {
		return fmt.Errorf("UTCP peer: %w", err)
	}
	*ds = append(*ds, fromMS(got.Durations)...)
	return nil
}
