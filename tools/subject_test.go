package tools

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestWorkspacePerSubject: each subject sees only its own files, and the
// limits count each subject's files apart.
func TestWorkspacePerSubject(t *testing.T) {
	w := NewWorkspace()
	w.MaxFiles = 1
	r := workspaceRegistry(t, w)
	call := func(subject, tool, args string) (string, error) {
		ctx := WithSubject(context.Background(), subject)
		out, err := r.Call(ctx, toolID(WorkspaceNamespace, tool), json.RawMessage(args))
		return string(out), err
	}
	for _, s := range []string{"alice", "bob", ""} {
		if _, err := call(s, "write_file", `{"path":"who.txt","content":"`+s+`"}`); err != nil {
			t.Fatalf("%q: write_file: %v (the file limit must count per subject)", s, err)
		}
	}
	got := map[string]string{}
	for _, s := range []string{"alice", "bob", "", "carol"} {
		out, err := call(s, "read_file", `{"path":"who.txt"}`)
		if err != nil {
			out = err.Error()
		}
		got[s] = out
	}
	want := map[string]string{
		"alice": `"alice"`, "bob": `"bob"`, "": `""`,
		"carol": `no file "who.txt": the workspace is empty`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("read_file by subject (-want +got):\n%s", diff)
	}
}

func TestSubjectContext(t *testing.T) {
	if got := Subject(context.Background()); got != "" {
		t.Errorf("Subject(Background) = %q, want empty", got)
	}
	if got := Subject(WithSubject(context.Background(), "jwt:alice")); got != "jwt:alice" {
		t.Errorf("Subject = %q", got)
	}
}
