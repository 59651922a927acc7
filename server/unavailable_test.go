package server

import (
	"errors"
	"strings"
	"testing"

	"github.com/mcp-codemode/mcp-codemode/config"
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
