package bench

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Servers builds and configures the mcp-codemode binary the end-to-end
// measurements run.
type Servers struct {
	Env
	Binary   string // the built ./cmd/mcp-codemode
	Config   string // a configuration with the benchmark upstream, default limits
	Wide     string // the same with memory_limit_mb WideLimitMB
	InProc   string // the same as Config with isolation "inprocess" (hosted mode defaults to "process")
	Upstream []string
	dir      string
}

// NewServers builds the binary into a temporary directory and writes the
// configurations whose one upstream ("bench") is upstream, a command line
// serving Upstream on stdio.
func (e Env) NewServers(upstream []string) (*Servers, error) {
	dir, err := os.MkdirTemp("", "mcp-codemode-bench")
	if err != nil {
		return nil, err
	}
	s := &Servers{Env: e, Binary: filepath.Join(dir, "mcp-codemode"), Config: filepath.Join(dir, "config.json"),
		Wide: filepath.Join(dir, "wide.json"), InProc: filepath.Join(dir, "inprocess.json"), Upstream: upstream, dir: dir}
	build := exec.Command("go", "build", "-o", s.Binary, "./cmd/mcp-codemode")
	build.Dir, build.Stderr = e.Root, os.Stderr
	if err := build.Run(); err != nil {
		return nil, fmt.Errorf("go build ./cmd/mcp-codemode: %w", err)
	}
	if err := s.writeConfig(s.Config, map[string]any{}); err != nil {
		return nil, err
	}
	if err := s.writeConfig(s.InProc, map[string]any{"isolation": "inprocess"}); err != nil {
		return nil, err
	}
	return s, s.writeConfig(s.Wide, map[string]any{"memory_limit_mb": WideLimitMB})
}

// writeConfig writes a configuration with the upstream and codemode
// settings: up to 256 executions at once (in all and per session), 256
// sessions for the clients' one subject, a data directory of its own (the
// servers the HTTP rounds load in turn are up at once, and would share
// their sessions' budget and their database), and the rest of codemode.
func (s *Servers) writeConfig(path string, codemode map[string]any) error {
	codemode["max_concurrent"], codemode["max_concurrent_per_session"] = 256, 256
	codemode["max_sessions_per_subject"], codemode["max_concurrent_per_subject"] = 256, 256
	codemode["data_dir"] = filepath.Join(s.dir, "data-"+strings.TrimSuffix(filepath.Base(path), ".json"))
	cfg := map[string]any{
		"mcpServers": map[string]any{"bench": map[string]any{"command": s.Upstream[0], "args": s.Upstream[1:]}},
		"codemode":   codemode,
	}
	data, _ := json.Marshal(cfg)
	return os.WriteFile(path, data, 0o600)
}

// Close removes the binary and configuration.
func (s *Servers) Close() error { return os.RemoveAll(s.dir) }

// WideLimitMB is the memory_limit_mb of the configuration that admits 100
// executions at once: the sandbox admits executions while the sum of their
// limits fits its 1 GiB process budget, 8 at once with the default 128 MB.
const WideLimitMB = 10

// stdio starts the SDK client driver on the binary serving stdio with
// configuration config.
func (s *Servers) stdio(config string) (*driver, error) {
	return s.startDriver("stdio.mjs", s.Binary, "serve", "--config", config)
}

// hostedServer is the binary serving streamable HTTP on a loopback port.
type hostedServer struct {
	cmd *exec.Cmd
	url string
}

var servingLine = regexp.MustCompile(`msg"?[=:]"?serving.*address"?[=:]"?([0-9.:\[\]]+)`)

// http starts the binary serving streamable HTTP with configuration config
// and waits for its address.
func (s *Servers) http(config string) (*hostedServer, error) {
	cmd := exec.Command(s.Binary, "serve", "--transport", "http", "--listen", "127.0.0.1:0", "--config", config)
	pipe, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			if m := servingLine.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
	}()
	select {
	case a := <-addr:
		return &hostedServer{cmd: cmd, url: "http://" + a + "/mcp"}, nil
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		return nil, fmt.Errorf("%s serve --transport http: no serving line in 30s", s.Binary)
	}
}

func (h *hostedServer) close() {
	h.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { h.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		h.cmd.Process.Kill()
	}
}

// rssMB is the resident set size of process pid in MB (Linux).
func rssMB(pid int) (float64, error) { return procStatusMB(pid, "VmRSS") }

// procStatusMB reads a kB field of /proc/PID/status (VmRSS, RssAnon,
// RssFile) in MB.
func procStatusMB(pid int, field string) (float64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	m := regexp.MustCompile(field + `:\s+(\d+) kB`).FindSubmatch(data)
	if m == nil {
		return 0, fmt.Errorf("no %s in /proc/%d/status", field, pid)
	}
	kb, _ := strconv.Atoi(string(m[1]))
	return float64(kb) / 1024, nil
}
