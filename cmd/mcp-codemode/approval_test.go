package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcp-codemode/mcp-codemode/config"
	"github.com/mcp-codemode/mcp-codemode/internal/testenv"
	"github.com/mcp-codemode/mcp-codemode/server"
	"github.com/mcp-codemode/mcp-codemode/tools"
)

// TestApprovalWarnings: a require_approval entry that matches no tool is
// logged at start and again after every change of the tool set while it
// still matches none; once a tool it names exists, it is not.
func TestApprovalWarnings(t *testing.T) {
	stderr := &testenv.Buffer{}
	e := &env{stderr: stderr, lookup: func(string) (string, bool) { return "", false }}
	cfg := config.Default()
	cfg.Path = "c.json"
	cfg.Codemode.RequireApproval = []string{"workspace.delete_file", "late.deploy"}
	reg, _, _, err := e.start(context.Background(), cfg, server.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	const warning = `level=WARN msg="codemode.require_approval: entries that match no tool, so no call is gated by them; ` +
		`name a server or namespace, or server.tool, as the declarations show it" config=c.json unmatched=[late.deploy]`
	waitWarnings(t, stderr, warning, 1)

	add := func(server, name string) {
		err := reg.Add(tools.Tool{Server: server, Name: name, Handler: func(context.Context, json.RawMessage) (*mcp.CallToolResult, error) {
			return mcp.NewToolResultText("ok"), nil
		}})
		if err != nil {
			t.Fatal(err)
		}
	}
	add("other", "x")
	waitWarnings(t, stderr, warning, 2)
	add("late", "deploy")
	time.Sleep(200 * time.Millisecond) // the hook runs on its own goroutine
	if n := strings.Count(stderr.String(), warning); n != 2 {
		t.Errorf("warned %d times after late.deploy came; want still 2:\n%s", n, stderr.String())
	}
}

func waitWarnings(t *testing.T, stderr *testenv.Buffer, warning string, n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if strings.Count(stderr.String(), warning) >= n {
			return
		}
	}
	t.Fatalf("want the warning %d times:\n%s", n, stderr.String())
}
