package config

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseOpenAPI(t *testing.T) {
	const text = `{"mcpServers": {
  "github": {"type": "openapi", "spec": "specs/github.json", "base_url": "https://api.github.com",
             "headers": {"Authorization": "Bearer ${GITHUB_TOKEN}"}, "operations": ["GET /repos/**", "issues_*"]},
  "local": {"type": "openapi", "spec": "https://example.com/openapi.yaml", "allow_private": true}
}}`
	c, err := Parse("/etc/codemode/config.json", []byte(text), env(map[string]string{"GITHUB_TOKEN": "ghp_x"}))
	if err != nil {
		t.Fatal(err)
	}
	want := []Server{
		{Name: "github", Type: OpenAPI, Timeout: time.Minute, Spec: "/etc/codemode/specs/github.json",
			BaseURL: "https://api.github.com", Headers: map[string]string{"Authorization": "Bearer ghp_x"},
			Operations: []string{"GET /repos/**", "issues_*"}},
		{Name: "local", Type: OpenAPI, Timeout: time.Minute, Spec: "https://example.com/openapi.yaml", AllowPrivate: true, Env: nil},
	}
	if diff := cmp.Diff(want, c.Servers); diff != "" {
		t.Errorf("servers (-want +got):\n%s", diff)
	}
}

func TestParseOpenAPIErrors(t *testing.T) {
	for _, tt := range []struct{ entry, want string }{
		{`{"type": "openapi"}`, `config c.json: mcpServers.api.spec: is missing; an OpenAPI entry needs "spec"`},
		{`{"type": "openapi", "spec": "a.json", "url": "https://x.example/mcp"}`, `mcpServers.api: is "type": "openapi" but has "command" or "url"`},
		{`{"spec": "a.json", "command": "x"}`, `mcpServers.api.type: is "" but the entry has "spec" or "base_url"`},
		{`{"type": "openapi", "spec": "a.json", "base_url": "api.example.com"}`, `mcpServers.api.base_url: is not an http or https URL with a host`},
		{`{"type": "openapi", "spec": "http://example.com/a.json"}`, `mcpServers.api.spec: is an http URL; fetch the document over https`},
		{`{"type": "openapi", "spec": "a.json", "operations": [" "]}`, `mcpServers.api.operations: has an empty pattern at [0]`},
	} {
		_, err := Parse("c.json", []byte(`{"mcpServers": {"api": `+tt.entry+`}}`), env(nil))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got %v, want it to contain %q", tt.entry, err, tt.want)
		}
	}
}

// An OpenAPI entry whose header names an unset variable is left out like
// any other server (README: Configuration).
func TestParseOpenAPIUnset(t *testing.T) {
	c, err := Parse("c.json", []byte(`{"mcpServers": {"api": {"type": "openapi", "spec": "a.json", "headers": {"X-Key": "${KEY}"}}}}`), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Unavailable) != 1 || c.Unavailable[0].Type != OpenAPI || !strings.Contains(c.Unavailable[0].Err.Error(), "KEY") {
		t.Errorf("unavailable = %+v", c.Unavailable)
	}
}
