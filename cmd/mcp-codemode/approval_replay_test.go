package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// modern posts JSON-RPC requests of MCP 2026-07-28 to a hosted server by
// hand, so a test can hold an input_required answer and send the retry
// where and when it likes (another process, after a restart).
type modern struct {
	url, token string
	id         int
}

// call sends tools/call execute and returns the result.
func (m *modern) call(t *testing.T, code, state string, answer any) map[string]any {
	t.Helper()
	m.id++
	params := map[string]any{"name": "execute", "arguments": map[string]any{"code": code},
		"_meta": map[string]any{"io.modelcontextprotocol/protocolVersion": "2026-07-28",
			"io.modelcontextprotocol/clientCapabilities": map[string]any{"elicitation": map[string]any{"form": map[string]any{}}}}}
	if state != "" {
		params["requestState"] = state
		params["inputResponses"] = map[string]any{"approval": answer}
	}
	body, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": m.id, "method": "tools/call", "params": params})
	req, _ := http.NewRequest(http.MethodPost, m.url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("MCP-Protocol-Version", "2026-07-28")
	req.Header.Set("Mcp-Method", "tools/call")
	req.Header.Set("Mcp-Name", "execute")
	req.Header.Set("Authorization", "Bearer "+m.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var msg struct {
		ID     int
		Result map[string]any
		Error  any
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		line := strings.TrimPrefix(sc.Text(), "data: ")
		if json.Unmarshal([]byte(line), &msg) == nil && msg.ID == m.id && (msg.Result != nil || msg.Error != nil) {
			break
		}
	}
	if msg.Result == nil {
		t.Fatalf("no result for request %d (HTTP %d): %v", m.id, resp.StatusCode, msg.Error)
	}
	return msg.Result
}

func resultText(res map[string]any) string {
	var b strings.Builder
	for _, c := range res["content"].([]any) {
		if s, ok := c.(map[string]any)["text"].(string); ok {
			b.WriteString(s)
		}
	}
	return b.String()
}

// tallies returns the labels testup.tally wrote to file.
func tallies(t *testing.T, file string) []string {
	data, err := os.ReadFile(file)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Fields(string(data))
}

// TestApprovalReplayBinary: a 2026-07-28 client is asked through
// input_required, on the built binary, and its retry resumes the run by
// replay — in the same process, after a restart on the same data_dir —
// with every upstream call before the pause made once, Math.random
// replayed, and a declined approval an ApprovalError.
func TestApprovalReplayBinary(t *testing.T) {
	dataDir := t.TempDir()
	cfg := writeConfig(t, map[string]any{"testup": upstreams(t)["testup"]}, map[string]any{
		"require_approval": []string{"testup.noise"}, "data_dir": dataDir,
		"auth": map[string]any{"tokens": []string{"${ALICE}"}}})
	file := filepath.Join(t.TempDir(), "tally")
	code := fmt.Sprintf(`const n = await testup.tally({file: %q, label: "before"});
		const r = Math.random();
		await testup.tally({file: %[1]q, label: "r" + r});
		const ok = await testup.noise();
		await testup.tally({file: %[1]q, label: "after"});
		return {n, ok, r}`, file)

	srv := startHosted(t, "http", cfg, "ALICE="+tokenAlice)
	c := &modern{url: srv.endpoint("http"), token: tokenAlice}
	first := c.call(t, code, "", nil)
	if first["resultType"] != "input_required" {
		t.Fatalf("a gated call from a 2026-07-28 client: %v", first)
	}
	state := first["requestState"].(string)
	q := first["inputRequests"].(map[string]any)["approval"].(map[string]any)
	if q["method"] != "elicitation/create" || !strings.Contains(fmt.Sprint(q["params"]), "Allow the script to call testup.noise?") {
		t.Errorf("the question: %v", q)
	}

	// A restart between the question and the answer: the run resumes from
	// the data directory.
	srv.cmd.Process.Kill()
	<-srv.exited
	srv = startHosted(t, "http", cfg, "ALICE="+tokenAlice)
	c.url = srv.endpoint("http")
	res := c.call(t, code, state, map[string]any{"action": "accept", "content": map[string]any{}})
	if res["isError"] == true {
		t.Fatalf("the retry after a restart: %s", resultText(res))
	}
	got := tallies(t, file)
	if len(got) != 3 || got[0] != "before" || !strings.HasPrefix(got[1], "r") || got[2] != "after" {
		t.Fatalf("upstream calls: %q; want before, r…, after, once each", got)
	}
	var out struct{ R float64 }
	json.Unmarshal([]byte(resultText(res)), &out)
	if "r"+fmt.Sprint(out.R) != got[1] {
		t.Errorf("Math.random after the answer %v, before it %s", out.R, got[1])
	}
	if again := c.call(t, code, state, map[string]any{"action": "accept"}); !strings.Contains(resultText(again), "already resumed") {
		t.Errorf("the same retry again: %s", resultText(again))
	}
	if n := len(tallies(t, file)); n != 3 {
		t.Errorf("the repeated retry made calls: %d tallies", n)
	}

	// Declined: the script gets an ApprovalError; nothing after is made.
	os.Remove(file)
	first = c.call(t, code, "", nil)
	res = c.call(t, code, first["requestState"].(string), map[string]any{"action": "decline"})
	if got := resultText(res); !strings.HasPrefix(got, "ApprovalError: the user declined the call of testup.noise") {
		t.Errorf("declined: %s", got)
	}
	if got := tallies(t, file); len(got) != 2 {
		t.Errorf("declined: upstream calls %q, want before and r… once each", got)
	}
}
