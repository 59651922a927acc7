package main

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	mcpgo "github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcp-codemode/mcp-codemode/internal/testenv"
)

// TestInitializeDoesNotWait (issue 20.10, 13.5): the built binary answers
// initialize at once while an upstream hangs at start (it waited for every
// upstream, 30 s for a hanging one); the test upstream's tools arrive
// with tools/list_changed, and the execute description names the hanging
// server as unavailable.
func TestInitializeDoesNotWait(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cfg := writeConfig(t, map[string]any{
		"hang":   map[string]any{"command": "sh", "args": []string{"-c", "sleep 300"}, "timeout": "30s"},
		"testup": map[string]any{"command": self, "env": map[string]string{upstreamEnv: "1"}},
	}, map[string]any{"data_dir": t.TempDir()})
	c := mcpgo.NewClient(transport.NewStdio(binary(t), nil, "--config", cfg))
	changed := make(chan struct{}, 10)
	c.OnNotification(func(n mcp.JSONRPCNotification) {
		if n.Method == mcp.MethodNotificationToolsListChanged {
			changed <- struct{}{}
		}
	})
	ctx := context.Background()
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	init := mcp.InitializeRequest{}
	init.Params.ProtocolVersion = mcp.LATEST_LEGACY_PROTOCOL_VERSION
	init.Params.ClientInfo = mcp.Implementation{Name: "test", Version: "1"}
	began := time.Now()
	if _, err := c.Initialize(ctx, init); err != nil {
		t.Fatal(err)
	}
	took := time.Since(began)
	t.Logf("initialize answered after %v", took)
	if took > testenv.Within(time.Second) { // hang's timeout is 30 s
		t.Errorf("initialize took %v with an upstream hanging at start", took)
	}
	describe := func() string {
		res, err := c.ListTools(ctx, mcp.ListToolsRequest{})
		if err != nil {
			t.Fatal(err)
		}
		for _, tool := range res.Tools {
			if tool.Name == "execute" {
				return tool.Description
			}
		}
		t.Fatal("no execute tool")
		return ""
	}
	deadline := time.After(testenv.Within(30 * time.Second))
	for !strings.Contains(describe(), "declare const testup") {
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("testup's tools never arrived:\n%s", describe())
		}
	}
	if d := describe(); !strings.Contains(d, "// unavailable: hang (connecting)") {
		t.Errorf("the description does not list hang as unavailable:\n%s", d)
	}
}

// TestSelfSpawnBinary (issue 20.2): with the built binary, an entry that
// runs it (as a Claude Desktop file that launches mcp-codemode does) is
// left out by the configuration check, and one that runs it through sh
// with its path in env is refused by the child; check reports both, once
// each, and exits.
func TestSelfSpawnBinary(t *testing.T) {
	bin := binary(t)
	cfg := writeConfig(t, map[string]any{
		"direct":  map[string]any{"command": bin, "args": []string{"serve"}},
		"wrapped": map[string]any{"command": "sh", "args": []string{"-c", `exec "$BIN" serve`}, "env": map[string]string{"BIN": bin}},
	}, map[string]any{"data_dir": t.TempDir()})
	cmd := exec.Command(bin, "check", "--config", cfg)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	done := make(chan error, 1)
	began := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(testenv.Within(30 * time.Second)):
		cmd.Process.Kill()
		t.Fatalf("check still runs after 30 s; stderr:\n%s", stderr.String())
	}
	t.Logf("check took %v\n%s", time.Since(began), stdout.String())
	var lines []string // with tabwriter's padding made one space
	for _, l := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		lines = append(lines, strings.Join(strings.Fields(l), " "))
	}
	if len(lines) != 2 ||
		!strings.HasPrefix(lines[0], "direct stdio error: config "+cfg+": mcpServers.direct: runs "+bin+", which is this mcp-codemode; mcp-codemode never runs itself as an upstream") ||
		!strings.HasPrefix(lines[1], `wrapped stdio error: process exited (status 2), last stderr line: "mcp-codemode: refusing to start: this mcp-codemode was started by mcp-codemode (pid `) {
		t.Errorf("check printed:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
	}
	if n := strings.Count(stderr.String(), "[wrapped] mcp-codemode: refusing to start"); n != 1 {
		t.Errorf("the wrapped copy started %d times, want once; stderr:\n%s", n, stderr.String())
	}
}
