package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSelfSpawn: an entry that would start mcp-codemode itself is left
// out with the reason (README: Configuration), whether it names this executable (by
// path, by a relative path from its cwd, or through PATH) or mcp-codemode
// (a binary, an npm package, a Go package, a shell command line); the
// others are kept, and a directory named mcp-codemode is no command.
func TestSelfSpawn(t *testing.T) {
	self := executable()
	bin := t.TempDir()
	link := filepath.Join(bin, "codemode-alias")
	if err := os.Symlink(self, link); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	src := filepath.Join(t.TempDir(), "mcp-codemode")
	if err := os.Mkdir(src, 0o700); err != nil {
		t.Fatal(err)
	}
	entries := map[string]string{
		"abs":     fmt.Sprintf(`{"command": %q}`, self),
		"rel":     fmt.Sprintf(`{"command": "./%s", "cwd": %q}`, filepath.Base(self), filepath.Dir(self)),
		"onpath":  `{"command": "codemode-alias", "args": ["serve"]}`,
		"named":   `{"command": "/usr/local/bin/mcp-codemode", "args": ["--config", "x.json"]}`,
		"npx":     `{"command": "npx", "args": ["-y", "@someone/mcp-codemode@1.2.0"]}`,
		"gorun":   `{"command": "go", "args": ["run", "github.com/mcp-codemode/mcp-codemode/cmd/mcp-codemode@latest"]}`,
		"shell":   `{"command": "sh", "args": ["-c", "exec mcp-codemode --config other.json"]}`,
		"dir":     fmt.Sprintf(`{"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", %q]}`, src),
		"similar": `{"command": "npx", "args": ["-y", "mcp-codemode-helper"]}`,
	}
	var b strings.Builder
	b.WriteString(`{"mcpServers": {`)
	first := true
	for name, e := range entries {
		if !first {
			b.WriteString(",")
		}
		first = false
		fmt.Fprintf(&b, "%q: %s", name, e)
	}
	b.WriteString("}}")
	c, err := Parse("c.json", []byte(b.String()), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	var kept []string
	for _, s := range c.Servers {
		kept = append(kept, s.Name)
	}
	if strings.Join(kept, " ") != "dir similar" {
		t.Errorf("kept %v, want dir and similar", kept)
	}
	got := map[string]string{}
	for _, u := range c.Unavailable {
		got[u.Name] = u.Err.Error()
	}
	want := map[string]string{
		"abs":    "runs " + self + ", which is this mcp-codemode",
		"rel":    "runs ./" + filepath.Base(self) + ", which is this mcp-codemode",
		"onpath": "runs codemode-alias, which is this mcp-codemode",
		"named":  "runs /usr/local/bin/mcp-codemode, which is mcp-codemode",
		"npx":    "runs @someone/mcp-codemode@1.2.0, which is mcp-codemode",
		"gorun":  "runs github.com/mcp-codemode/mcp-codemode/cmd/mcp-codemode@latest, which is mcp-codemode",
		"shell":  "runs mcp-codemode, which is mcp-codemode",
	}
	for name, why := range want {
		full := fmt.Sprintf("config c.json: mcpServers.%s: %s; mcp-codemode never runs itself as an upstream "+
			"(it would start copies of itself without end): remove this entry from the file you give mcp-codemode", name, why)
		if got[name] != full {
			t.Errorf("%s:\n got: %s\nwant: %s", name, got[name], full)
		}
	}
}
