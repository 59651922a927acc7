package tools

import (
	"errors"
	"testing"
)

func workspaceRegistry(t *testing.T, w *Workspace) *Registry {
	t.Helper()
	r := newTestRegistry(t, Options{})
	must(t, r.Add(w.Tools()...))
	return r
}

func TestWorkspaceFiles(t *testing.T) {
	r := workspaceRegistry(t, NewWorkspace())
	ws := func(tool, args string) string { return mustCall(t, r, "workspace", tool, args) }

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
}

func TestWorkspaceErrors(t *testing.T) {
	w := NewWorkspace()
	w.MaxFiles = 2
	r := workspaceRegistry(t, w)
	tests := []struct {
		tool, args, want string
	}{
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
	for _, tt := range tests {
		_, err := call(t, r, "workspace", tt.tool, tt.args)
		var te *ToolError
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s(%s): %v", tt.tool, tt.args, err)
		case tt.want != "" && (!errors.As(err, &te) || te.Message != tt.want):
			t.Errorf("%s(%s) = %v, want ToolError %q", tt.tool, tt.args, err, tt.want)
		}
	}
	_, err := call(t, r, "workspace", "write_file", `{"path":"x"}`)
	if err == nil || err.Error() != "workspace.write_file: content: required" {
		t.Errorf("missing content: %v", err)
	}
}

func TestWorkspaceByteLimit(t *testing.T) {
	w := NewWorkspace()
	w.MaxBytes = 10
	r := workspaceRegistry(t, w)
	mustCall(t, r, "workspace", "write_file", `{"path":"a","content":"123456"}`)
	mustCall(t, r, "workspace", "write_file", `{"path":"a","content":"1234567890"}`) // replacing counts the difference
	if _, err := call(t, r, "workspace", "write_file", `{"path":"b","content":"1"}`); err == nil {
		t.Error("write past MaxBytes succeeded")
	}
	mustCall(t, r, "workspace", "delete_file", `{"path":"a"}`)
	mustCall(t, r, "workspace", "write_file", `{"path":"b","content":"1"}`)
}
