package typegen

import (
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestIdentifier(t *testing.T) {
	tests := []struct{ in, want string }{
		{"memory", "memory"},
		{"sequential-thinking", "sequential_thinking"},
		{"my.server", "my_server"},
		{"my server", "my_server"},
		{"get-tiny-image", "get_tiny_image"},
		{"3d-tools", "_3d_tools"},
		{"", "_"},
		{"$jq", "$jq"},
		{"_private", "_private"},
		{"a/b:c@d", "a_b_c_d"},
		{"café", "caf_"},
		{"日本", "__"},
		{"tab\there", "tab_here"},
		{"delete", "delete"},
	}
	for _, tt := range tests {
		if got := Identifier(tt.in); got != tt.want {
			t.Errorf("Identifier(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNamespaceNames(t *testing.T) {
	tests := []struct {
		name    string
		in, out []string
	}{
		{"plain", []string{"memory", "github"}, []string{"memory", "github"}},
		{"sanitised", []string{"sequential-thinking", "my.server", "9lives"}, []string{"sequential_thinking", "my_server", "_9lives"}},
		{"reserved words", []string{"delete", "class", "await", "let", "eval"}, []string{"delete_", "class_", "await_", "let_", "eval_"}},
		{"globals", []string{"console", "fetch", "JSON", "Math", "Promise", "codemode", "globalThis", "undefined", "NaN", "URL"},
			[]string{"console_", "fetch_", "JSON_", "Math_", "Promise_", "codemode_", "globalThis_", "undefined_", "NaN_", "URL_"}},
		{"prototype", []string{"__proto__"}, []string{"__proto___"}},
		{"sandbox internals", []string{"__codemode_fetch", "__codemode"}, []string{"__codemode_fetch_", "__codemode_"}},
		{"globals are case-sensitive", []string{"json", "math"}, []string{"json", "math"}},
		{"collision", []string{"my-server", "my.server", "my server"}, []string{"my_server_2", "my_server_3", "my_server"}},
		{"collision skips taken suffix", []string{"a-b", "a.b", "a_b_2"}, []string{"a_b", "a_b_3", "a_b_2"}},
		{"collision with reserved suffix", []string{"console", "console_"}, []string{"console__2", "console_"}},
		{"identical raw names", []string{"x", "x"}, []string{"x", "x_2"}},
		{"empty", nil, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.out, NamespaceNames(tt.in)); diff != "" {
				t.Errorf("NamespaceNames(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestMethodNames(t *testing.T) {
	tests := []struct {
		name    string
		in, out []string
	}{
		{"reserved words kept", []string{"delete", "new", "class", "console"}, []string{"delete", "new", "class", "console"}},
		{"sanitised", []string{"get-env", "list.files", "2fa"}, []string{"get_env", "list_files", "_2fa"}},
		{"prototype", []string{"__proto__"}, []string{"__proto___"}},
		// The name that needs no change keeps it (issue 20.12).
		{"collision", []string{"list_issues", "list-issues"}, []string{"list_issues", "list_issues_2"}},
		{"collision, valid name sorted last", []string{"list-items", "list_items", "list.items"}, []string{"list_items_2", "list_items", "list_items_3"}},
		{"different case is no collision", []string{"list_issues", "listIssues"}, []string{"list_issues", "listIssues"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.out, MethodNames(tt.in)); diff != "" {
				t.Errorf("MethodNames(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

// TestNamesIndependentOfOrder shuffles colliding names and checks that each
// raw name always gets the same final name, and that all are distinct.
func TestNamesIndependentOfOrder(t *testing.T) {
	raw := []string{"a-b", "a.b", "a b", "a_b", "a_b_2", "a-b-2", "console", "console_", "console-", "x", "1x", "_1x"}
	want := map[string]string{}
	for i, n := range NamespaceNames(raw) {
		want[raw[i]] = n
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 100 {
		shuffled := append([]string(nil), raw...)
		r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		got := NamespaceNames(shuffled)
		seen := map[string]bool{}
		for i, n := range got {
			if n != want[shuffled[i]] {
				t.Fatalf("order %q: %q named %q, want %q", shuffled, shuffled[i], n, want[shuffled[i]])
			}
			if seen[n] {
				t.Fatalf("order %q: %q given twice", shuffled, n)
			}
			seen[n] = true
			if reservedGlobals[n] || !isIdentifier(n) {
				t.Fatalf("%q is not a usable global name", n)
			}
		}
	}
}

// TestRenamedDoc: a declaration names the server and tool as they are
// called upstream when their identifiers differ (issue 13.8, 20.12).
func TestRenamedDoc(t *testing.T) {
	got := Declarations([]Namespace{{Name: "my_srv", Original: "my-srv", Tools: []Tool{
		{Name: "list_items", Original: "list_items", Description: "Underscore."},
		{Name: "list_items_2", Original: "list-items", Description: "Dash."},
		{Name: "get", Original: "get*/x"},
	}}}, Options{})
	want := `/** (server "my-srv") */
declare const my_srv: {
/** Underscore. */
list_items(args?: {}): Promise<unknown>;
/** Dash. (tool "list-items") */
list_items_2(args?: {}): Promise<unknown>;
/** (tool "get*\/x") */
get(args?: {}): Promise<unknown>;
};
`
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Declarations (-want +got):\n%s", diff)
	}
}
