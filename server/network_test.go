package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcp-codemode/mcp-codemode/config"
	"github.com/mcp-codemode/mcp-codemode/egress"
	"github.com/mcp-codemode/mcp-codemode/sandbox"
	"github.com/mcp-codemode/mcp-codemode/tools"
	"github.com/mcp-codemode/mcp-codemode/workspace"
)

const apiToken = "tok-3f9a1c77e2"

// echoServer answers on 127.0.0.1 with the request's headers as JSON.
func echoServer(t *testing.T) (*httptest.Server, int) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"path": r.URL.Path, "headers": r.Header})
	}))
	t.Cleanup(ts.Close)
	p, _ := strconv.Atoi(ts.URL[strings.LastIndexByte(ts.URL, ':')+1:])
	return ts, p
}

// networkServer serves the workspace with fetch allowed to the echo server,
// an Authorization header injected, as the command line builds it.
func networkServer(t *testing.T, port int, log *slog.Logger) *Server {
	t.Helper()
	n := config.Network{Allow: []config.NetworkRule{{Host: "127.0.0.1", Scheme: "http", Ports: []int{port},
		Methods: []string{"GET"}, AllowPrivate: true, InjectHeaders: map[string]string{"Authorization": "Bearer " + apiToken}}}}
	net, err := egress.New(n, egress.Options{Secrets: []string{apiToken}, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	reg := tools.NewRegistry(tools.Options{Secrets: []string{apiToken}})
	if err := reg.Add(workspace.New(nil, workspace.Limits{}).Tools()...); err != nil {
		t.Fatal(err)
	}
	return New(reg, Options{Limits: config.Codemode{Network: n}, Network: net, Logger: log})
}

func TestNoNetwork(t *testing.T) {
	srv := newTestServer(t, config.Codemode{})
	res := srv.Execute(context.Background(), `[typeof fetch, typeof Response, typeof URL, typeof __codemode_fetch]`)
	if res.Err != nil || string(res.Value) != `["undefined","undefined","undefined","undefined"]` {
		t.Errorf("got %s %v", res.Value, res.Err)
	}
	// A policy that does not compile leaves fetch out, and says so.
	var logs bytes.Buffer
	reg := tools.NewRegistry(tools.Options{})
	bad := config.Codemode{Network: config.Network{Allow: []config.NetworkRule{{Host: "https://x.test/"}}}}
	srv = New(reg, Options{Limits: bad, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if res := srv.Execute(context.Background(), `typeof fetch`); string(res.Value) != `"undefined"` {
		t.Errorf("fetch with a bad policy: %s", res.Value)
	}
	if !strings.Contains(logs.String(), "network policy refused; fetch is not available") || !strings.Contains(srv.Description(), "There is no network") {
		t.Errorf("log %q", logs.String())
	}
}

// TestFetchExecute goes through Server.Execute: the injected token reaches
// the API and nothing the model sees, logs included.
func TestFetchExecute(t *testing.T) {
	ts, port := echoServer(t)
	var logs bytes.Buffer
	srv := networkServer(t, port, slog.New(slog.NewTextHandler(&logs, nil)))
	res := srv.Execute(context.Background(), `const r = await fetch("`+ts.URL+`/v1/me");
const j = await r.json();
console.log(j.headers.Authorization[0]);
return { status: r.status, auth: j.headers.Authorization };`)
	if res.Err != nil || string(res.Value) != `{"status":200,"auth":["[redacted]"]}` {
		t.Fatalf("got %s %v", res.Value, res.Err)
	}
	if strings.Contains(strings.Join(res.Logs, "\n")+logs.String(), apiToken) {
		t.Errorf("the token leaked: logs %q, slog %q", res.Logs, logs.String())
	}
	if !strings.Contains(logs.String(), `msg=fetch method=GET url=`+ts.URL+`/v1/me rule=codemode.network.allow[0] status=200`) {
		t.Errorf("slog has no audit line: %s", logs.String())
	}
	res = srv.Execute(context.Background(), `await fetch("`+ts.URL+`/", { method: "POST", body: "x" })`)
	want := "fetch: POST " + ts.URL + "/ is not allowed: codemode.network.allow[0] (127.0.0.1) allows only GET, not POST"
	if res.Err == nil || res.Err.Name != "TypeError" || res.Err.Message != want {
		t.Errorf("got %+v; want TypeError: %s", res.Err, want)
	}
}

// TestFetchStats: through MCP, the audit is in structuredContent.stats and
// the description names what fetch may reach.
func TestFetchStats(t *testing.T) {
	ts, port := echoServer(t)
	srv := networkServer(t, port, slog.New(slog.NewTextHandler(io.Discard, nil)))
	head, _, _ := strings.Cut(srv.Description(), "\n\n")
	line := "`fetch(url, init)` (with Request, Response, Headers, URL) reaches only: GET http://127.0.0.1:" + strconv.Itoa(port) +
		"; anything else is refused. Credentials for 127.0.0.1 are added for you: do not set them. " +
		"At most 50 requests per run, 6 at a time, 10 MB per response, 10s each. There is no file system or require. "
	if !strings.Contains(head, line) {
		t.Errorf("description:\n%s\nwant it to hold\n%s", head, line)
	}
	c := connect(t, srv)
	ctx := context.Background()
	req := mcp.CallToolRequest{}
	req.Params.Name = "execute"
	req.Params.Arguments = map[string]any{"code": `(await fetch("` + ts.URL + `/a?access_token=xyz")).status`}
	res, err := c.CallTool(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := json.Marshal(res.StructuredContent)
	var got struct {
		Stats struct{ Fetches []egress.Record } `json:"stats"`
	}
	json.Unmarshal(data, &got)
	if len(got.Stats.Fetches) != 1 {
		t.Fatalf("structuredContent %s", data)
	}
	f := got.Stats.Fetches[0]
	if f.Method != "GET" || f.URL != ts.URL+"/a?access_token=REDACTED" || f.Rule != "codemode.network.allow[0]" || f.Status != 200 || f.Bytes == 0 {
		t.Errorf("audit %+v", f)
	}
}

// TestFetchConcurrent runs fetch-enabled executions at once: each adds fetch
// to its own copy of the API's bindings (they once appended to the shared
// slice, which -race reported), and each gets its own answer.
func TestFetchConcurrent(t *testing.T) {
	ts, port := echoServer(t)
	srv := networkServer(t, port, slog.New(slog.NewTextHandler(io.Discard, nil)))
	shared := srv.current().bindings()
	opts := sandbox.Options{Bindings: shared}
	srv.withNetwork(&opts)
	if len(opts.Bindings) != len(shared)+1 || &opts.Bindings[0] == &shared[0] {
		t.Fatalf("withNetwork appended to the API's bindings instead of a copy")
	}
	const n = 8
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := srv.Execute(context.Background(), `(await fetch("`+ts.URL+`/`+strconv.Itoa(i)+`")).json().then(j => j.path)`)
			if want := `"/` + strconv.Itoa(i) + `"`; res.Err != nil || string(res.Value) != want {
				t.Errorf("execution %d: got %s %v; want %s", i, res.Value, res.Err, want)
			}
		}()
	}
	wg.Wait()
}
