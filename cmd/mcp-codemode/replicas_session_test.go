package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// rawSession is a legacy (2025-11-25) MCP session spoken in plain HTTP, for
// what the client libraries do not show: which replica a call and its
// notifications/cancelled reached, and when the cancelled call's stream
// ended.
type rawSession struct {
	url, token, id string
	hc             *http.Client
}

// openRaw initializes a session at url (…/mcp) through hc.
func openRaw(t testing.TB, url, token string, hc *http.Client) *rawSession {
	t.Helper()
	s := &rawSession{url: url, token: token, hc: hc}
	resp, err := s.post(context.Background(), map[string]any{"jsonrpc": "2.0", "id": 0, "method": "initialize",
		"params": map[string]any{"protocolVersion": rev20251125, "capabilities": map[string]any{},
			"clientInfo": map[string]any{"name": "replicas-raw", "version": "1"}}})
	if err != nil {
		t.Fatalf("initialize: %v", err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if s.id = resp.Header.Get("Mcp-Session-Id"); resp.StatusCode != http.StatusOK || s.id == "" {
		t.Fatalf("initialize: status %d, session %q", resp.StatusCode, s.id)
	}
	resp, err = s.post(context.Background(), map[string]any{"jsonrpc": "2.0", "method": "notifications/initialized"})
	if err != nil {
		t.Fatalf("notifications/initialized: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("notifications/initialized: status %d", resp.StatusCode)
	}
	return s
}

// post sends one JSON-RPC message in the session.
func (s *rawSession) post(ctx context.Context, msg map[string]any) (*http.Response, error) {
	body, err := json.Marshal(msg)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Authorization", "Bearer "+s.token)
	if s.id != "" {
		req.Header.Set("Mcp-Session-Id", s.id)
		req.Header.Set("MCP-Protocol-Version", rev20251125)
	}
	return s.hc.Do(req)
}

// rawCall is a tools/call of execute in flight, its answer read as an SSE
// stream.
type rawCall struct {
	served   string        // the replica running it
	progress chan struct{} // closed at the first progress notification
	done     chan struct{} // closed when the stream ended
	ended    time.Time     // when it ended
	result   string        // the JSON-RPC response for the call, if one came
	err      error
}

// start calls execute with a progress token, so that the answer turns into
// a stream at the first tool call settled.
func (s *rawSession) start(t testing.TB, id int, code string) *rawCall {
	t.Helper()
	resp, err := s.post(context.Background(), map[string]any{"jsonrpc": "2.0", "id": id, "method": "tools/call",
		"params": map[string]any{"name": "execute", "arguments": map[string]any{"code": code},
			"_meta": map[string]any{"progressToken": fmt.Sprint("p", id)}}})
	if err != nil {
		t.Fatalf("tools/call: %v", err)
	}
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		t.Fatalf("tools/call: status %d: %s", resp.StatusCode, body)
	}
	c := &rawCall{served: resp.Header.Get("X-Served-By"), progress: make(chan struct{}), done: make(chan struct{})}
	go c.read(resp.Body)
	return c
}

// read follows the stream: data lines up to a blank line are one message.
func (c *rawCall) read(body io.ReadCloser) {
	defer close(c.done)
	defer body.Close()
	sc := bufio.NewScanner(body)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	var data strings.Builder
	progressed := false
	for sc.Scan() {
		line := sc.Text()
		if d, ok := strings.CutPrefix(line, "data:"); ok {
			data.WriteString(strings.TrimSpace(d))
			continue
		}
		if line != "" || data.Len() == 0 {
			continue
		}
		msg := data.String()
		data.Reset()
		switch {
		case strings.Contains(msg, `"notifications/progress"`):
			if !progressed {
				progressed = true
				close(c.progress)
			}
		case strings.Contains(msg, `"result"`) || strings.Contains(msg, `"error"`):
			c.result = msg
		}
	}
	c.err = sc.Err()
	c.ended = time.Now()
}

// cancel sends notifications/cancelled for the call id and returns the
// replica it reached.
func (s *rawSession) cancel(t testing.TB, id int) string {
	t.Helper()
	resp, err := s.post(context.Background(), map[string]any{"jsonrpc": "2.0", "method": "notifications/cancelled",
		"params": map[string]any{"requestId": id, "reason": "the replica test cancels it"}})
	if err != nil {
		t.Fatalf("notifications/cancelled: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("notifications/cancelled: status %d", resp.StatusCode)
	}
	return resp.Header.Get("X-Served-By")
}
