package toolsfile

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestParse reads a good file whole, and gives the two errors users see
// for a file that is not a tools/list result.
func TestParse(t *testing.T) {
	good := `{"tools": [{"name": "add", "title": "Add", "description": "Adds.",
		"inputSchema": {"type": "object"}, "outputSchema": {"type": "number"},
		"annotations": {"readOnlyHint": true}}, {"name": "sub"}]}`
	want := List{Tools: []Tool{
		{Name: "add", Title: "Add", Description: "Adds.", InputSchema: json.RawMessage(`{"type": "object"}`),
			OutputSchema: json.RawMessage(`{"type": "number"}`), Annotations: json.RawMessage(`{"readOnlyHint": true}`)},
		{Name: "sub"},
	}}
	got, err := Parse([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Parse (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"add", "sub"}, got.Names()); diff != "" {
		t.Errorf("Names (-want +got):\n%s", diff)
	}
	if l, err := Parse([]byte(`{"tools": []}`)); err != nil || len(l.Tools) != 0 {
		t.Errorf(`Parse({"tools": []}) = %+v, %v; want no tools, no error`, l, err)
	}

	for data, want := range map[string]string{
		`{`:               `not a tools/list result ({"tools": [...]}): unexpected end of JSON input`,
		`[]`:              `not a tools/list result ({"tools": [...]}): json: cannot unmarshal array into Go value of type toolsfile.List`,
		`{"result": 1}`:   `not a tools/list result: no "tools" array`,
		`{"tools": null}`: `not a tools/list result: no "tools" array`,
	} {
		if _, err := Parse([]byte(data)); err == nil || err.Error() != want {
			t.Errorf("Parse(%s) = %v, want %s", data, err, want)
		}
	}
}

// TestReadNamesThePath: an error of Read says which file.
func TestReadNamesThePath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.tools.json")
	if err := os.WriteFile(path, []byte(`{"result": 1}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(path); err == nil || err.Error() != path+`: not a tools/list result: no "tools" array` {
		t.Errorf("Read = %v", err)
	}
	missing := filepath.Join(t.TempDir(), "missing.json")
	if _, err := Read(missing); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("Read(missing) = %v, want an error naming %s", err, missing)
	}
}
