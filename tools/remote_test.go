package tools

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/mcp-codemode/mcp-codemode/config"
)

type headerKey struct{}

// headerServer is an mcp-go server whose tool "whoami" returns the
// Authorization and X-Api-Key headers of the request that carried the call.
func headerServer() *server.MCPServer {
	s := server.NewMCPServer("remote", "1.0.0", server.WithToolCapabilities(true))
	s.AddTool(mcp.NewTool("whoami", mcp.WithDescription("Return the caller's credentials.")),
		func(ctx context.Context, _ mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			h, _ := ctx.Value(headerKey{}).(http.Header)
			return mcp.NewToolResultStructuredOnly(map[string]string{
				"authorization": h.Get("Authorization"), "apiKey": h.Get("X-Api-Key"),
			}), nil
		})
	addFakeTools(s)
	return s
}

// seenHeaders records one header of every request a handler receives.
type seenHeaders struct {
	mu     sync.Mutex
	name   string
	values map[string]bool
}

func (s *seenHeaders) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.values[r.Header.Get(s.name)] = true
		s.mu.Unlock()
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), headerKey{}, r.Header.Clone())))
	})
}

func (s *seenHeaders) only(want string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.values) == 1 && s.values[want]
}

func withHeaders(ctx context.Context, r *http.Request) context.Context {
	return context.WithValue(ctx, headerKey{}, r.Header.Clone())
}

// Streamable HTTP and SSE upstreams on loopback, configured as a user
// would, with a ${VAR} in their headers.
func TestRemoteUpstreams(t *testing.T) {
	httpSeen := &seenHeaders{name: "Authorization", values: map[string]bool{}}
	hts := httptest.NewServer(httpSeen.wrap(server.NewStreamableHTTPServer(headerServer(),
		server.WithHTTPContextFunc(withHeaders))))
	t.Cleanup(hts.Close) // after the registry's Close (cleanups run last first)

	sseSeen := &seenHeaders{name: "X-Api-Key", values: map[string]bool{}}
	var sse http.Handler
	sts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { sse.ServeHTTP(w, r) }))
	t.Cleanup(sts.Close)
	sse = sseSeen.wrap(server.NewSSEServer(headerServer(), server.WithBaseURL(sts.URL), server.WithSSEContextFunc(withHeaders)))

	cfg := parseConfig(t, fmt.Sprintf(`{"mcpServers": {
		"remote": {"type": "http", "url": "%s/mcp", "headers": {"Authorization": "Bearer ${REMOTE_TOKEN}"}},
		"legacy": {"type": "sse", "url": "%s/sse", "headers": {"X-Api-Key": "${REMOTE_TOKEN}"}}
	}}`, hts.URL, sts.URL), map[string]string{"REMOTE_TOKEN": "tok-abcdef123456"})

	r := newTestRegistry(t, Options{Secrets: cfg.Secrets})
	for _, st := range mustConnect(t, r, cfg.Servers...) {
		t.Logf("%s (%s): %d tools in %s", st.Server, st.Transport, st.Tools, st.Duration)
		if st.Tools != 7 {
			t.Errorf("%s: %d tools, want 7", st.Server, st.Tools)
		}
	}
	if got := mustCall(t, r, "remote", "whoami", `{}`); got != `{"apiKey":"","authorization":"Bearer [redacted]"}` {
		t.Errorf("remote whoami = %s", got)
	}
	if got := mustCall(t, r, "legacy", "whoami", `{}`); got != `{"apiKey":"[redacted]","authorization":""}` {
		t.Errorf("legacy whoami = %s", got)
	}
	if !httpSeen.only("Bearer tok-abcdef123456") {
		t.Errorf("streamable HTTP server saw Authorization %v", httpSeen.values)
	}
	if !sseSeen.only("tok-abcdef123456") {
		t.Errorf("SSE server saw X-Api-Key %v", sseSeen.values)
	}
	for _, ns := range []string{"remote", "legacy"} {
		if got := mustCall(t, r, ns, "echo", `{"text":"via `+ns+`"}`); got != `"via `+ns+`"` {
			t.Errorf("%s echo = %s", ns, got)
		}
	}
}

// A remote server that goes away is reported as unavailable and
// reconnected once it is back.
func TestRemoteReconnect(t *testing.T) {
	var h http.Handler = server.NewStreamableHTTPServer(headerServer())
	var mu sync.Mutex
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		cur := h
		mu.Unlock()
		cur.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	r := newTestRegistry(t, Options{})
	mustConnect(t, r, config.Server{Name: "remote", Type: config.HTTP, URL: ts.URL + "/mcp"})
	mustCall(t, r, "remote", "echo", `{"text":"a"}`)

	mu.Lock()
	h = http.NotFoundHandler() // the server restarted: our session is gone
	mu.Unlock()
	_, err := call(t, r, "remote", "echo", `{"text":"b"}`)
	var ue *UpstreamError
	if !errors.As(err, &ue) {
		t.Fatalf("call to a vanished session: %v", err)
	}
	t.Logf("vanished: %v", err)

	mu.Lock()
	h = server.NewStreamableHTTPServer(headerServer())
	mu.Unlock()
	if got := mustCall(t, r, "remote", "echo", `{"text":"c"}`); got != `"c"` {
		t.Errorf("after reconnect: %s", got)
	}
}

// AddMCPServer hands an in-process mcp-go server's tools over.
func TestAddMCPServer(t *testing.T) {
	r := newTestRegistry(t, Options{})
	must(t, r.AddMCPServer(context.Background(), "lib", headerServer()))
	if got := mustCall(t, r, "lib", "echo", `{"text":"in process"}`); got != `"in process"` {
		t.Errorf("echo = %s", got)
	}
	if err := r.AddMCPServer(context.Background(), "lib", headerServer()); err == nil {
		t.Error("a second server under the same name was accepted")
	}
	if err := r.Add(NewTool("lib", "mine", "", nil, okHandler)); err == nil {
		t.Error("a built-in tool was added to an upstream's namespace")
	}
}

func parseConfig(t *testing.T, text string, env map[string]string) *config.Config {
	t.Helper()
	cfg, err := config.Parse("test.json", []byte(text), func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}
