package server

import (
	"testing"
	"time"

	"github.com/mcp-codemode/mcp-codemode/config"
)

// TestStdioAnswersAfterStdinCloses: a client that writes its request and
// closes stdin at once (echo '...' | mcp-codemode) still gets the answer,
// and its console notification before it; before, the end of stdin
// cancelled the request and nothing was written.
func TestStdioAnswersAfterStdinCloses(t *testing.T) {
	srv, _, _ := blockingServer(t, config.Codemode{})
	w := startStdio(t, srv)
	w.send(`{"jsonrpc":"2.0","id":1,"method":"logging/setLevel","params":{"level":"info"}}`)
	w.until(1)
	w.send(executeCall(2, `await new Promise(r => setTimeout(r, 200)); console.log("late"); await step.ok(); return "answered"`, ""))
	closed := time.Now()
	w.in.Close()
	got := w.until(2)
	t.Logf("answered %v after stdin closed", time.Since(closed).Round(time.Millisecond))
	res := got[len(got)-1]["result"].(map[string]any)
	if sc := res["structuredContent"].(map[string]any); sc["result"] != "answered" {
		t.Fatalf("result = %v, want \"answered\"", sc)
	}
	if len(got) != 2 || got[0]["method"] != "notifications/message" {
		t.Errorf("messages = %v, want the console line then the response", got)
	}
}
