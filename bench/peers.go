package bench

import (
	"fmt"
	"os/exec"
	"time"
)

// nodeScript is the trivial script as `node -e` runs it: 50 tool functions
// in 5 namespaces, then the code, its result JSON on stdout.
func nodeScript(code string) string {
	return `for (let i = 0; i < 50; i++) (globalThis["server" + i % 5] ??= {})["tool_" + i] = (a) => a;
process.stdout.write(JSON.stringify((() => {
` + code + `
})()));`
}

// NodeSubprocess is one execution of the node-subprocess peer: spawn
// node -e, wait for its answer.
func (e Env) NodeSubprocess(code string) error {
	out, err := exec.Command(e.Node(), "-e", nodeScript(code)).Output()
	if err != nil {
		return fmt.Errorf("node -e: %w", err)
	}
	if string(out) != `{"ok":true}` {
		return fmt.Errorf("node -e gave %q", out)
	}
	return nil
}

func (e Env) timeNodeSubprocess(code string, n int, ds *[]time.Duration) error {
	for range n {
		t := time.Now()
		if err := e.NodeSubprocess(code); err != nil {
			return err
		}
		*ds = append(*ds, time.Since(t))
	}
	return nil
}

// timePeer runs n executions of an in-process peer of peers.mjs ("quickjs"
// or "vm") and adds their durations to ds.
func timePeer(d *driver, peer, code string, n int, ds *[]time.Duration) error {
	var got durations
	if err := d.do(map[string]any{"op": peer, "n": n, "code": code, "tools": 50}, &got); err != nil {
		return fmt.Errorf("%s peer: %w", peer, err)
	}
	*ds = append(*ds, fromMS(got.Durations)...)
	return nil
}
