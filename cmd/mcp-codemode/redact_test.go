package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// TestLogRedactsUpstreamURL (issue 13.3): an HTTP upstream whose url holds
// a ${VAR} secret drops while the binary runs a script; mcp-go logs
// "failed to send close request" with the URL, and the line reaches
// stderr scrubbed.
func TestLogRedactsUpstreamURL(t *testing.T) {
	const token = "tok-55aa/e1c9+d2"
	s := server.NewMCPServer("dropping", "1.0.0", server.WithToolCapabilities(true))
	var ts *httptest.Server
	s.AddTool(mcp.NewTool("drop"), func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		go ts.Close() // once this answer is out
		return mcp.NewToolResultText("bye"), nil
	})
	ts = httptest.NewServer(server.NewStreamableHTTPServer(s))
	t.Cleanup(ts.Close)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.json")
	os.WriteFile(cfg, []byte(fmt.Sprintf(`{"mcpServers": {"up": {"type": "http", "url": "%s/mcp?token=${UP_TOKEN}"}},
		"codemode": {"data_dir": %q}}`, ts.URL, dir)), 0o600)
	e := &env{stdin: strings.NewReader(`await up.drop(); await new Promise(r => setTimeout(r, 300)); "done"`),
		stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{},
		lookup: func(k string) (string, bool) {
			if k == "UP_TOKEN" {
				return token, true
			}
			return "", false
		}}
	if code := e.run(context.Background(), []string{"run", "--config", cfg, "-"}); code != exitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, e.stderr)
	}
	logs := e.stderr.(*bytes.Buffer).String()
	if !strings.Contains(logs, "failed to send close request") {
		t.Fatalf("the drop was not logged as the issue saw it:\n%s", logs)
	}
	if strings.Contains(logs, token) || strings.Contains(logs, strings.ReplaceAll(token, "/", "%2F")) || !strings.Contains(logs, "[redacted]") {
		t.Errorf("the log holds the token:\n%s", logs)
	}
}

// TestLoggerRedacts: every logger the command builds after loading a
// configuration scrubs its secrets, in the message and in attributes of
// any kind, text or JSON.
func TestLoggerRedacts(t *testing.T) {
	const token = "tok-0b5e/77c1+9a"
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.json")
	os.WriteFile(cfg, []byte(`{"mcpServers": {"up": {"type": "http", "url": "http://127.0.0.1:1/mcp?token=${UP_TOKEN}"}}}`), 0o600)
	for _, format := range []string{"text", "json"} {
		var stderr bytes.Buffer
		e := &env{stderr: &stderr, lookup: func(k string) (string, bool) {
			return map[string]string{"UP_TOKEN": token, "MCP_CODEMODE_LOG_FORMAT": format}[k], true
		}}
		if _, err := e.loadConfig(cfg); err != nil {
			t.Fatal(err)
		}
		e.logger().With("with", "a "+token).Error("message "+token, "err", fmt.Errorf("get %q: refused", "http://h/?t="+token),
			"url", "http://h/?t="+strings.ReplaceAll(token, "/", "%2f"))
		if out := stderr.String(); strings.Contains(out, token) || strings.Contains(out, "%2f") || strings.Count(out, "[redacted]") != 4 {
			t.Errorf("%s: %s", format, out)
		}
	}
}
