package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func env(vars map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := vars[k]
		return v, ok
	}
}

func TestLoadClaudeDesktopConfig(t *testing.T) {
	c, err := Load("testdata/claude_desktop_config.json", env(map[string]string{"GITHUB_TOKEN": "ghp_secret123"}))
	if err != nil {
		t.Fatal(err)
	}
	want := []Server{
		{Name: "filesystem", Type: Stdio, Command: "npx", Timeout: time.Minute,
			Args: []string{"-y", "@modelcontextprotocol/server-filesystem", "/Users/username/Desktop", "/Users/username/Downloads"}},
		{Name: "github", Type: Stdio, Command: "docker", Timeout: time.Minute,
			Args: []string{"run", "-i", "--rm", "-e", "GITHUB_PERSONAL_ACCESS_TOKEN", "ghcr.io/github/github-mcp-server"},
			Env:  map[string]string{"GITHUB_PERSONAL_ACCESS_TOKEN": "ghp_secret123"}},
		{Name: "memory", Type: Stdio, Command: "npx", Timeout: time.Minute,
			Args: []string{"-y", "@modelcontextprotocol/server-memory"},
			Env:  map[string]string{"MEMORY_FILE_PATH": "/Users/username/memory.json"}},
	}
	if diff := cmp.Diff(want, c.Servers); diff != "" {
		t.Errorf("servers (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"ghp_secret123"}, c.Secrets); diff != "" {
		t.Errorf("secrets (-want +got):\n%s", diff)
	}
	if c.Codemode.Timeout != 30*time.Second || c.Codemode.MaxToolCalls != 200 || c.Codemode.MaxOutputBytes != 24000 || c.Codemode.MemoryLimitMB != 128 {
		t.Errorf("defaults not applied: %+v", c.Codemode)
	}
}

func TestParseFullExample(t *testing.T) {
	const text = `{
  "mcpServers": {
    "memory": { "command": "npx", "args": ["-y", "@modelcontextprotocol/server-memory"], "env": {} },
    "github": { "type": "http", "url": "https://example.invalid/mcp",
                "headers": { "Authorization": "Bearer ${GITHUB_TOKEN}" }, "timeout": "5s" },
    "legacy": { "type": "sse", "url": "http://127.0.0.1:9000/sse" }
  },
  "codemode": {
    "timeout": "10s",
    "max_tool_calls": 7,
    "max_output_bytes": 1000,
    "memory_limit_mb": 64,
    "network": {
      "allow": [
        { "host": "api.example.com", "methods": ["GET", "POST"], "path_prefix": "/v1/",
          "inject_headers": { "Authorization": "Bearer ${EXAMPLE_TOKEN}" } }
      ]
    }
  }
}`
	c, err := Parse("c.json", []byte(text), env(map[string]string{"GITHUB_TOKEN": "tok-gh", "EXAMPLE_TOKEN": "tok-ex"}))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Server{}
	for _, s := range c.Servers {
		got[s.Name] = s
	}
	if s := got["github"]; s.Type != HTTP || s.Headers["Authorization"] != "Bearer tok-gh" || s.Timeout != 5*time.Second {
		t.Errorf("github = %+v", s)
	}
	if s := got["legacy"]; s.Type != SSE || s.URL != "http://127.0.0.1:9000/sse" {
		t.Errorf("legacy = %+v", s)
	}
	cm := c.Codemode
	if cm.Timeout != 10*time.Second || cm.MaxToolCalls != 7 || cm.MaxOutputBytes != 1000 || cm.MemoryLimitMB != 64 {
		t.Errorf("codemode = %+v", cm)
	}
	if r := cm.Network.Allow[0]; r.InjectHeaders["Authorization"] != "Bearer tok-ex" || r.PathPrefix != "/v1/" {
		t.Errorf("rule = %+v", r)
	}
	if cm.Network.MaxRequests != 50 || cm.Network.Timeout != 10*time.Second {
		t.Errorf("network defaults = %+v", cm.Network)
	}
	if diff := cmp.Diff([]string{"tok-ex", "tok-gh"}, c.Secrets); diff != "" {
		t.Errorf("secrets (-want +got):\n%s", diff)
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name, text, want string
	}{
		{"bad json", "{\n  \"mcpServers\": {,}\n}",
			`config c.json: invalid JSON at line 2, column 18: invalid character ',' looking for beginning of object key string`},
		{"unknown codemode key", `{"codemode": {"timout": "1s"}}`,
			`config c.json: codemode.timout: unknown key; the known keys here are timeout, max_tool_calls, max_output_bytes, memory_limit_mb, isolation, network, auth, allowed_origins, allowed_hosts, max_concurrent, max_concurrent_per_session, max_concurrent_per_subject, max_sessions, max_sessions_per_subject, session_idle_timeout, stateless, data_dir, workspace, description_budget_tokens, require_approval, approve_destructive, pin_tool_definitions, max_media_bytes, runs, database_url, database_max_conns, database_connect_timeout, learn_result_types`},
		{"unknown network key", `{"codemode": {"network": {"alow": []}}}`,
			`config c.json: codemode.network.alow: unknown key; the known keys here are allow, max_requests, max_concurrent, max_response_bytes, timeout`},
		{"neither command nor url", `{"mcpServers": {"x": {"args": []}}}`,
			`config c.json: mcpServers.x: needs "command" (a local stdio server) or "url" (a remote server)`},
		{"both", `{"mcpServers": {"x": {"command": "a", "url": "http://b"}}}`,
			`config c.json: mcpServers.x: has both "command" and "url"; keep "command" for a local (stdio) server or "url" for a remote one`},
		{"bad type", `{"mcpServers": {"x": {"url": "http://b", "type": "websocket"}}}`,
			`config c.json: mcpServers.x.type: is "websocket"; use "http" (streamable HTTP) or "sse"`},
		{"servers and mcpServers", `{"mcpServers": {}, "servers": {"x": {"command": "a"}}}`,
			`config c.json: servers: the file has both "mcpServers" and "servers" (VS Code's name for it); keep one of them`},
		{"vscode bad type", `{"servers": {"x": {"type": "http", "command": "a"}}}`,
			`config c.json: servers.x.type: is "http" but the server has a "command"; use "stdio" or remove "type"`},
		{"numeric server timeout", `{"mcpServers": {"x": {"command": "a", "timeout": 30}}}`,
			`config c.json: mcpServers.x.timeout: is 30, a number; use a duration, e.g. "30s"`},
		{"bad duration", `{"codemode": {"timeout": "30"}}`,
			`config c.json: codemode.timeout: "30" is not a positive duration; write it like "30s", "500ms" or "2m"`},
		{"bad server timeout", `{"mcpServers": {"x": {"command": "a", "timeout": "-1s"}}}`,
			`config c.json: mcpServers.x.timeout: "-1s" is not a positive duration; write it like "30s", "500ms" or "2m"`},
		{"missing variable under codemode", `{"codemode": {"auth": {"tokens": ["${NOPE}"]}}}`,
			`config c.json: codemode.auth.tokens[0]: environment variable NOPE is not set; export it before starting, or write the value in the file`},
		{"wrong type", `{"codemode": {"max_tool_calls": "many"}}`,
			`config c.json: codemode.max_tool_calls: is "many", a string; use a whole number, e.g. 10`},
		{"negative", `{"codemode": {"max_tool_calls": -1}}`,
			`config c.json: codemode.max_tool_calls: is -1; use a positive number, or leave it out for the default`},
		{"bad isolation", `{"codemode": {"isolation": "vm"}}`,
			`config c.json: codemode.isolation: is "vm"; use "inprocess" or "process"`},
		{"rule without host", `{"codemode": {"network": {"allow": [{"methods": ["GET"]}]}}}`,
			`config c.json: codemode.network.allow[0].host: is missing; name the host to allow, e.g. "api.example.com" or "*.example.com"`},
		{"codemode not object", `{"codemode": 3}`,
			`config c.json: codemode: is 3, a number; use an object`},
		// Type errors say the key, what is there and what to write, never a
		// Go type ("Go struct field rawCodemode.timeout of type string").
		{"number as a string", `{"codemode": {"max_tool_calls": "10"}}`,
			`config c.json: codemode.max_tool_calls: is "10", a string; use a whole number, e.g. 10`},
		{"fraction", `{"codemode": {"max_output_bytes": 1.5}}`,
			`config c.json: codemode.max_output_bytes: is 1.5, a number; use a whole number, e.g. 2`},
		{"too large", `{"codemode": {"max_tool_calls": 99999999999999999999}}`,
			`config c.json: codemode.max_tool_calls: is 99999999999999999999, a number; use a whole number of at most 9223372036854775807`},
		{"duration as a number", `{"codemode": {"timeout": 10}}`,
			`config c.json: codemode.timeout: is 10, a number; use a duration, e.g. "30s"`},
		{"server timeout as a number", `{"mcpServers": {"x": {"command": "a", "timeout": 5}}}`,
			`config c.json: mcpServers.x.timeout: is 5, a number; use a duration, e.g. "30s"`},
		{"boolean as a string", `{"codemode": {"stateless": "true"}}`,
			`config c.json: codemode.stateless: is "true", a string; use true or false, e.g. true`},
		{"string for an array", `{"codemode": {"require_approval": "memory"}}`,
			`config c.json: codemode.require_approval: is "memory", a string; use an array of strings, e.g. ["memory"]`},
		{"number in an array of strings", `{"codemode": {"require_approval": [1]}}`,
			`config c.json: codemode.require_approval: has a number where a string belongs; use a string`},
		{"args not an array", `{"mcpServers": {"x": {"command": "a", "args": "--verbose"}}}`,
			`config c.json: mcpServers.x.args: is "--verbose", a string; use an array of strings, e.g. ["--verbose"]`},
		{"command a number", `{"mcpServers": {"x": {"command": 1}}}`,
			`config c.json: mcpServers.x.command: is 1, a number; use a string, e.g. "1"`},
		{"workspace number", `{"codemode": {"workspace": {"max_bytes": "1MB"}}}`,
			`config c.json: codemode.workspace.max_bytes: is "1MB", a string; use a whole number, e.g. 10`},
		{"mcpServers an array", `{"mcpServers": [{"command": "a"}]}`,
			`config c.json: mcpServers: is [{"command": "a"}], an array; use an object of servers by name, e.g. {"memory": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-memory"]}}`},
		{"file an array", `[]`,
			`config c.json: the file holds [], an array; it must be an object: {"mcpServers": {...}, "codemode": {...}}`},
		{"unknown jwt key", `{"codemode": {"auth": {"jwt": {"jwks_uri": "https://a.example/jwks", "issuer": "i", "audience": "a"}}}}`,
			`config c.json: codemode.auth.jwt.jwks_uri: unknown key; the known keys here are jwks_url, issuer, audience`},
		{"jwt not an object", `{"codemode": {"auth": {"jwt": "https://a.example/jwks"}}}`,
			`config c.json: codemode.auth.jwt: is "https://a.example/jwks", a string; use an object`},
		{"url without scheme", `{"mcpServers": {"x": {"url": "localhost:3000/mcp"}}}`,
			`config c.json: mcpServers.x.url: is not an http or https URL with a host; write it like "https://example.com/mcp" or "http://127.0.0.1:3000/mcp"`},
		{"url of another scheme", `{"mcpServers": {"x": {"url": "ws://h/mcp"}}}`,
			`config c.json: mcpServers.x.url: is not an http or https URL with a host; write it like "https://example.com/mcp" or "http://127.0.0.1:3000/mcp"`},
		// Settings that used to be accepted and then did nothing useful.
		{"negative workspace bytes", `{"codemode": {"workspace": {"max_bytes": -1}}}`,
			`config c.json: codemode.workspace.max_bytes: is -1; use a positive number, or leave it out for the default`},
		{"negative workspace files", `{"codemode": {"workspace": {"max_files": -5}}}`,
			`config c.json: codemode.workspace.max_files: is -5; use a positive number, or leave it out for the default`},
		{"negative max_requests", `{"codemode": {"network": {"max_requests": -1}}}`,
			`config c.json: codemode.network.max_requests: is -1; use a positive number, or leave it out for the default`},
		{"negative max_response_bytes", `{"codemode": {"network": {"max_response_bytes": -1}}}`,
			`config c.json: codemode.network.max_response_bytes: is -1; use a positive number, or leave it out for the default`},
		{"unknown method", `{"codemode": {"network": {"allow": [{"host": "a.example", "methods": ["get", "GTE"]}]}}}`,
			`config c.json: codemode.network.allow[0].methods: contains "GTE", not an HTTP method fetch can send; use GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("c.json", []byte(tt.text), env(nil))
			if err == nil {
				t.Fatal("no error")
			}
			if diff := cmp.Diff(tt.want, err.Error()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestUnmatchedApprovals: an entry of require_approval that names no tool
// (a typo) is reported, in the order written; a server, a namespace,
// server.tool and namespace.method all match.
func TestUnmatchedApprovals(t *testing.T) {
	c, err := Parse("c.json", []byte(`{"codemode": {"require_approval": ["memory", "memroy.delete", "gh_api.create_issue", "workspace.delet_file"]}}`), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{"memory": true, "memory.delete": true, "gh-api": true, "gh_api": true,
		"gh-api.create-issue": true, "gh_api.create_issue": true, "workspace": true, "workspace.delete_file": true}
	if diff := cmp.Diff([]string{"memroy.delete", "workspace.delet_file"}, c.Codemode.UnmatchedApprovals(names)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestUnavailable: a server whose ${VAR} is not set is left out with an
// error naming the variable; the other servers work (README: Configuration).
func TestUnavailable(t *testing.T) {
	c, err := Parse("c.json", []byte(`{"mcpServers": {
  "env": {"command": "a", "env": {"T": "${NOPE}"}},
  "args": {"command": "a", "args": ["--t=${NOPE}"]},
  "ref": {"url": "http://h/${a-b}", "type": "sse"},
  "ok": {"command": "b"}}}`), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, u := range c.Unavailable {
		got = append(got, u.Name+" "+u.Type+": "+u.Err.Error())
	}
	want := []string{
		`args stdio: config c.json: mcpServers.args.args[0]: environment variable NOPE is not set; export it before starting, or write the value in the file`,
		`env stdio: config c.json: mcpServers.env.env.T: environment variable NOPE is not set; export it before starting, or write the value in the file`,
		`ref sse: config c.json: mcpServers.ref.url: ${a-b} is not a valid variable reference; use ${NAME} with letters, digits and _`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("unavailable (-want +got):\n%s", diff)
	}
	if len(c.Servers) != 1 || c.Servers[0].Name != "ok" {
		t.Errorf("servers = %+v, want ok alone", c.Servers)
	}
}

func TestDisabledServerIsNotExpanded(t *testing.T) {
	c, err := Parse("c.json", []byte(`{"mcpServers": {"x": {"command": "a", "env": {"T": "${NOPE}"}, "disabled": true}}}`), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Servers) != 0 {
		t.Errorf("servers = %+v, want none", c.Servers)
	}
}

func TestLoadMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope.json")
	_, err := Load(path, os.LookupEnv)
	want := "config " + path + ": cannot read: no such file or directory"
	if err == nil || err.Error() != want {
		t.Errorf("err = %v, want %s", err, want)
	}
}

func TestDefault(t *testing.T) {
	c := Default()
	if len(c.Servers) != 0 || c.Codemode.Timeout != 30*time.Second || c.Codemode.Isolation != "" {
		t.Errorf("Default() = %+v", c)
	}
}

func TestShortValuesAreNotSecrets(t *testing.T) {
	c, err := Parse("c.json", []byte(`{"mcpServers": {"x": {"command": "a", "env": {"A": "${SHORT}", "B": "${LONG}"}}}}`),
		env(map[string]string{"SHORT": "1", "LONG": "a-long-secret"}))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a-long-secret"}, c.Secrets); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// VS Code's .vscode/mcp.json keeps its servers under "servers", with
// ${env:NAME} and ${input:NAME} references (issue 20.14).
func TestVSCodeServers(t *testing.T) {
	c, err := Parse("mcp.json", []byte(`{
  "inputs": [{"type": "promptString", "id": "token", "password": true}],
  "servers": {
    "fs": {"type": "stdio", "command": "npx", "args": ["-y", "fs", "${env:HOME_DIR}"]},
    "web": {"type": "http", "url": "https://example.com/mcp"},
    "gh": {"type": "http", "url": "https://example.com/gh", "headers": {"Authorization": "Bearer ${input:token}"}}}}`),
		env(map[string]string{"HOME_DIR": "/home/u"}))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range c.Servers {
		got = append(got, s.Name+" "+s.Type+" "+s.Command+" "+s.URL+" "+strings.Join(s.Args, " "))
	}
	want := []string{"fs stdio npx  -y fs /home/u", "web http  https://example.com/mcp "}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("servers (-want +got):\n%s", diff)
	}
	if len(c.Unavailable) != 1 || c.Unavailable[0].Err.Error() != `config mcp.json: servers.gh.headers.Authorization: ${input:token} is a VS Code input, which mcp-codemode cannot prompt for; use ${NAME} of an environment variable set before starting` {
		t.Errorf("unavailable = %+v", c.Unavailable)
	}
}

// A "~/" path reaches Load unexpanded from a client's configuration.
func TestLoadExpandsHome(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	if err := os.WriteFile(filepath.Join(home, "c.json"), []byte(`{"mcpServers": {"x": {"command": "a"}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load("~/c.json", os.LookupEnv)
	if err != nil {
		t.Fatal(err)
	}
	if c.Path != filepath.Join(home, "c.json") || len(c.Servers) != 1 {
		t.Errorf("Load(~/c.json) = path %q, %d servers", c.Path, len(c.Servers))
	}
}
