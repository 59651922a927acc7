package hosted

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"

	"github.com/mcp-codemode/mcp-codemode/config"
	"github.com/mcp-codemode/mcp-codemode/server"
	"github.com/mcp-codemode/mcp-codemode/tools"
)

func digestOf(s string) string {
	d := sha256.Sum256([]byte(s))
	return hex.EncodeToString(d[:])
}

// TestAuthenticate: which requests pass, as whom, and what a refused one
// is told (401 and its WWW-Authenticate).
func TestAuthenticate(t *testing.T) {
	f := newFixture(t, authConfig(config.Codemode{}), HTTP)
	tests := []struct {
		name, path, header string
		wantStatus         int
		wantChallenge      string
	}{
		{"no token", "/mcp", "", 401, `Bearer realm="mcp-codemode"`},
		{"other scheme", "/mcp", "Basic " + tokenA, 401, `Bearer realm="mcp-codemode"`},
		{"wrong token", "/mcp", "Bearer " + tokenA + "x", 401,
			`Bearer realm="mcp-codemode", error="invalid_token", error_description="the bearer token is not valid"`},
		{"good token", "/mcp", "Bearer " + tokenA, 200, ""},
		{"scheme in any case", "/mcp", "bearer " + tokenB, 200, ""},
		{"metrics need a token", "/metrics", "", 401, `Bearer realm="mcp-codemode"`},
		{"metrics with one", "/metrics", "Bearer " + tokenB, 200, ""},
		{"healthz needs none", "/healthz", "", 200, ""},
		{"readyz needs none", "/readyz", "", 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method, payload := http.MethodGet, ""
			if tt.path == "/mcp" {
				method, payload = http.MethodPost, initialize
			}
			req, _ := http.NewRequest(method, f.srv.URL+tt.path, strings.NewReader(payload))
			req.Header.Set("Content-Type", "application/json")
			if tt.header != "" {
				req.Header.Set("Authorization", tt.header)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			got := []any{resp.StatusCode, resp.Header.Get("WWW-Authenticate")}
			if diff := cmp.Diff([]any{tt.wantStatus, tt.wantChallenge}, got); diff != "" {
				t.Errorf("status and challenge (-want +got):\n%s", diff)
			}
		})
	}
}

// TestTokenEntries: the forms an auth.tokens entry takes, and the subject
// each names.
func TestTokenEntries(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "tokens")
	content := "# hashed tokens\n\nsha256:" + digestOf("carol-secret-token-123") + " carol\n" + digestOf("dave-secret-token-4567") + "\n"
	if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	a, err := newAuthenticator(&config.Auth{Tokens: []string{tokenA, "sha256:" + digestOf(tokenB), "file:" + file}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, tok := range []string{tokenA, tokenB, "carol-secret-token-123", "dave-secret-token-4567", "nobody-0123456789"} {
		subject, ok := a.match(tok)
		if !ok {
			subject = "refused"
		}
		got[tok] = subject
	}
	want := map[string]string{
		tokenA:                   "token:" + digestOf(tokenA)[:12],
		tokenB:                   "token:" + digestOf(tokenB)[:12],
		"carol-secret-token-123": "carol",
		"dave-secret-token-4567": "token:" + digestOf("dave-secret-token-4567")[:12],
		"nobody-0123456789":      "refused",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("subjects (-want +got):\n%s", diff)
	}

	bad := []struct{ entry, want string }{
		{"short", "codemode.auth.tokens[0]: a token of 5 characters is too easy to guess; use at least 16 random ones"},
		{"sha256:abc", `codemode.auth.tokens[0]: "sha256:abc" is not sha256: and 64 hex digits`},
		{"file:" + filepath.Join(dir, "missing"), "codemode.auth.tokens[0]: open "},
	}
	for _, b := range bad {
		_, err := newAuthenticator(&config.Auth{Tokens: []string{b.entry}}, nil)
		if err == nil || !strings.HasPrefix(err.Error(), b.want) {
			t.Errorf("%q: error %v, want prefix %q", b.entry, err, b.want)
		}
	}
}

// TestTokenNotForwarded: the client's bearer token never reaches an
// upstream, though a script's call to that upstream is made on the
// client's behalf over HTTP.
func TestTokenNotForwarded(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	up := mcpserver.NewMCPServer("echo", "1")
	up.AddTool(mcp.NewTool("hi"), func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return mcp.NewToolResultText(`"hi"`), nil
	})
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Get("Authorization"))
		mu.Unlock()
		mcpserver.NewStreamableHTTPServer(up).ServeHTTP(w, r)
	}))
	defer upstream.Close()

	reg := tools.NewRegistry(tools.Options{Logger: testLogger(t)})
	defer reg.Close()
	for _, st := range reg.Connect(context.Background(), []config.Server{{Name: "echo", Type: config.HTTP, URL: upstream.URL,
		Headers: map[string]string{"Authorization": "Bearer upstream-own-credential"}}}) {
		if st.Err != nil {
			t.Fatal(st.Err)
		}
	}
	c := authConfig(config.Codemode{})
	h, err := New(Options{Server: server.New(reg, server.Options{Limits: c}), Registry: reg, Config: c, Loopback: true, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	cl := &client{t: t, url: srv.URL + "/mcp", token: tokenA, header: map[string]string{}}
	cl.initialize()
	if text := resultText(t, messages(t, cl.post(executeReq(1, `return await echo.hi()`, "")))[0]); text != `"hi"` {
		t.Fatalf("execute: %s", text)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, a := range seen {
		if strings.Contains(a, tokenA) || a != "Bearer upstream-own-credential" {
			t.Errorf("the upstream saw Authorization %q; want only its own configured credential", a)
		}
	}
	if len(seen) == 0 {
		t.Error("the upstream saw no request")
	}
}
