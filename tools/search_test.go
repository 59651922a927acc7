package tools

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func corpusRegistry(t testing.TB) *Registry {
	t.Helper()
	r := newTestRegistry(t, Options{})
	for _, name := range []string{"memory", "filesystem", "everything", "github", "sequential-thinking"} {
		must(t, r.Add(loadCorpus(t, name)...))
	}
	must(t, r.Add(NewWorkspace().Tools()...))
	return r
}

func TestSearchRanking(t *testing.T) {
	r := corpusRegistry(t)
	tests := []struct {
		query string
		want  string
		top   int
	}{
		{"add a note to an entity", "memory.add_observations", 3},
		{"list folder contents", "filesystem.list_directory", 3},
		{"list directory", "filesystem.list_directory", 1},
		{"create an issue", "github.create_issue", 1},
		{"comment on issue", "github.add_issue_comment", 1},
		{"read a text file", "filesystem.read_text_file", 3},
		{"save a file in the workspace", "workspace.write_file", 3},
		{"environment variables", "everything.get_env", 1},
		{"searchNodes", "memory.search_nodes", 1},
		{"merge PR", "github.merge_pull_request", 3},
		{"think step by step", "sequential_thinking.sequentialthinking", 3},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			var got []string
			for _, e := range r.Search(tt.query, tt.top) {
				got = append(got, e.Path())
			}
			if !slices.Contains(got, tt.want) {
				t.Errorf("Search(%q) top %d = %v, want %s among them", tt.query, tt.top, got, tt.want)
			}
		})
	}
}

func TestSearchEdges(t *testing.T) {
	r := corpusRegistry(t)
	if got := r.Search("", 5); len(got) != 0 {
		t.Errorf("empty query found %d", len(got))
	}
	if got := r.Search("the of a", 5); len(got) != 0 {
		t.Errorf("stop words found %d", len(got))
	}
	if got := r.Search("xyzzy", 5); len(got) != 0 {
		t.Errorf("nonsense found %d", len(got))
	}
	all := r.Search("file", 0)
	if len(all) < 10 {
		t.Errorf("limit 0 returned %d, want every match", len(all))
	}
	a, b := r.Search("file", 7), r.Search("file", 7)
	if diff := cmp.Diff(paths(a), paths(b)); diff != "" || !slices.Equal(paths(a), paths(all[:7])) {
		t.Errorf("search is not deterministic (-first +second)\n%s", diff)
	}
}

func paths(es []Entry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Path())
	}
	return out
}

func TestTerms(t *testing.T) {
	tests := map[string][]string{
		"create_entities":           {"create", "entity"},
		"listDirectoryWithSizes":    {"list", "directory", "size"},
		"get-env":                   {"get", "env"},
		"HTTPServer running":        {"http", "server", "run"},
		"Search the files, quickly": {"search", "file", "quickly"},
		"boxes passes stopped":      {"box", "pass", "stop"},
	}
	for in, want := range tests {
		if diff := cmp.Diff(want, terms(in)); diff != "" {
			t.Errorf("terms(%q) (-want +got)\n%s", in, diff)
		}
	}
}

// TestSearchWordForms checks the relatives a query term reaches: a word
// the term begins ("remind" → reminder), the parts of a run-together name
// ("log work" → worklog) and a synonym ("text" → sms), each without
// outranking an exact match.
func TestSearchWordForms(t *testing.T) {
	r := newTestRegistry(t, Options{})
	echo := func(name, desc string) Tool { return NewTool("svc", name, desc, nil, echoHandler) }
	must(t, r.Add(
		echo("new_reminder", "Schedule a reminder."),
		echo("create_worklog", "Record time spent."),
		echo("sendSms", "Send to a phone number."),
		echo("text_search", "Full-text search."),
		echo("remind_all", "Nudge everyone."),
	))
	tests := []struct{ query, want string }{
		{"remind", "svc.remind_all"},
		{"reminding", "svc.remind_all"},
		{"remin", "svc.new_reminder"},
		{"log work", "svc.create_worklog"},
		{"text a phone", "svc.sendSms"},
		{"text", "svc.text_search"},
	}
	for _, tt := range tests {
		if got := paths(r.Search(tt.query, 1)); !slices.Equal(got, []string{tt.want}) {
			t.Errorf("Search(%q) = %v, want [%s]", tt.query, got, tt.want)
		}
	}
}
