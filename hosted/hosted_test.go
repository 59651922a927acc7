package hosted

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcp-codemode/mcp-codemode/config"
	"github.com/mcp-codemode/mcp-codemode/server"
	"github.com/mcp-codemode/mcp-codemode/tools"
	"github.com/mcp-codemode/mcp-codemode/workspace"
)

const (
	tokenA = "token-of-alice-0123456789"
	tokenB = "token-of-bob-0123456789ab"
)

// fixture is a Handler over a registry with the workspace and step.ok,
// step.block (returns when cancelled, reporting it on cancelled) and
// step.slow (sleeps its "ms" argument), served on loopback.
type fixture struct {
	h         *Handler
	srv       *httptest.Server
	started   chan struct{}
	cancelled chan time.Time
}

func newFixture(t *testing.T, c config.Codemode, transport string) *fixture {
	t.Helper()
	return newFixtureBody(t, c, transport, 64<<10)
}

// newFixtureBody is newFixture with a body cap of maxBody bytes.
func newFixtureBody(t *testing.T, c config.Codemode, transport string, maxBody int64) *fixture {
	t.Helper()
	f := &fixture{started: make(chan struct{}, 100), cancelled: make(chan time.Time, 100)}
	metrics := NewMetrics()
	reg := stepRegistry(t, f)
	srv := server.New(reg, server.Options{Limits: c, Observer: metrics, Logger: testLogger(t)})
	h, err := New(Options{Server: srv, Registry: reg, Transport: transport, Config: c, Loopback: true,
		Metrics: metrics, Logger: testLogger(t), MaxBodyBytes: maxBody})
	if err != nil {
		t.Fatal(err)
	}
	f.h = h
	f.srv = httptest.NewServer(h)
	t.Cleanup(f.srv.Close)
	t.Cleanup(h.closeSSE)
	return f
}

func stepRegistry(t *testing.T, f *fixture) *tools.Registry {
	t.Helper()
	reg := tools.NewRegistry(tools.Options{Logger: testLogger(t)})
	t.Cleanup(func() { reg.Close() })
	err := reg.Add(append(workspace.New(nil, workspace.Limits{}).Tools(),
		tools.Tool{Server: "step", Name: "ok", Handler: func(context.Context, json.RawMessage) (*mcp.CallToolResult, error) {
			return mcp.NewToolResultText(`"ok"`), nil
		}},
		tools.Tool{Server: "step", Name: "block", Handler: func(ctx context.Context, _ json.RawMessage) (*mcp.CallToolResult, error) {
			f.started <- struct{}{}
			<-ctx.Done()
			f.cancelled <- time.Now()
			return nil, ctx.Err()
		}},
		tools.Tool{Server: "step", Name: "slow", Handler: func(ctx context.Context, args json.RawMessage) (*mcp.CallToolResult, error) {
			var a struct{ MS int }
			_ = json.Unmarshal(args, &a)
			f.started <- struct{}{}
			select {
			case <-time.After(time.Duration(a.MS) * time.Millisecond):
				return mcp.NewToolResultText(`"slept"`), nil
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}},
	)...)
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func authConfig(c config.Codemode) config.Codemode {
	c.Auth = &config.Auth{Tokens: []string{tokenA, tokenB}}
	return c
}

// client speaks raw streamable HTTP: what each rule looks like on the wire.
type client struct {
	t       *testing.T
	url     string
	token   string
	session string
	header  map[string]string
}

func (f *fixture) client(t *testing.T, token string) *client {
	return &client{t: t, url: f.srv.URL + "/mcp", token: token, header: map[string]string{}}
}

// do sends one request; body "" sends none.
func (c *client) do(method, body string) *http.Response {
	c.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, c.url, r)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if c.session != "" {
		req.Header.Set("Mcp-Session-Id", c.session)
	}
	for k, v := range c.header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func (c *client) post(body string) *http.Response { return c.do(http.MethodPost, body) }

const initialize = `{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`

// initialize opens a session and keeps its id.
func (c *client) initialize() *client {
	c.t.Helper()
	resp := c.post(initialize)
	if resp.StatusCode != http.StatusOK {
		c.t.Fatalf("initialize: %s %s", resp.Status, body(resp))
	}
	c.session = resp.Header.Get("Mcp-Session-Id")
	if r := c.post(`{"jsonrpc":"2.0","method":"notifications/initialized"}`); r.StatusCode != http.StatusAccepted {
		c.t.Fatalf("notifications/initialized: %s", r.Status)
	}
	return c
}

// messages reads the JSON-RPC messages of a response: one JSON body, or
// the events of an SSE stream, in order.
func messages(t *testing.T, resp *http.Response) []map[string]any {
	t.Helper()
	var out []map[string]any
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		var m map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
			t.Fatalf("%s: %v", resp.Status, err)
		}
		return append(out, m)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			var m map[string]any
			if err := json.Unmarshal([]byte(data), &m); err != nil {
				t.Fatalf("event %q: %v", data, err)
			}
			out = append(out, m)
		}
	}
	return out
}

func body(resp *http.Response) string {
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func executeReq(id int, code, meta string) string {
	c, _ := json.Marshal(code)
	if meta != "" {
		meta = `,"_meta":` + meta
	}
	return fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"execute","arguments":{"code":%s}%s}}`, id, c, meta)
}

// resultText is the text of a tools/call response.
func resultText(t *testing.T, m map[string]any) string {
	t.Helper()
	res, ok := m["result"].(map[string]any)
	if !ok {
		t.Fatalf("not a result: %v", m)
	}
	return res["content"].([]any)[0].(map[string]any)["text"].(string)
}

func loopbackListener(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}
