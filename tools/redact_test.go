package tools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/mcp-codemode/mcp-codemode/internal/testenv"
)

const secretTok = "tok-7c1e/9f+ab42"

// secretForms are encodings of secretTok a script could decode.
var secretForms = []string{
	secretTok,
	url.QueryEscape(secretTok),
	strings.ToLower(url.QueryEscape(secretTok)),
	`tok-7c1e\/9f\u002Bab42`,
	`\u0074\u006f\u006b-7c1e/9f+ab42`,
	"tok&#45;7c1e&sol;9f&#x2B;ab42",
	`{\"k\":\"\\u0074ok-7c1e/9f+ab42\"}`,
}

func holdsSecret(s string) bool {
	for _, f := range secretForms {
		if strings.Contains(s, f) {
			return true
		}
	}
	return false
}

// TestUpstreamMetadataRedacted (issue 12.5): every string of an upstream's
// definitions is scrubbed when it is taken into the registry; a tool whose
// name holds the secret is left out.
func TestUpstreamMetadataRedacted(t *testing.T) {
	all := strings.Join(secretForms, " ")
	s := server.NewMCPServer("leaky", "1.0.0", server.WithInstructions(all))
	schema, _ := json.Marshal(map[string]any{"type": "object", "properties": map[string]any{
		"mode": map[string]any{"type": "string", "description": all, "enum": secretForms, "default": secretForms[2]},
	}})
	tool := mcp.NewToolWithRawSchema("lookup", "Looks up "+all, schema)
	tool.Title, tool.Annotations.Title = all, all
	ok := func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return mcp.NewToolResultText("ok"), nil
	}
	s.AddTool(tool, ok)
	s.AddTool(mcp.NewTool("get_"+secretTok), ok)
	r := newTestRegistry(t, Options{Secrets: []string{secretTok}})
	must(t, r.AddMCPServer(context.Background(), "leaky", s))

	entries := r.Entries()
	if len(entries) != 1 || entries[0].Name != "lookup" {
		t.Fatalf("entries = %+v; want only lookup (the other tool's name holds the secret)", entries)
	}
	e := entries[0]
	def, _ := json.Marshal([]any{e.Title, e.Description, e.InputSchema, e.OutputSchema, e.Annotations})
	ns, _ := json.Marshal(r.Namespaces())
	for what, text := range map[string]string{"tool": string(def), "namespaces": string(ns)} {
		if holdsSecret(text) || !strings.Contains(text, Redacted) {
			t.Errorf("%s: %s", what, text)
		}
	}
}

// TestEncodedSecretsInResults (issue 12.6): a secret percent-encoded, as
// JSON or HTML escapes, or double-encoded JSON, in a text result, a
// structured one, an isError text or a Go error, never reaches the script.
func TestEncodedSecretsInResults(t *testing.T) {
	all := strings.Join(secretForms, " ")
	structured, _ := json.Marshal(map[string]any{"v": secretForms, all: 1})
	r := newTestRegistry(t, Options{Secrets: []string{secretTok}})
	handlers := map[string]Handler{
		"text": func(context.Context, json.RawMessage) (*mcp.CallToolResult, error) {
			return mcp.NewToolResultText(all), nil
		},
		"structured": func(context.Context, json.RawMessage) (*mcp.CallToolResult, error) {
			return mcp.NewToolResultStructured(json.RawMessage(structured), string(structured)), nil
		},
		"is_error": func(context.Context, json.RawMessage) (*mcp.CallToolResult, error) {
			return mcp.NewToolResultError("denied: " + all), nil
		},
		"go_error": func(context.Context, json.RawMessage) (*mcp.CallToolResult, error) {
			return nil, errors.New("failed with " + all)
		},
	}
	for name, h := range handlers {
		must(t, r.Add(NewTool("t", name, "", nil, h)))
	}
	for name := range handlers {
		out, err := call(t, r, "t", name, `{}`)
		got := fmt.Sprint(string(out), err)
		if holdsSecret(got) || !strings.Contains(got, Redacted) {
			t.Errorf("%s: %s", name, got)
		}
		if err == nil && !json.Valid(out) {
			t.Errorf("%s: invalid JSON %s", name, out)
		}
	}
}

// TestLogRedactedWhenUpstreamDrops (issue 13.3): an HTTP upstream whose URL
// holds a secret goes away; mcp-go's transport logs "failed to send close
// request" with the URL, and the line holds no secret.
func TestLogRedactedWhenUpstreamDrops(t *testing.T) {
	// The client may open a connection again between the two closes below
	// (its listening GET, which the server holds open): ending the handlers'
	// context lets ts.Close return, where it waited for that one for good.
	stop, stopHandlers := context.WithCancel(context.Background())
	defer stopHandlers()
	ts := httptest.NewUnstartedServer(server.NewStreamableHTTPServer(headerServer()))
	ts.Config.BaseContext = func(net.Listener) context.Context { return stop }
	ts.Start()
	cfg := parseConfig(t, fmt.Sprintf(`{"mcpServers": {
		"remote": {"type": "http", "url": "%s/mcp?token=${TOK}&encoded=${TOK_ENC}"}}}`, ts.URL),
		map[string]string{"TOK": secretTok, "TOK_ENC": url.QueryEscape(secretTok)})
	logs := &testenv.Buffer{}
	r := NewRegistry(Options{Secrets: cfg.Secrets, Stderr: &testenv.Buffer{},
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	mustConnect(t, r, cfg.Servers...)
	mustCall(t, r, "remote", "echo", `{"text":"a"}`)
	stopHandlers()
	ts.CloseClientConnections()
	ts.Close()
	r.Close()
	out := logs.String()
	if !strings.Contains(out, "failed to send close request") {
		t.Fatalf("the drop was not logged as the issue saw it:\n%s", out)
	}
	if holdsSecret(out) || !strings.Contains(out, Redacted) {
		t.Errorf("the log holds the secret:\n%s", out)
	}
}
