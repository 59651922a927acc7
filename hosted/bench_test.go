package hosted

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mcp-codemode/mcp-codemode/sandbox"
	"github.com/mcp-codemode/mcp-codemode/server"
	"github.com/mcp-codemode/mcp-codemode/tools"
)

// BenchmarkExecuteHTTP is tools/call of execute over streamable HTTP with
// a runner that answers at once: what the transport, the hosted layer and
// the server cost per execution, without the sandbox. The client posts a
// prepared body on a kept-alive connection, so the profile is mostly the
// server's.
//
//	go test -run '^$' -bench ExecuteHTTP -cpuprofile cpu.out ./hosted
func BenchmarkExecuteHTTP(b *testing.B) {
	reg := tools.NewRegistry(tools.Options{Logger: slog.New(slog.DiscardHandler)})
	defer reg.Close()
	stub := func(context.Context, string, sandbox.Caller, sandbox.Options) sandbox.Result {
		return sandbox.Result{Value: json.RawMessage(`{"ok":true}`)}
	}
	srv := server.New(reg, server.Options{Runner: stub, Logger: slog.New(slog.DiscardHandler)})
	h, err := New(Options{Server: srv, Loopback: true, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	ts := httptest.NewServer(h)
	defer ts.Close()
	hc := ts.Client()
	post := func(session, body string) (*http.Response, error) {
		req, _ := http.NewRequest(http.MethodPost, ts.URL+"/mcp", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		req.Header.Set("MCP-Protocol-Version", "2025-06-18")
		if session != "" {
			req.Header.Set("Mcp-Session-Id", session)
		}
		return hc.Do(req)
	}
	resp, err := post("", `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}`)
	if err != nil {
		b.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	session := resp.Header.Get("Mcp-Session-Id")
	resp, err = post(session, `{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	if err != nil {
		b.Fatal(err)
	}
	resp.Body.Close()
	call := `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"execute","arguments":{"code":"const x = 1 + 1;\nreturn { ok: x === 2 };"}}}`
	b.ReportAllocs()
	for b.Loop() {
		resp, err := post(session, call)
		if err != nil {
			b.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte(`"ok":true`)) {
			b.Fatalf("%d %s", resp.StatusCode, body)
		}
	}
}
