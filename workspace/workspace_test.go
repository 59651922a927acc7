package workspace

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mcp-codemode/mcp-codemode/store"
	"github.com/mcp-codemode/mcp-codemode/tools"
)

func TestFiles(t *testing.T) {
	onEach(t, func(t *testing.T, b backend) {
		r := workspaceRegistry(t, b.open(t, Limits{}))
		ws := func(tool, args string) string { return mustCall(t, r, tool, args) }

		if got := ws("write_file", `{"path":"/notes//todo.md","content":"buy milk"}`); got != `{"path":"notes/todo.md","size":8}` {
			t.Errorf("write_file = %s", got)
		}
		ws("write_file", `{"path":"data.json","content":"{\"a\":1}"}`)
		ws("write_file", `{"path":"notes/./b/../done.md","content":""}`)
		if got := ws("read_file", `{"path":"notes/todo.md"}`); got != `"buy milk"` {
			t.Errorf("read_file = %s", got)
		}
		if got := ws("read_file", `{"path":"data.json"}`); got != `"{\"a\":1}"` {
			t.Errorf("a JSON file must read back as a string, got %s", got)
		}
		if got := ws("list_files", `{}`); got != `[{"path":"data.json","size":7},{"path":"notes/done.md","size":0},{"path":"notes/todo.md","size":8}]` {
			t.Errorf("list_files = %s", got)
		}
		if got := ws("list_files", `{"prefix":"/notes/"}`); got != `[{"path":"notes/done.md","size":0},{"path":"notes/todo.md","size":8}]` {
			t.Errorf("list_files(prefix) = %s", got)
		}
		if got := ws("delete_file", `{"path":"notes/todo.md"}`); got != `{"path":"notes/todo.md","size":8}` {
			t.Errorf("delete_file = %s", got)
		}
		if got := ws("list_files", `{"prefix":"nothing/"}`); got != `[]` {
			t.Errorf("empty list = %s", got)
		}
	})
}

func TestWorkspaceErrors(t *testing.T) {
	onEach(t, func(t *testing.T, b backend) {
		w := b.open(t, Limits{MaxFiles: 2})
		r := workspaceRegistry(t, w)
		tests := []toolCase{
			{"read_file", `{"path":"x"}`, `no file "x": the workspace is empty`},
			{"write_file", `{"path":"../etc/passwd","content":"x"}`, `path "../etc/passwd" leaves the workspace: ".." cannot climb above its root`},
			{"write_file", `{"path":"a/../../b","content":"x"}`, `path "a/../../b" leaves the workspace: ".." cannot climb above its root`},
			{"write_file", `{"path":"  ","content":"x"}`, `path is empty; name a file such as "notes.txt"`},
			{"write_file", `{"path":"/","content":"x"}`, `path "/" names a directory; name a file such as "notes/todo.md"`},
			{"write_file", `{"path":"dir/","content":"x"}`, `path "dir/" names a directory; name a file such as "notes/todo.md"`},
			{"write_file", `{"path":"a","content":"1"}`, ``},
			{"write_file", `{"path":"b","content":"2"}`, ``},
			{"write_file", `{"path":"c","content":"3"}`, `the workspace is full: it holds the maximum of 2 files; delete some first`},
			{"delete_file", `{"path":"zzz"}`, `no file "zzz" in the workspace; list_files shows the 2 that exist`},
		}
		checkToolErrors(t, r, tests)
		_, err := call(t, r, "write_file", `{"path":"x"}`)
		if err == nil || err.Error() != "workspace.write_file: content: required" {
			t.Errorf("missing content: %v", err)
		}
	})
}

func TestWorkspaceByteLimit(t *testing.T) {
	onEach(t, func(t *testing.T, b backend) {
		w := b.open(t, Limits{MaxBytes: 11})
		r := workspaceRegistry(t, w)
		mustCall(t, r, "write_file", `{"path":"a","content":"123456"}`)
		mustCall(t, r, "write_file", `{"path":"a","content":"1234567890"}`) // replacing counts the difference; "a" costs 1
		if _, err := call(t, r, "write_file", `{"path":"b","content":"1"}`); err == nil {
			t.Error("write past MaxBytes succeeded")
		}
		mustCall(t, r, "delete_file", `{"path":"a"}`)
		mustCall(t, r, "write_file", `{"path":"b","content":"1"}`)
	})
}

// TestFileAPI walks through every workspace tool.
func TestFileAPI(t *testing.T) {
	onEach(t, func(t *testing.T, b backend) {
		r := workspaceRegistry(t, b.open(t, Limits{}))
		tests := []struct{ tool, args, want string }{
			{"append_file", `{"path":"log.txt","content":"one\n"}`, `{"path":"log.txt","size":4}`},
			{"append_file", `{"path":"log.txt","content":"two\n"}`, `{"path":"log.txt","size":8}`},
			{"read_file", `{"path":"log.txt"}`, `"one\ntwo\n"`},
			{"write_json", `{"path":"data/state.json","value":{"n":1,"tags":["a"]}}`, `{"path":"data/state.json","size":38}`},
			{"read_file", `{"path":"data/state.json"}`, `"{\n  \"n\": 1,\n  \"tags\": [\n    \"a\"\n  ]\n}\n"`},
			{"read_json", `{"path":"data/state.json"}`, `{"n":1,"tags":["a"]}`},
			{"write_file", `{"path":"notes/a.md","content":"# A"}`, `{"path":"notes/a.md","size":3}`},
			{"write_file", `{"path":"notes/deep/b.md","content":"# B"}`, `{"path":"notes/deep/b.md","size":3}`},
			{"list_files", `{"glob":"notes/*.md"}`, `[{"path":"notes/a.md","size":3}]`},
			{"list_files", `{"glob":"**/*.md"}`, `[{"path":"notes/a.md","size":3},{"path":"notes/deep/b.md","size":3}]`},
			{"list_files", `{"glob":"**/state.*"}`, `[{"path":"data/state.json","size":38}]`},
			{"stat", `{"path":"notes"}`, `{"path":"notes","exists":true,"type":"directory","size":6,"created":"2026-01-02T03:04:05Z","modified":"2026-01-02T03:04:05Z"}`},
			{"stat", `{"path":"/notes/a.md"}`, `{"path":"notes/a.md","exists":true,"type":"file","size":3,"created":"2026-01-02T03:04:05Z","modified":"2026-01-02T03:04:05Z"}`},
			{"stat", `{"path":"nothing"}`, `{"path":"nothing","exists":false}`},
			{"stat", `{"path":"/"}`, `{"path":"","exists":true,"type":"directory"}`},
			{"mkdir", `{"path":"empty/inner"}`, `{"path":"empty/inner","exists":true,"type":"directory","created":"2026-01-02T03:04:05Z","modified":"2026-01-02T03:04:05Z"}`},
			{"mkdir", `{"path":"notes"}`, `{"path":"notes","exists":true,"type":"directory","size":6,"created":"2026-01-02T03:04:05Z","modified":"2026-01-02T03:04:05Z"}`},
			{"move_file", `{"from":"notes","to":"archive/notes"}`, `{"from":"notes","to":"archive/notes"}`},
			{"list_files", `{"prefix":"archive/"}`, `[{"path":"archive/notes/a.md","size":3},{"path":"archive/notes/deep/b.md","size":3}]`},
			{"stat", `{"path":"notes"}`, `{"path":"notes","exists":false}`},
			{"move_file", `{"from":"log.txt","to":"archive/notes/a.md","overwrite":true}`, `{"from":"log.txt","to":"archive/notes/a.md"}`},
			{"read_file", `{"path":"archive/notes/a.md"}`, `"one\ntwo\n"`},
			{"delete_file", `{"path":"archive","recursive":true}`, `{"path":"archive","size":11}`},
			{"list_files", `{}`, `[{"path":"data/state.json","size":38}]`},
		}
		for _, tt := range tests {
			if got := mustCall(t, r, tt.tool, tt.args); got != tt.want {
				t.Errorf("%s(%s)\n got %s\nwant %s", tt.tool, tt.args, got, tt.want)
			}
		}
	})
}

func init() {
	now = func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }
}

// TestWorkspaceRefusals: conflicts between files and directories, moves
// onto existing paths, JSON that is not.
func TestWorkspaceRefusals(t *testing.T) {
	onEach(t, func(t *testing.T, b backend) {
		r := workspaceRegistry(t, b.open(t, Limits{}))
		mustCall(t, r, "write_file", `{"path":"a/b.txt","content":"x"}`)
		mustCall(t, r, "write_file", `{"path":"plain.txt","content":"not json"}`)
		tests := []toolCase{
			{"write_file", `{"path":"a","content":"x"}`, `"a" is a directory; name a file inside it`},
			{"write_file", `{"path":"a/b.txt/c","content":"x"}`, `cannot use "a/b.txt/c": "a/b.txt" is a file, not a directory`},
			{"mkdir", `{"path":"plain.txt"}`, `"plain.txt" is a file, not a directory`},
			{"read_file", `{"path":"a"}`, `"a" is a directory; list_files({ prefix: "a/" }) lists its files`},
			{"delete_file", `{"path":"a"}`, `"a" is a directory; pass recursive: true to delete it and everything in it`},
			{"move_file", `{"from":"plain.txt","to":"a/b.txt"}`, `"a/b.txt" exists; pass overwrite: true to replace a file (a directory is never replaced)`},
			{"move_file", `{"from":"a","to":"a/inside"}`, `cannot move "a" into itself ("a/inside")`},
			{"move_file", `{"from":"ghost","to":"x"}`, `no file "ghost" in the workspace; list_files shows the 2 that exist`},
			{"read_json", `{"path":"plain.txt"}`, `plain.txt does not hold JSON: invalid character 'o' in literal null (expecting 'u'); read_file returns its text`},
			{"list_files", `{"glob":"[a"}`, `glob "[a" is malformed: syntax error in pattern`},
		}
		checkToolErrors(t, r, tests)
	})
}

// TestWorkspaceTraversal tries to reach the host file system through the
// workspace of a data directory: nothing may appear outside the database,
// and hostile names are either refused or kept as plain keys.
func TestWorkspaceTraversal(t *testing.T) {
	root := t.TempDir()
	dataDir := filepath.Join(root, "data")
	r := workspaceRegistry(t, New(openStore(t, store.Options{Dir: dataDir}), Limits{}))
	refused := map[string]string{
		"../escape.txt":          `leaves the workspace`,
		"/../../escape.txt":      `leaves the workspace`,
		"a/../../escape.txt":     `leaves the workspace`,
		"..":                     `leaves the workspace`,
		"nul\x00.txt":            `contains a control character`,
		"line\nbreak.txt":        `contains a control character`,
		"a/b/../../../etc/hosts": `leaves the workspace`,
	}
	for p, want := range refused {
		args, _ := json.Marshal(map[string]string{"path": p, "content": "x"})
		_, err := call(t, r, "write_file", string(args))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("write_file(%q) = %v, want an error with %q", p, err, want)
		}
	}
	kept := map[string]string{ // name given → key stored
		"/etc/passwd":                   "etc/passwd",
		"..%2f..%2fescape.txt":          "..%2f..%2fescape.txt",
		`..\..\escape.txt`:              `..\..\escape.txt`,
		"C:/Windows/win.ini":            "C:/Windows/win.ini",
		"./a/./b/../c.txt":              "a/c.txt",
		"~/.ssh/authorized_keys":        "~/.ssh/authorized_keys",
		filepath.Join(root, "host.txt"): strings.TrimPrefix(filepath.Join(root, "host.txt"), "/"),
	}
	for p, key := range kept {
		args, _ := json.Marshal(map[string]string{"path": p, "content": "x"})
		want := fmt.Sprintf(`{"path":%q,"size":1}`, key)
		if got := mustCall(t, r, "write_file", string(args)); got != want {
			t.Errorf("write_file(%q) = %s, want %s", p, got, want)
		}
	}
	if _, err := call(t, r, "move_file", `{"from":"/etc/passwd","to":"../../moved"}`); err == nil {
		t.Error("move_file to ../../moved succeeded")
	}
	var hostFiles []string
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if !d.IsDir() {
			hostFiles = append(hostFiles, strings.TrimPrefix(p, root))
		}
		return nil
	})
	for _, f := range hostFiles {
		if !strings.HasPrefix(f, "/data/"+store.File) {
			t.Errorf("the workspace created a host file %s", f)
		}
	}
}

// TestWorkspacePersistence closes a store and opens it again, as a
// restart would (or another replica does): every subject's files are
// back, and still apart.
func TestWorkspacePersistence(t *testing.T) {
	onEach(t, func(t *testing.T, b backend) {
		if b.name == "memory" {
			return // nothing outlives a store in memory
		}
		o := b.options(t)
		alice, bob := tools.WithSubject(context.Background(), "alice"), tools.WithSubject(context.Background(), "bob")
		st := openStore(t, o)
		w := New(st, Limits{})
		must(t, w.WriteFile(alice, "notes/todo.md", "alice's"))
		must(t, w.WriteFile(bob, "notes/todo.md", "bob's"))
		must(t, st.Close())

		w = New(openStore(t, o), Limits{})
		for ctx, want := range map[context.Context]string{alice: "alice's", bob: "bob's"} {
			if got, err := w.ReadFile(ctx, "notes/todo.md"); err != nil || got != want {
				t.Errorf("after reopening: %q, %v; want %q", got, err, want)
			}
		}
		if _, err := w.ReadFile(context.Background(), "notes/todo.md"); err == nil {
			t.Error("the stdio subject sees another subject's file")
		}
	})
}

// TestWorkspaceQuotas: each subject's bytes and files, counting appends,
// JSON, directories and paths: an entry costs its path and its content.
func TestWorkspaceQuotas(t *testing.T) {
	onEach(t, func(t *testing.T, b backend) {
		w := b.open(t, Limits{MaxBytes: 16, MaxFiles: 3})
		r := workspaceRegistry(t, w)
		ctx := context.Background()
		must(t, w.WriteFile(ctx, "a", "12345")) // 6 bytes
		full := "the workspace is full: this write would take it past 16 bytes (each file and directory counts its path and its content); delete some files first"
		tests := []toolCase{
			{"append_file", `{"path":"a","content":"6789012345X"}`, full},
			{"write_json", `{"path":"j","value":[1,2,3]}`, full},  // 1 + 18
			{"append_file", `{"path":"a","content":"67890"}`, ""}, // 11
			{"mkdir", `{"path":"d1"}`, ""},                        // 13
			{"mkdir", `{"path":"d2"}`, ""},                        // 15
			{"mkdir", `{"path":"d3"}`, "the workspace is full: it holds the maximum of 3 files; delete some first"},
			{"write_file", `{"path":"a","content":""}`, ""}, // 5
			{"write_file", `{"path":"b","content":""}`, "the workspace is full: it holds the maximum of 3 files; delete some first"},
			{"delete_file", `{"path":"d1","recursive":true}`, ""},               // 3
			{"write_file", `{"path":"long-name-x","content":"123"}`, full},      // 3 + 14
			{"move_file", `{"from":"d2","to":"a-much-longer-directory"}`, full}, // 1 + 23
			{"write_file", `{"path":"long-name","content":"1234"}`, ""},         // 3 + 13
			{"move_file", `{"from":"long-name","to":"long-name2"}`, full},       // 17
			{"move_file", `{"from":"long-name","to":"longname"}`, ""},           // 15
			{"write_file", `{"path":"a","content":"1"}`, ""},                    // 16
			{"append_file", `{"path":"a","content":"2"}`, full},                 // 17
			{"write_file", `{"path":"longname","content":"1"}`, ""},             // shrinking is always fine
		}
		checkToolErrors(t, r, tests)
		other := tools.WithSubject(ctx, "other")
		must(t, w.WriteFile(other, "big", "1234567890123")) // another subject has its own quota
	})
}

// TestWorkspacePaths: a path costs its bytes and is bounded, as names are
// on common file systems; 100 empty files with 1 MB paths used to cost
// nothing and take 200 MB.
func TestWorkspacePaths(t *testing.T) {
	onEach(t, func(t *testing.T, b backend) {
		w := b.open(t, Limits{MaxBytes: 3500})
		r := workspaceRegistry(t, w)
		name := strings.Repeat("n", 255)
		long := strings.Repeat(name+"/", 3) + name[:254] + "/z" // 1024 bytes
		huge := strings.Repeat("x", 1<<20)
		tests := []toolCase{
			{"write_file", `{"path":"` + huge + `","content":""}`,
				`path "` + strings.Repeat("x", 60) + `"… is 1048576 bytes long; a path may have at most 1024 bytes (and 255 in one name between slashes)`},
			{"write_file", `{"path":"` + name + `x","content":""}`,
				`path "` + strings.Repeat("n", 60) + `"… has a name of 256 bytes; a name between slashes may have at most 255 bytes (and a path 1024)`},
			{"read_file", `{"path":"` + huge + `"}`,
				`path "` + strings.Repeat("x", 60) + `"… is 1048576 bytes long; a path may have at most 1024 bytes (and 255 in one name between slashes)`},
			{"mkdir", `{"path":"a/` + name + `x"}`,
				`path "a/` + strings.Repeat("n", 58) + `"… has a name of 256 bytes; a name between slashes may have at most 255 bytes (and a path 1024)`},
			{"list_files", `{"glob":"` + huge + `"}`,
				`glob "` + strings.Repeat("x", 60) + `"… is 1048576 bytes long; a path may have at most 1024 bytes (and 255 in one name between slashes)`},
			{"list_files", `{"prefix":"` + huge + `"}`,
				`prefix "` + strings.Repeat("x", 60) + `"… is 1048576 bytes long; a path may have at most 1024 bytes (and 255 in one name between slashes)`},
			{"list_files", `{"glob":"` + strings.Repeat("a/**/", 33) + `"}`,
				`glob "` + strings.Repeat("a/**/", 12) + `"… has 67 names; a glob may have at most 64`},
			{"write_file", `{"path":"` + long + `","content":""}`, ""},
			{"write_file", `{"path":"` + long[:1000] + `","content":""}`, ""},
			{"write_file", `{"path":"` + long[:900] + `","content":"x"}`, ""},
			{"write_file", `{"path":"` + long[:800] + `","content":"x"}`,
				"the workspace is full: this write would take it past 3500 bytes (each file and directory counts its path and its content); delete some files first"},
			{"mkdir", `{"path":"d"}`, ""},
			{"move_file", `{"from":"` + long[:1000] + `","to":"d/` + long[:1000] + `"}`, ""},
			{"move_file", `{"from":"d","to":"` + long[:30] + `"}`,
				`moving "d" to "` + long[:30] + `" would make a path of 1031 bytes; a path may have at most 1024 bytes`},
			{"move_file", `{"from":"d","to":"e"}`, ""},
		}
		checkToolErrors(t, r, tests)
		if len(long) != 1024 {
			t.Fatalf("the longest path is %d bytes", len(long))
		}
	})
}

// TestFileLimit: one file is bounded apart from the quota, before
// anything is written; an append that would pass it is refused.
func TestFileLimit(t *testing.T) {
	onEach(t, func(t *testing.T, b backend) {
		w := b.open(t, Limits{MaxFileBytes: 10})
		r := workspaceRegistry(t, w)
		tests := []toolCase{
			{"write_file", `{"path":"a","content":"12345678901"}`, "the file would be 11 bytes; a file may hold at most 10 bytes (split the data over several files)"},
			{"write_file", `{"path":"a","content":"123456"}`, ""},
			{"append_file", `{"path":"a","content":"12345"}`, "the file would be 11 bytes; a file may hold at most 10 bytes (split the data over several files)"},
			{"append_file", `{"path":"a","content":"1234"}`, ""},
			{"read_file", `{"path":"a"}`, ""},
		}
		checkToolErrors(t, r, tests)
		if got := mustCall(t, r, "read_file", `{"path":"a"}`); got != `"1234561234"` {
			t.Errorf("after append: %s", got)
		}
	})
}

func TestGlob(t *testing.T) {
	tests := []struct {
		glob string
		yes  []string
		no   []string
	}{
		{"*.md", []string{"a.md"}, []string{"d/a.md", "a.txt"}},
		{"**/*.md", []string{"a.md", "d/a.md", "d/e/a.md"}, []string{"a.txt"}},
		{"d/**", []string{"d/a", "d/e/f"}, []string{"e/a"}},
		{"/d/?.txt", []string{"d/a.txt"}, []string{"d/ab.txt"}},
		{"**/x/**/y", []string{"x/y", "a/x/b/c/y"}, []string{"x/y/z"}},
		{strings.Repeat("**/", 30) + "z", []string{"a/z"}, []string{strings.Repeat("a/", 60) + "b"}},
	}
	for _, tt := range tests {
		m, err := globMatcher(tt.glob)
		must(t, err)
		for _, p := range tt.yes {
			if !m(p) {
				t.Errorf("%q does not match %q", tt.glob, p)
			}
		}
		for _, p := range tt.no {
			if m(p) {
				t.Errorf("%q matches %q", tt.glob, p)
			}
		}
	}
}

// toolCase is one workspace call and the ToolError message it must give;
// an empty want means the call must succeed.
type toolCase struct{ tool, args, want string }

func checkToolErrors(t *testing.T, r *tools.Registry, tests []toolCase) {
	t.Helper()
	for _, tt := range tests {
		_, err := call(t, r, tt.tool, tt.args)
		var te *tools.ToolError
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s(%s): %v", tt.tool, tt.args, err)
		case tt.want != "" && (!errors.As(err, &te) || te.Message != tt.want):
			t.Errorf("%s(%s) = %v, want ToolError %q", tt.tool, tt.args, err, tt.want)
		}
	}
}

// TestWriteJSONIndentBound: 5,000 nested arrays are 10 KB of JSON and
// would indent to 50 MB; write_json refuses them from their size, before
// indenting. indentedSize is never below the size written.
func TestWriteJSONIndentBound(t *testing.T) {
	r := workspaceRegistry(t, New(nil, Limits{}))
	deep := strings.Repeat("[", 5000) + strings.Repeat("]", 5000)
	var err error
	n := allocated(func() { _, err = call(t, r, "write_json", `{"path":"deep.json","value":`+deep+`}`) })
	want := "the value indented would be more than 16777216 bytes, the most a file may hold; " +
		"write JSON.stringify(value) with write_file for a compact file, or split the value"
	var te *tools.ToolError
	if !errors.As(err, &te) || te.Message != want {
		t.Errorf("write_json of 5,000 nested arrays: %v\nwant %s", err, want)
	}
	if n > 16<<20 {
		t.Errorf("write_json of 5,000 nested arrays allocated %d MB", n>>20)
	}
	for _, v := range []string{`{"a":[1,2,{"b":"x\"]}{,"}],"c":{}}`, `[[[[1]]],[],{}]`, `"s"`, `{"k\\":"[,"}`, strings.Repeat("[", 50) + strings.Repeat("]", 50)} {
		var x any
		must(t, json.Unmarshal([]byte(v), &x))
		out, _ := json.MarshalIndent(x, "", "  ")
		if got := indentedSize([]byte(v)); got < int64(len(out)) || got > 2*int64(len(out))+8 {
			t.Errorf("indentedSize(%s) = %d; indented it is %d bytes", v, got, len(out))
		}
	}
}
