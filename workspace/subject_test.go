package workspace

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mcp-codemode/mcp-codemode/tools"
)

// TestWorkspacePerSubject: each subject sees only its own files, and the
// limits count each subject's files apart.
func TestWorkspacePerSubject(t *testing.T) {
	onEach(t, func(t *testing.T, b backend) {
		w := b.open(t, Limits{MaxFiles: 1})
		r := workspaceRegistry(t, w)
		call := func(subject, tool, args string) (string, error) {
			out, err := callAs(t, tools.WithSubject(context.Background(), subject), r, tool, args)
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
	})
}
