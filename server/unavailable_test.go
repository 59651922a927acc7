package server

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mcp-codemode/mcp-codemode/config"
	"github.com/mcp-codemode/mcp-codemode/internal/testenv"
	"github.com/mcp-codemode/mcp-codemode/tools"
)

// TestDescriptionUnavailable (issue 13.5, 20.9): the execute description
// names each server whose tools are missing and why, in full and in index
// mode, and changes when that does.
func TestDescriptionUnavailable(t *testing.T) {
	reg := tools.NewRegistry(tools.Options{Secrets: []string{"ghp_secret123"}})
	t.Cleanup(func() { reg.Close() })
	srv := New(reg, Options{})
	before := srv.Description()
	reg.LeaveOut("github", config.Stdio, errors.New("config c.json: mcpServers.github.env.GITHUB_TOKEN: environment variable GITHUB_TOKEN is not set (ghp_secret123)"))
	want := "```ts\n// unavailable: github (left out: config c.json: mcpServers.github.env.GITHUB_TOKEN: " +
		"environment variable GITHUB_TOKEN is not set ([redacted]))\n"
	if d := srv.Description(); d == before || !strings.Contains(d, want) {
		t.Errorf("description:\n%s\nwant it to contain:\n%s", d, want)
	}
	small := New(reg, Options{Limits: config.Codemode{DescriptionBudgetTokens: 1}})
	if d := small.Description(); !strings.Contains(d, want) {
		t.Errorf("index description:\n%s\nwant it to contain:\n%s", d, want)
	}
}

// TestExecuteAwaitsConnecting (issue 20.10): code that names an upstream
// still connecting for the first time waits for it within the execution's
// timeout, and says so when the timeout runs out; code that does not name
// it runs at once.
func TestExecuteAwaitsConnecting(t *testing.T) {
	reg := tools.NewRegistry(tools.Options{})
	t.Cleanup(func() { reg.Close() })
	reg.Start([]config.Server{{Name: "slow", Type: config.Stdio, Command: "sh", Args: []string{"-c", "sleep 300"}, Timeout: time.Minute}})
	srv := New(reg, Options{Limits: config.Codemode{Timeout: 300 * time.Millisecond}})
	began := time.Now()
	if res := srv.Execute(context.Background(), `return 1 + 1`); res.Err != nil || string(res.Value) != "2" || time.Since(began) > testenv.Within(250*time.Millisecond) {
		t.Errorf("code naming no upstream: %s %v after %v", res.Value, res.Err, time.Since(began))
	}
	res := srv.Execute(context.Background(), `return await slow.anything()`)
	want := "TimeoutError: execution timed out after 300ms waiting for upstream slow to connect (it is still starting; " +
		"the execute description says when it is unavailable)"
	if res.Err == nil || res.Err.Error() != want {
		t.Errorf("got:  %v\nwant: %s", res.Err, want)
	}
}
