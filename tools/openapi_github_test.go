package tools

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mcp-codemode/mcp-codemode/config"
	"github.com/mcp-codemode/mcp-codemode/internal/testenv"
)

// githubMock answers a few operations of GitHub's REST API as GitHub does,
// checking the credential; anything else is 404 as GitHub says it.
func githubMock(t testing.TB) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		if r.Header.Get("Authorization") != "Bearer ghp_mocktoken" {
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"message":"Requires authentication","documentation_url":"https://docs.github.com/rest","status":"401"}`)
			return
		}
		body, _ := io.ReadAll(r.Body)
		switch p := r.URL.EscapedPath(); {
		case r.Method == "POST" && p == "/repos/octo/hello/issues":
			var in struct{ Title string }
			json.Unmarshal(body, &in)
			w.WriteHeader(http.StatusCreated)
			json.NewEncoder(w).Encode(map[string]any{"number": 7, "title": in.Title, "state": "open", "accept": r.Header.Get("Accept")})
		case r.Method == "GET" && p == "/repos/octo/hello/issues":
			json.NewEncoder(w).Encode([]map[string]any{{"number": 7, "query": r.URL.RawQuery}})
		case r.Method == "GET" && p == "/repos/octo/hello/contents/docs%2FREADME.md":
			json.NewEncoder(w).Encode(map[string]any{"type": "file", "path": "docs/README.md", "ref": r.URL.Query().Get("ref")})
		default:
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"message":"Not Found","documentation_url":"https://docs.github.com/rest","status":"404"}`)
		}
	}))
}

func githubRegistry(t testing.TB, base string) *Registry {
	t.Helper()
	spec, err := filepath.Abs(filepath.Join(testenv.NodeModules(t), "@octokit", "openapi", "generated", "api.github.com.json"))
	if err != nil {
		t.Fatal(err)
	}
	r := NewRegistry(Options{Secrets: []string{"ghp_mocktoken"}, Logger: slog.New(slog.DiscardHandler)})
	t.Cleanup(func() { r.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), testenv.Within(30*time.Second))
	defer cancel()
	start := time.Now()
	st := r.Connect(ctx, []config.Server{{Name: "github", Type: config.OpenAPI, Spec: spec, BaseURL: base, AllowPrivate: true,
		Timeout: time.Minute, Headers: map[string]string{"Authorization": "Bearer ghp_mocktoken", "X-GitHub-Api-Version": "2022-11-28",
			"Accept": "application/vnd.github+json"}}})
	if st[0].Err != nil {
		t.Fatal(st[0].Err)
	}
	t.Logf("GitHub's API: %d tools registered in %v", st[0].Tools, time.Since(start).Round(time.Millisecond))
	return r
}

func TestOpenAPIGitHub(t *testing.T) {
	srv := githubMock(t)
	defer srv.Close()
	r := githubRegistry(t, srv.URL)

	for _, tt := range []struct{ tool, args, want string }{
		{"github.issues_create", `{"owner": "octo", "repo": "hello", "body": {"title": "Found a bug", "labels": ["bug"]}}`,
			`{"accept":"application/vnd.github+json","number":7,"state":"open","title":"Found a bug"}`},
		{"github.issues_list_for_repo", `{"owner": "octo", "repo": "hello", "state": "closed", "labels": "bug,ui", "per_page": 5}`,
			`[{"number":7,"query":"state=closed\u0026labels=bug%2Cui\u0026per_page=5"}]`},
		{"github.repos_get_content", `{"owner": "octo", "repo": "hello", "path": "docs/README.md", "ref": "main"}`,
			`{"path":"docs/README.md","ref":"main","type":"file"}`},
	} {
		got, err := callRaw(r, tt.tool, tt.args)
		if err != nil {
			t.Errorf("%s: %v", tt.tool, err)
			continue
		}
		if diff := cmp.Diff(tt.want, strings.TrimSpace(string(got))); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.tool, diff)
		}
	}

	_, err := callRaw(r, "github.issues_get", `{"owner": "octo", "repo": "hello", "issue_number": 99}`)
	var he *HTTPError
	const want = `github.issues_get: 404 Not Found (GET /repos/{owner}/{repo}/issues/{issue_number}): {"message":"Not Found","documentation_url":"https://docs.github.com/rest","status":"404"}`
	if !errors.As(err, &he) || err.Error() != want {
		t.Errorf("issues_get of a missing issue:\n got %v\nwant %s", err, want)
	}
	_, err = callRaw(r, "github.issues_create", `{"owner": "octo", "repo": "hello", "body": {}}`)
	if err == nil || err.Error() != "github.issues_create: body.title: required" {
		t.Errorf("issues_create without a title: %v", err)
	}
}

// callRaw calls a tool by the path the model writes.
func callRaw(r *Registry, path, args string) (json.RawMessage, error) {
	for _, e := range r.Entries() {
		if e.Path() == path {
			return r.Call(context.Background(), e.ID, json.RawMessage(args))
		}
	}
	return nil, errors.New("no tool " + path)
}

// TestOpenAPIGitHubThroughput logs operations per second through the
// mock, one at a time and eight at a time.
func TestOpenAPIGitHubThroughput(t *testing.T) {
	srv := githubMock(t)
	defer srv.Close()
	r := githubRegistry(t, srv.URL)
	const args = `{"owner": "octo", "repo": "hello", "body": {"title": "Found a bug"}}`
	for _, workers := range []int{1, 8} {
		const n = 400
		var wg sync.WaitGroup
		start := time.Now()
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := w; i < n; i += workers {
					if _, err := callRaw(r, "github.issues_create", args); err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
		t.Logf("%d concurrent: %.0f operations/s (%d calls in %v)", workers, n/time.Since(start).Seconds(), n, time.Since(start).Round(time.Millisecond))
	}
}
