package tools

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mcp-codemode/mcp-codemode/config"
	"github.com/mcp-codemode/mcp-codemode/internal/testenv"
)

// referenceServers configures the pinned npm reference servers as a user
// would, with node run directly (no npx) so nothing is downloaded.
func referenceServers(t *testing.T, env map[string]string) []config.Server {
	t.Helper()
	node := testenv.Node(t)
	entry := func(pkg string) string {
		return filepath.Join(testenv.Package(t, "@modelcontextprotocol/"+pkg), "dist", "index.js")
	}
	dir := t.TempDir()
	return []config.Server{
		{Name: "memory", Type: config.Stdio, Command: node, Args: []string{entry("server-memory")},
			Env: map[string]string{"MEMORY_FILE_PATH": filepath.Join(t.TempDir(), "memory.jsonl")}},
		{Name: "filesystem", Type: config.Stdio, Command: node, Args: []string{entry("server-filesystem"), dir}},
		{Name: "everything", Type: config.Stdio, Command: node, Args: []string{entry("server-everything"), "stdio"}, Env: env},
	}
}

func TestReferenceServers(t *testing.T) {
	const secret = "ghp_referenceSecret123"
	r := newTestRegistry(t, Options{Secrets: []string{secret}})
	servers := referenceServers(t, map[string]string{"UPSTREAM_TOKEN": secret})
	start := time.Now()
	sts := mustConnect(t, r, servers...)
	t.Logf("connected %d reference servers concurrently in %s", len(sts), time.Since(start).Round(time.Millisecond))
	counts := map[string]int{}
	for _, st := range sts {
		t.Logf("  %s: %d tools in %s", st.Server, st.Tools, st.Duration.Round(time.Millisecond))
		counts[st.Server] = st.Tools
	}
	// The counts of the pinned 2026.8.31 releases, as in testdata/*.tools.json.
	for name, want := range map[string]int{"memory": 9, "filesystem": 14, "everything": 13} {
		if counts[name] != want {
			t.Errorf("%s: %d tools, want %d", name, counts[name], want)
		}
	}
	// The handshake is the legacy initialize: no server/discover probe, which
	// a server that ignores unknown methods would make wait 5 s.
	for _, s := range servers {
		u := r.servers[s.Name].up
		if v := u.conn.client.ProtocolVersion(); v == "" || mcp.IsModernProtocol(v) {
			t.Errorf("%s negotiated protocol %q, want a legacy (initialize) version", s.Name, v)
		}
	}

	t.Run("memory", func(t *testing.T) { testMemory(t, r) })
	t.Run("filesystem", func(t *testing.T) { testFilesystem(t, r, servers[1].Args[1]) })
	t.Run("everything", func(t *testing.T) { testEverything(t, r, secret) })
}

func testMemory(t *testing.T, r *Registry) {
	mustCall(t, r, "memory", "create_entities",
		`{"entities":[{"name":"Ada","entityType":"person","observations":["wrote the first program"]}]}`)
	mustCall(t, r, "memory", "add_observations", `{"observations":[{"entityName":"Ada","contents":["liked poetry"]}]}`)
	var graph struct {
		Entities []struct {
			Name         string   `json:"name"`
			Observations []string `json:"observations"`
		} `json:"entities"`
	}
	must(t, json.Unmarshal([]byte(mustCall(t, r, "memory", "read_graph", `{}`)), &graph))
	if len(graph.Entities) != 1 || graph.Entities[0].Name != "Ada" || len(graph.Entities[0].Observations) != 2 {
		t.Errorf("read_graph = %+v", graph)
	}
	_, err := call(t, r, "memory", "create_entities", `{"entities":[{"name":"Bob","entityType":"person"}]}`)
	if err == nil || err.Error() != "memory.create_entities: entities[0].observations: required" {
		t.Errorf("invalid entities: %v", err)
	}
}

func testFilesystem(t *testing.T, r *Registry, dir string) {
	file := filepath.Join(dir, "hello.txt")
	args, _ := json.Marshal(map[string]string{"path": file, "content": "hello\nworld"})
	mustCall(t, r, "filesystem", "write_file", string(args))
	args, _ = json.Marshal(map[string]string{"path": file})
	if got := mustCall(t, r, "filesystem", "read_text_file", string(args)); got != `{"content":"hello\nworld"}` {
		t.Errorf("read_text_file = %s", got)
	}
	args, _ = json.Marshal(map[string]string{"path": "/etc/passwd"})
	_, err := call(t, r, "filesystem", "read_text_file", string(args))
	var te *ToolError
	if !errors.As(err, &te) || !strings.Contains(te.Message, "Access denied") {
		t.Errorf("outside the allowed directory: %v", err)
	}
}

func testEverything(t *testing.T, r *Registry, secret string) {
	if got := mustCall(t, r, "everything", "echo", `{"message":"hi"}`); got != `"Echo: hi"` {
		t.Errorf("echo = %s", got)
	}
	if got := mustCall(t, r, "everything", "get-sum", `{"a":2,"b":3}`); !strings.Contains(got, "5") {
		t.Errorf("get-sum = %s", got)
	}
	env := mustCall(t, r, "everything", "get-env", `{}`)
	var vars map[string]string
	_ = json.Unmarshal([]byte(env), &vars)
	if strings.Contains(env, secret) || vars["UPSTREAM_TOKEN"] != "[redacted]" {
		t.Errorf("get-env does not show UPSTREAM_TOKEN redacted:\n%.300s", env)
	}
	_, err := call(t, r, "everything", "get-resource-reference", `{"resourceType":"Text","resourceId":1.5}`)
	var te *ToolError
	if !errors.As(err, &te) || !strings.Contains(te.Message, "Invalid resourceId: 1.5") {
		t.Errorf("isError result: %v", err)
	}
	var content []map[string]any
	must(t, json.Unmarshal([]byte(mustCall(t, r, "everything", "get-tiny-image", `{}`)), &content))
	if len(content) < 2 || content[1]["type"] != "image" {
		t.Errorf("get-tiny-image = %v, want the raw content array with an image", content)
	}
	if got := mustCall(t, r, "everything", "get-structured-content", `{"location":"Chicago"}`); !strings.Contains(got, `"temperature"`) {
		t.Errorf("get-structured-content = %s", got)
	}
}
