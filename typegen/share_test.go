package typegen

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// collisionNamespaces have helper types whose natural names collide: the same
// $defs name in several tools, and prefixes that concatenate alike
// (a + b_c and a_b + c).
func collisionNamespaces() []Namespace {
	recursive := json.RawMessage(`{"type":"object","properties":{"next":{"$ref":"#"},"node":{"$ref":"#/$defs/Node"}},
		"$defs":{"Node":{"type":"object","properties":{"kids":{"type":"array","items":{"$ref":"#/$defs/Node"}}}}}}`)
	other := json.RawMessage(`{"type":"object","properties":{"node":{"$ref":"#/$defs/Node"}},
		"$defs":{"Node":{"type":"object","properties":{"children":{"type":"array","items":{"$ref":"#/$defs/Node"}}}}}}`)
	return []Namespace{
		{Name: "a", Tools: []Tool{{Name: "b_c", InputSchema: recursive}, {Name: "list_issues", InputSchema: recursive}, {Name: "listIssues", InputSchema: other}}},
		{Name: "a_b", Tools: []Tool{{Name: "c", InputSchema: recursive, OutputSchema: other}}},
	}
}

func TestHelperNamesUnique(t *testing.T) {
	out := Declarations(collisionNamespaces(), Options{})
	seen := map[string]bool{}
	for _, line := range strings.Split(out, "\n") {
		if name, ok := strings.CutPrefix(line, "type "); ok {
			name, _, _ = strings.Cut(name, " ")
			if seen[name] {
				t.Errorf("type %s declared twice:\n%s", name, out)
			}
			seen[name] = true
		}
	}
	want := []string{"a_b_c_args", "a_Node", "a_list_issues_args", "a_Node_2", "a_b_c_args_2", "a_b_Node", "a_b_Node_2"}
	for _, w := range want {
		if !seen[w] {
			t.Errorf("type %s not declared; got %v\n%s", w, seen, out)
		}
	}
}

// TestSharedDefinitions: a $defs entry used once in each of two tools, the
// way Pydantic writes a shared model, is declared once; a short one is
// repeated inline; one with the same name but other content is not merged
// (and, used once, is inline).
func TestSharedDefinitions(t *testing.T) {
	issue := `"Issue":{"description":"An issue.","type":"object","properties":{"number":{"type":"integer"},"title":{"type":"string"},"url":{"type":"string"},"state":{"$ref":"#/$defs/State"}},"required":["number","title","state"]},"State":{"enum":["open","closed"]}`
	ns := []Namespace{{Name: "py", Tools: []Tool{
		{Name: "get_issue", OutputSchema: json.RawMessage(`{"$ref":"#/$defs/Issue","$defs":{` + issue + `}}`)},
		{Name: "list_issues", OutputSchema: json.RawMessage(`{"type":"object","properties":{"items":{"type":"array","items":{"$ref":"#/$defs/Issue"}}},"$defs":{` + issue + `}}`)},
		{Name: "other", OutputSchema: json.RawMessage(`{"$ref":"#/$defs/Issue","$defs":{"Issue":{"type":"object","properties":{"id":{"type":"string"},"body":{"type":"string"},"labels":{"type":"array","items":{"type":"string"}}}}}}`)},
	}}}
	want := `/** An issue. */
type py_Issue = { number: number; title: string; url?: string; state: "open" | "closed" };
declare const py: {
get_issue(args?: {}): Promise<py_Issue>;
list_issues(args?: {}): Promise<{ items?: py_Issue[] }>;
other(args?: {}): Promise<{ id?: string; body?: string; labels?: string[] }>;
};
`
	if diff := cmp.Diff(want, Declarations(ns, Options{})); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
