package hosted

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mcp-codemode/mcp-codemode/config"
	"github.com/mcp-codemode/mcp-codemode/internal/testenv"
)

// sseClient speaks the SSE transport on the wire.
type sseClient struct {
	t        *testing.T
	base     string
	token    string
	endpoint string // /message?sessionId=...
	events   chan map[string]any
	cancel   context.CancelFunc
}

func (f *fixture) sse(t *testing.T, token string) *sseClient {
	t.Helper()
	c := sseStream(t, f, token)
	c.post(initialize)
	c.until(0)
	c.post(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	return c
}

// sseStream opens a stream, not yet initialized.
func sseStream(t *testing.T, f *fixture, token string) *sseClient {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, f.srv.URL+"/sse", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /sse: %s", resp.Status)
	}
	c := &sseClient{t: t, base: f.srv.URL, token: token, events: make(chan map[string]any, 1000), cancel: cancel}
	t.Cleanup(func() { cancel(); resp.Body.Close() })
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		if ep, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			c.endpoint = ep
			break
		}
	}
	go func() {
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var m map[string]any
				_ = json.Unmarshal([]byte(data), &m)
				c.events <- m
			}
		}
		close(c.events)
	}()
	return c
}

func (c *sseClient) post(msg string) *http.Response {
	c.t.Helper()
	resp := c.postResp(msg)
	resp.Body.Close()
	return resp
}

// postResp posts msg and returns the response with its body to read.
func (c *sseClient) postResp(msg string) *http.Response {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, c.base+c.endpoint, strings.NewReader(msg))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// until returns the events up to and including the response to id.
func (c *sseClient) until(id float64) []map[string]any {
	c.t.Helper()
	var out []map[string]any
	for {
		select {
		case m, ok := <-c.events:
			if !ok {
				c.t.Fatal("the stream ended")
			}
			out = append(out, m)
			if m["id"] == id && m["method"] == nil {
				return out
			}
		case <-time.After(testenv.Within(10 * time.Second)):
			c.t.Fatalf("no response to %v in 10 s; got %v", id, summary(out))
		}
	}
}

// TestSSE: over the SSE transport, progress comes before the response,
// a cancelled request is interrupted and gets none, and a session's
// /message endpoint answers only its own subject.
func TestSSE(t *testing.T) {
	f := newFixture(t, authConfig(config.Codemode{}), SSE)
	c := f.sse(t, tokenA)
	for round := 1; round <= 10; round++ {
		c.post(executeReq(round, `for (let i = 0; i < 5; i++) await step.ok(); return 1`, fmt.Sprintf(`{"progressToken":%d}`, round)))
		var want []string
		for n := 1; n <= 5; n++ {
			want = append(want, fmt.Sprintf("progress %d %d/%d tool calls", round, n, n))
		}
		if diff := cmp.Diff(append(want, fmt.Sprintf("response %d", round)), summary(c.until(float64(round)))); diff != "" {
			t.Fatalf("round %d (-want +got):\n%s", round, diff)
		}
	}

	c.post(executeReq(50, `await step.block()`, ""))
	<-f.started
	sent := time.Now()
	c.post(`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":50}}`)
	select {
	case at := <-f.cancelled:
		t.Logf("tool call cancelled %v after notifications/cancelled was sent", at.Sub(sent))
	case <-time.After(testenv.Within(5 * time.Second)):
		t.Fatal("not cancelled")
	}
	c.post(`{"jsonrpc":"2.0","id":51,"method":"ping"}`)
	for _, m := range c.until(51) {
		if m["id"] == float64(50) {
			t.Errorf("the cancelled request got a response: %v", m)
		}
	}

	bob := &sseClient{t: t, base: f.srv.URL, token: tokenB, endpoint: c.endpoint}
	if r := bob.post(executeReq(60, "1", "")); r.StatusCode != http.StatusNotFound {
		t.Errorf("bob posting to alice's session: %s", r.Status)
	}
	if r := (&sseClient{t: t, base: f.srv.URL, token: tokenA, endpoint: "/message?sessionId=nope"}).post(executeReq(61, "1", "")); r.StatusCode != http.StatusNotFound {
		t.Errorf("unknown session: %s", r.Status)
	}
}

// TestSSEClientGone: when the client drops the stream, its session ends and
// what it was running is cancelled.
func TestSSEClientGone(t *testing.T) {
	f := newFixture(t, config.Codemode{}, SSE)
	c := f.sse(t, "")
	c.post(executeReq(1, `await step.block()`, ""))
	<-f.started
	c.cancel()
	select {
	case <-f.cancelled:
	case <-time.After(testenv.Within(5 * time.Second)):
		t.Fatal("the execution of a client that left was not cancelled")
	}
	deadline := time.Now().Add(5 * time.Second)
	for f.h.sessions.count() > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := f.h.sessions.count(); n != 0 {
		t.Errorf("%d sessions left open", n)
	}
}

// TestSSERefusesStateless: an SSE session lives on one server.
func TestSSERefusesStateless(t *testing.T) {
	_, err := New(Options{Server: newFixture(t, config.Codemode{}, HTTP).h.opts.Server, Transport: SSE, Config: config.Codemode{Stateless: true}})
	if err == nil || !strings.HasPrefix(err.Error(), "codemode.stateless is for --transport http") {
		t.Errorf("error = %v", err)
	}
}

// TestIDKey: the ids an SSE session counts as unanswered are matched with
// their answers however the client spelled them.
func TestIDKey(t *testing.T) {
	for in, want := range map[string]string{`"\u0041"`: `"A"`, `1.0`: `1`, `1`: `1`, `"a"`: `"a"`, `1e2`: `100`, `{`: `{`} {
		if got := idKey(in); got != want {
			t.Errorf("idKey(%s) = %s, want %s", in, got, want)
		}
	}
}
