package bench

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
)

// Env locates what the benchmark runs: the repository, its pinned npm
// packages and Node.
type Env struct {
	Root string // the repository root (holding go.mod)
}

// FindEnv walks up from dir to the directory holding go.mod.
func FindEnv(dir string) (Env, error) {
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return Env{Root: d}, nil
		}
		if filepath.Dir(d) == d {
			return Env{}, fmt.Errorf("no go.mod above %s: run the benchmark from the repository", dir)
		}
	}
}

// NodeModules is npm/node_modules.
func (e Env) NodeModules() string { return filepath.Join(e.Root, "npm", "node_modules") }

// Node is the pinned Node binary.
func (e Env) Node() string { return filepath.Join(e.NodeModules(), "node", "bin", "node") }

// check reports what is missing, with the command that installs it.
func (e Env) check() error {
	for _, p := range []string{e.Node(), filepath.Join(e.NodeModules(), "quickjs-emscripten"),
		filepath.Join(e.NodeModules(), "@modelcontextprotocol", "sdk")} {
		if _, err := os.Stat(p); err != nil {
			return fmt.Errorf("%s is missing: run `npm ci --prefix npm` first", p)
		}
	}
	return nil
}

// driver is a node script answering one JSON request per line.
type driver struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Scanner
}

// startDriver runs bench/node/SCRIPT with the node modules and args.
func (e Env) startDriver(script string, args ...string) (*driver, error) {
	return startNode(e.Node(), filepath.Join(e.Root, "bench", "node", script), append([]string{e.NodeModules()}, args...)...)
}

// startNode runs the driver script with node and args.
func startNode(node, script string, args ...string) (*driver, error) {
	cmd := exec.Command(node, append([]string{script}, args...)...)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	sc := bufio.NewScanner(out)
	sc.Buffer(nil, 64<<20)
	return &driver{cmd: cmd, in: in, out: sc}, nil
}

// do sends req and decodes the answer's ok into v.
func (d *driver) do(req map[string]any, v any) error {
	data, _ := json.Marshal(req)
	if _, err := d.in.Write(append(data, '\n')); err != nil {
		return err
	}
	if !d.out.Scan() {
		return fmt.Errorf("%v: the driver closed its output: %v", req["op"], d.out.Err())
	}
	var ans struct {
		OK    json.RawMessage `json:"ok"`
		Error string          `json:"error"`
	}
	if err := json.Unmarshal(d.out.Bytes(), &ans); err != nil {
		return fmt.Errorf("%v: %w in %q", req["op"], err, d.out.Bytes())
	}
	if ans.Error != "" {
		return errors.New(ans.Error)
	}
	return json.Unmarshal(ans.OK, v)
}

// durations is the answer of a timing request.
type durations struct {
	Durations    []float64 `json:"durations"`
	Wall         float64   `json:"wall"`
	Failures     int       `json:"failures"`
	FirstFailure string    `json:"firstFailure"`
}

func (d *driver) close() error {
	d.in.Write([]byte(`{"op":"close"}` + "\n"))
	d.in.Close()
	return d.cmd.Wait()
}
