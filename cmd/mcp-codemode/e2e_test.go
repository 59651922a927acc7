package main

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/mcp-codemode/mcp-codemode/internal/testenv"
)

func TestMain(m *testing.M) {
	if os.Getenv(upstreamEnv) == "1" {
		serveTestUpstream()
		return
	}
	testscript.Main(removeBuild{m}, map[string]func(){
		"mcp-codemode": func() {
			os.Exit(run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
		},
	})
}

// removeBuild runs the tests, then removes the binary that binary built.
type removeBuild struct{ m *testing.M }

func (r removeBuild) Run() int {
	code := r.m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	return code
}

var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
)

// binary builds mcp-codemode once per test run and returns its path.
func binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "mcp-codemode-bin")
		if buildErr != nil {
			return
		}
		out, err := exec.Command("go", "build", "-o", buildDir, ".").CombinedOutput()
		if err != nil {
			buildErr = err
			buildDir = string(out)
		}
	})
	if buildErr != nil {
		t.Fatalf("building mcp-codemode: %v\n%s", buildErr, buildDir)
	}
	return filepath.Join(buildDir, "mcp-codemode")
}

// upstreams returns mcpServers entries for the three npm reference servers
// and the test binary's own upstream.
func upstreams(t testing.TB) map[string]any {
	node := testenv.Node(t)
	pkg := func(name string) string {
		return filepath.Join(testenv.Package(t, "@modelcontextprotocol/"+name), "dist", "index.js")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return map[string]any{
		"memory": map[string]any{"command": node, "args": []string{pkg("server-memory")},
			"env": map[string]string{"MEMORY_FILE_PATH": filepath.Join(t.TempDir(), "memory.jsonl")}},
		"everything": map[string]any{"command": node, "args": []string{pkg("server-everything")}},
		"filesystem": map[string]any{"command": node, "args": []string{pkg("server-filesystem"), t.TempDir()}},
		"testup":     map[string]any{"command": self, "env": map[string]string{upstreamEnv: "1"}},
	}
}

// writeConfig writes a configuration file and returns its path.
func writeConfig(t testing.TB, servers map[string]any, codemode map[string]any) string {
	t.Helper()
	c := map[string]any{"mcpServers": servers}
	if codemode != nil {
		c["codemode"] = codemode
	}
	data, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "config.json")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// sdkClient is the official TypeScript SDK client (testdata/client.mjs)
// connected to the built binary over stdio.
type sdkClient struct {
	cmd    *exec.Cmd
	in     *json.Encoder
	out    *bufio.Scanner
	stderr *testenv.Buffer
}

func startSDK(t *testing.T, configPath string) *sdkClient {
	t.Helper()
	return startDriver(t, "testdata/client.mjs", binary(t), "--config", configPath)
}

// startDriver runs a driver script of testdata with the node modules and
// args, speaking its one-JSON-line protocol.
func startDriver(t *testing.T, script string, args ...string) *sdkClient {
	t.Helper()
	cmd := exec.Command(testenv.Node(t), append([]string{script, testenv.NodeModules(t)}, args...)...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	c := &sdkClient{cmd: cmd, in: json.NewEncoder(stdin), out: bufio.NewScanner(stdout), stderr: &testenv.Buffer{}}
	c.out.Buffer(make([]byte, 1<<20), 64<<20)
	cmd.Stderr = c.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second): // a grace before the kill, not a bound
			cmd.Process.Kill()
		}
		if t.Failed() {
			t.Logf("stderr of client and server:\n%s", c.stderr.String())
		}
	})
	return c
}

// do sends one request to the driver and returns its answer.
func (c *sdkClient) do(t *testing.T, req map[string]any) json.RawMessage {
	t.Helper()
	if err := c.in.Encode(req); err != nil {
		t.Fatalf("writing to the SDK client: %v", err)
	}
	if !c.out.Scan() {
		t.Fatalf("the SDK client ended: %v", c.out.Err())
	}
	var ans struct {
		OK    json.RawMessage `json:"ok"`
		Error string          `json:"error"`
	}
	if err := json.Unmarshal(c.out.Bytes(), &ans); err != nil {
		t.Fatalf("SDK client answer %q: %v", c.out.Text(), err)
	}
	if ans.Error != "" {
		t.Fatalf("SDK client: %s", ans.Error)
	}
	return ans.OK
}

// callResult is a tools/call result as the SDK returns it.
type callResult struct {
	Content []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	} `json:"content"`
	StructuredContent struct {
		Result json.RawMessage `json:"result"`
		Logs   []string        `json:"logs"`
		Error  *struct {
			Name    string `json:"name"`
			Message string `json:"message"`
			Line    int    `json:"line"`
			Column  int    `json:"column"`
		} `json:"error"`
	} `json:"structuredContent"`
	IsError bool `json:"isError"`
}

func (r callResult) text() string {
	var parts []string
	for _, c := range r.Content {
		parts = append(parts, c.Text)
	}
	return strings.Join(parts, "\n")
}

func (c *sdkClient) execute(t *testing.T, code string) callResult {
	t.Helper()
	var r callResult
	raw := c.do(t, map[string]any{"op": "call", "name": "execute", "arguments": map[string]any{"code": code}})
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatalf("execute result %s: %v", raw, err)
	}
	return r
}

func median(d []float64) float64 {
	s := append([]float64(nil), d...)
	sort.Float64s(s)
	return s[len(s)/2]
}
