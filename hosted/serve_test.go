package hosted

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mcp-codemode/mcp-codemode/config"
	"github.com/mcp-codemode/mcp-codemode/internal/testenv"
	"github.com/mcp-codemode/mcp-codemode/tools"
)

// TestMetrics: /metrics shows executions by outcome, their durations, tool
// calls by server, tool and outcome, sessions, refusals and upstream health.
func TestMetrics(t *testing.T) {
	f := newFixture(t, authConfig(config.Codemode{MaxConcurrent: 1}), HTTP)
	c := f.client(t, tokenA).initialize()
	messages(t, c.post(executeReq(1, `await step.ok(); await step.ok(); return 1`, "")))
	messages(t, c.post(executeReq(2, `throw new Error("x")`, "")))
	messages(t, c.post(executeReq(3, `await workspace.read_file({path: "missing"})`, "")))
	f.client(t, "").post(initialize) // a 401
	req, _ := http.NewRequest(http.MethodGet, f.srv.URL+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+tokenB)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	text := body(resp)
	resp.Body.Close()
	for _, want := range []string{
		`mcp_codemode_executions_total{outcome="ok"} 1`,
		`mcp_codemode_executions_total{outcome="error"} 2`,
		`mcp_codemode_execution_duration_seconds_count 3`,
		`mcp_codemode_tool_calls_total{outcome="ok",server="step",tool="ok"} 2`,
		`mcp_codemode_tool_calls_total{outcome="tool_error",server="workspace",tool="read_file"} 1`,
		`mcp_codemode_sessions 1`,
		`mcp_codemode_http_refusals_total{status="401"} 1`,
		`mcp_codemode_sandbox_memory_stops_total 0`,
		`process_open_fds `,
		`go_goroutines `,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	m := NewMetrics()
	m.Executed("memory_limit", time.Millisecond)
	m.Executed("busy", 0)
	var b bytes.Buffer
	rec := &recorder{header: http.Header{}, body: &b}
	m.handler().ServeHTTP(rec, httptestRequest())
	for _, want := range []string{"mcp_codemode_sandbox_memory_stops_total 1", `mcp_codemode_executions_total{outcome="busy"} 1`, "mcp_codemode_execution_duration_seconds_count 1"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

// TestReadyz: ready while every upstream is up; not ready with one that
// failed at start, or while shutting down. Health needs no token.
func TestReadyz(t *testing.T) {
	f := newFixture(t, authConfig(config.Codemode{}), HTTP)
	get := func(path string) (int, string) {
		resp, err := http.Get(f.srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		return resp.StatusCode, body(resp)
	}
	if code, text := get("/readyz"); code != 200 || text != "ready\n" {
		t.Errorf("readyz = %d %q", code, text)
	}
	f.h.opts.Started = []tools.Status{{Server: "github", Err: errors.New("connection refused")}}
	if code, text := get("/readyz"); code != 503 || text != "not ready\ngithub: failed to start: connection refused\n" {
		t.Errorf("readyz with a failed upstream = %d %q", code, text)
	}
	f.h.drain()
	if code, text := get("/readyz"); code != 503 || !strings.HasPrefix(text, "shutting down\n") {
		t.Errorf("readyz while draining = %d %q", code, text)
	}
	if code, _ := get("/healthz"); code != 200 {
		t.Errorf("healthz = %d", code)
	}
}

// TestGracefulShutdown: on ctx, requests in flight finish within the grace
// period and new ones are refused; past the grace they are cancelled.
func TestGracefulShutdown(t *testing.T) {
	for _, tt := range []struct {
		name  string
		grace time.Duration
		code  string
		want  string
	}{
		{"finishes within grace", 5 * time.Second, `return await step.slow({ms: 400})`, `"slept"`},
		{"cancelled after grace", 300 * time.Millisecond, `await step.block()`, "CancelledError: execution cancelled: the server is shutting down"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, config.Codemode{}, HTTP)
			ln := loopbackListener(t)
			ctx, stop := context.WithCancel(context.Background())
			served := make(chan error, 1)
			go func() { served <- f.h.Serve(ctx, ln, tt.grace) }()
			c := &client{t: t, url: "http://" + ln.Addr().String() + "/mcp", header: map[string]string{}}
			c.initialize()
			got := make(chan string, 1)
			go func() { got <- resultText(t, messages(t, c.post(executeReq(1, tt.code, "")))[0]) }()
			<-f.started
			start := time.Now()
			stop()
			select {
			case text := <-got:
				if !strings.HasPrefix(text, tt.want) {
					t.Errorf("the request in flight got %q, want %q", text, tt.want)
				}
			case <-time.After(testenv.Within(10 * time.Second)):
				t.Fatal("the request in flight never finished")
			}
			if err := <-served; err != nil {
				t.Errorf("Serve: %v", err)
			}
			t.Logf("shut down in %v", time.Since(start))
		})
	}
}

// TestLogHandler: a record logged with a request's context names the
// request; the response echoes a good X-Request-Id and replaces a bad one.
func TestLogHandler(t *testing.T) {
	var b bytes.Buffer
	log := slog.New(LogHandler(slog.NewJSONHandler(&b, nil)))
	ctx := context.WithValue(context.Background(), reqInfoKey{}, &reqInfo{id: "req-1"})
	log.InfoContext(ctx, "execute", "outcome", "ok")
	if !strings.Contains(b.String(), `"request_id":"req-1"`) {
		t.Errorf("log line: %s", b.String())
	}
	f := newFixture(t, config.Codemode{}, HTTP)
	for in, want := range map[string]string{"abc-123": "^abc-123$", "bad id with spaces": "^[0-9a-f]{16}$", "": "^[0-9a-f]{16}$"} {
		req, _ := http.NewRequest(http.MethodGet, f.srv.URL+"/healthz", nil)
		req.Header.Set("X-Request-Id", in)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("X-Request-Id"); !regexp.MustCompile(want).MatchString(got) {
			t.Errorf("X-Request-Id %q came back as %q", in, got)
		}
	}
}

type recorder struct {
	header http.Header
	body   *bytes.Buffer
}

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }
func (r *recorder) WriteHeader(int)             {}

func httptestRequest() *http.Request {
	r, _ := http.NewRequest(http.MethodGet, "/metrics", nil)
	return r
}
