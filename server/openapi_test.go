package server

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mcp-codemode/mcp-codemode/config"
	"github.com/mcp-codemode/mcp-codemode/internal/testenv"
	"github.com/mcp-codemode/mcp-codemode/tools"
)

// githubRegistry serves GitHub's REST API (README: OpenAPI upstreams) from @octokit/openapi's
// document; nothing is sent to it.
func githubRegistry(t testing.TB) *tools.Registry {
	t.Helper()
	spec, err := filepath.Abs(filepath.Join(testenv.NodeModules(t), "@octokit", "openapi", "generated", "api.github.com.json"))
	must(t, err)
	reg := tools.NewRegistry(tools.Options{})
	t.Cleanup(func() { reg.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), testenv.Within(30*time.Second))
	defer cancel()
	st := reg.Connect(ctx, []config.Server{{Name: "github", Type: config.OpenAPI, Spec: spec, Timeout: time.Minute}})
	must(t, st[0].Err)
	return reg
}

// TestOpenAPIGitHubPrompt states what GitHub's API of 1,223 operations
// costs in the execute description, in o200k tokens, and checks that it
// is within the default budget and tells the model how to find the rest.
func TestOpenAPIGitHubPrompt(t *testing.T) {
	srv := New(githubRegistry(t), Options{})
	desc := srv.Description()
	full := describeFull(srv.current(), srv.limits, "")
	real := o200k(t, map[string]string{"index": desc, "full": full})
	t.Logf("GitHub's API in the execute description: %d o200k tokens (estimate %d); all its declarations would be %d (estimate %d)",
		real["index"], estimateTokens(desc), real["full"], estimateTokens(full))
	if n := estimateTokens(desc); n*100 > 4000*estimateMargin || real["index"] > 4000 {
		t.Errorf("description: estimate %d, o200k %d tokens; the budget is 4000", n, real["index"])
	}
	for _, want := range []string{"// github (1223 tools)", "codemode.search("} {
		if !strings.Contains(desc, want) {
			t.Errorf("the description lacks %q:\n%s", want, desc)
		}
	}
}

// TestOpenAPIGitHubSearch: codemode.search finds GitHub's operations by
// plain-language tasks, and describe gives their declarations. (Not yet:
// "list pull requests" ranks pulls_list below operations whose names hold
// all three words, pulls_list_requested_reviewers first.)
func TestOpenAPIGitHubSearch(t *testing.T) {
	srv := New(githubRegistry(t), Options{})
	for _, tt := range []struct{ task, want string }{
		{"create an issue", "github.issues_create"},
		{"merge a pull request", "github.pulls_merge"},
		{"get the contents of a file in a repository", "github.repos_get_content"},
		{"star a repository", "github.activity_star_repo_for_authenticated_user"},
		{"add labels to an issue", "github.issues_add_labels"},
		{"search code", "github.search_code"},
	} {
		res := srv.Execute(context.Background(), `return (await codemode.search(`+jsonString(tt.task)+`, { limit: 3 })).map(h => h.name)`)
		if res.Err != nil {
			t.Fatalf("%s: %v", tt.task, res.Err)
		}
		if got := string(res.Value); !strings.Contains(got, `"`+tt.want+`"`) {
			t.Errorf("search %q: %s, want %s among the first 3", tt.task, got, tt.want)
		}
	}
	res := srv.Execute(context.Background(), `return await codemode.describe("github.issues_create")`)
	if res.Err != nil || !strings.Contains(string(res.Value), "issues_create(args: {") {
		t.Errorf("describe: %s %v", res.Value, res.Err)
	}
}

// approve_destructive gates every method but GET, HEAD and OPTIONS.
func TestOpenAPIApproveDestructive(t *testing.T) {
	srv := New(githubRegistry(t), Options{Limits: config.Codemode{ApproveDestructive: true}})
	got := map[string]string{}
	for _, e := range srv.reg.Entries() {
		switch e.Name {
		case "issues_create", "issues_get", "repos_delete", "issues_update":
			got[e.Name] = srv.needsApproval(e)
		}
	}
	want := map[string]string{"issues_create": "codemode.approve_destructive", "issues_get": "",
		"repos_delete": "codemode.approve_destructive", "issues_update": "codemode.approve_destructive"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: needsApproval %q, want %q", k, got[k], v)
		}
	}
}

func jsonString(s string) string { return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"` }

// A status outside 2xx reaches the script as an HttpError it can catch,
// with the status (also as e.status), the operation and the body's start
// in its message.
func TestOpenAPIHttpErrorInScript(t *testing.T) {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnprocessableEntity)
		io.WriteString(w, `{"message":"Validation Failed","errors":[{"field":"title","code":"missing_field"}]}`)
	}))
	defer api.Close()
	spec := filepath.Join(t.TempDir(), "api.yaml")
	must(t, os.WriteFile(spec, []byte(`openapi: 3.1.0
info: {title: Issues, version: "1"}
paths:
  /repos/{owner}/{repo}/issues:
    post:
      operationId: issues/create
      parameters:
        - {name: owner, in: path, required: true, schema: {type: string}}
        - {name: repo, in: path, required: true, schema: {type: string}}
      requestBody: {content: {application/json: {schema: {type: object}}}}
      responses: {"201": {description: created}}
`), 0o600))
	reg := tools.NewRegistry(tools.Options{})
	defer reg.Close()
	st := reg.Connect(context.Background(), []config.Server{{Name: "gh", Type: config.OpenAPI, Spec: spec, BaseURL: api.URL,
		AllowPrivate: true, Timeout: time.Minute}})
	must(t, st[0].Err)
	res := New(reg, Options{}).Execute(context.Background(), `try { await gh.issues_create({ owner: "o", repo: "r", body: {} }) }
		catch (e) { return [e.name, e instanceof Error, e.status, e.message] }`)
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	const want = `["HttpError",true,422,"gh.issues_create: 422 Unprocessable Entity (POST /repos/{owner}/{repo}/issues): {\"message\":\"Validation Failed\",\"errors\":[{\"field\":\"title\",\"code\":\"missing_field\"}]}"]`
	if got := compactJSON(t, res.Value); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// TestOpenAPIScriptRate logs operations per second of a script calling
// GitHub's issues_create against a loopback mock, one after another and
// all at once (200 calls, the default max_tool_calls).
func TestOpenAPIScriptRate(t *testing.T) {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, `{"number":7,"title":"Found a bug"}`)
	}))
	defer api.Close()
	spec, err := filepath.Abs(filepath.Join(testenv.NodeModules(t), "@octokit", "openapi", "generated", "api.github.com.json"))
	must(t, err)
	reg := tools.NewRegistry(tools.Options{})
	defer reg.Close()
	st := reg.Connect(context.Background(), []config.Server{{Name: "github", Type: config.OpenAPI, Spec: spec, BaseURL: api.URL,
		AllowPrivate: true, Timeout: time.Minute}})
	must(t, st[0].Err)
	srv := New(reg, Options{})
	const call = `github.issues_create({ owner: "octo", repo: "hello", body: { title: "Found a bug" } })`
	for _, tt := range []struct{ how, code string }{
		{"one after another", `let n = 0; for (let i = 0; i < 200; i++) n += (await ` + call + `).number; return n`},
		{"all at once", `return (await Promise.all(Array.from({ length: 200 }, () => ` + call + `))).reduce((n, r) => n + r.number, 0)`},
	} {
		start := time.Now()
		res := srv.Execute(context.Background(), tt.code)
		took := time.Since(start)
		if res.Err != nil || string(res.Value) != "1400" {
			t.Fatalf("%s: %s %v", tt.how, res.Value, res.Err)
		}
		t.Logf("%s: 200 operations in %v, %.0f/s", tt.how, took.Round(time.Millisecond), 200/took.Seconds())
	}
}
