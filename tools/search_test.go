package tools

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func corpusRegistry(t testing.TB) *Registry {
	t.Helper()
	r := newTestRegistry(t, Options{})
	for _, name := range []string{"memory", "filesystem", "everything", "github", "sequential-thinking", "workspace"} {
		must(t, r.Add(loadCorpus(t, name)...))
	}
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

// snippetEntries are entries as the server makes of saved snippets: words
// the tools share, words of their own, and parts that split a compound
// word of a tool's name which the tools' own words do not split.
func snippetEntries(t testing.TB, r *Registry) []Entry {
	t.Helper()
	snip := func(name, desc string) Entry {
		return Entry{Tool: Tool{Server: "snippets", Name: name, Description: desc}, ID: "\x00snippet\x00" + name,
			Namespace: "snippets", Method: name}
	}
	extra := []Entry{
		snip("weekly_report", "Lists the issues closed this week and writes a report file to the workspace"),
		snip("sync_calendar", "Reads the team calendar and creates a meeting for every free slot"),
		snip("triage", "Labels new github issues and comments on pull requests with a checklist"),
		snip("zorbulate_frobnitz", "Zorbulates the frobnitz quuxes"),
	}
	idx := r.snap.Load().indexed()
	for _, w := range idx.long {
		if splits(w, func(t string) bool { _, ok := idx.df[t]; return ok }) {
			continue
		}
		// A prefix the tools lack, with a stem of the rest: the snippet's
		// words split w.
		a, b := w[:3], stem(w[3:])
		if _, ok := idx.df[a]; ok || len(terms(a+" "+b)) != 2 {
			continue
		}
		extra = append(extra, snip("split_"+w, "About "+a+" and "+b))
		break
	}
	if len(extra) == 4 {
		t.Fatal("no word of the tools that a snippet's words could split")
	}
	return extra
}

// splits reports whether splitCompounds splits w with the vocabulary inVocab.
func splits(w string, inVocab func(string) bool) bool {
	for i := 3; i <= len(w)-3; i++ {
		if inVocab(w[:i]) && inVocab(stem(w[i:])) {
			return true
		}
	}
	return false
}

// TestSearchWithLayered: SearchWith, which layers the snippets on the
// registry's index, ranks every query of the discovery evaluation exactly
// as an index built over the tools and the snippets together, including a
// tool whose compound name the snippets' words split.
func TestSearchWithLayered(t *testing.T) {
	r := evalRegistry(t)
	extra := snippetEntries(t, r)
	full := newSearchIndex(slices.Concat(r.snap.Load().entries, extra))
	l := r.snap.Load().indexed().layer(extra)
	if len(l.replaced) == 0 {
		t.Errorf("no tool's document split anew for the snippet %s", extra[len(extra)-1].Description)
	}
	queries := []string{"zorbulate", "frobnitz quux", "weekly report", "free meeting slot", "triage checklist",
		extra[len(extra)-1].Description, strings.TrimPrefix(extra[len(extra)-1].Method, "split_")}
	for _, set := range evalSets {
		for _, q := range evalQueries(t, set.file) {
			queries = append(queries, q.Query)
		}
	}
	for _, q := range queries {
		want, got := paths(full.search(q, 0)), paths(r.SearchWith(extra, q, 0))
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("SearchWith(%q): (-one index +layered)\n%s", q, diff)
		}
	}
	if got := paths(r.SearchWith(extra, "zorbulate the frobnitz", 1)); !slices.Equal(got, []string{"snippets.zorbulate_frobnitz"}) {
		t.Errorf("a snippet's own words find %v", got)
	}
}

// BenchmarkSearchWith measures a search of 1,000 tools and 20 snippets,
// and one without the snippets. Run with:
// go test -run '^$' -bench SearchWith -benchmem -benchtime 50x ./tools
func BenchmarkSearchWith(b *testing.B) {
	r := evalRegistry(b)
	for i := 0; len(r.Entries()) < 1000; i++ {
		must(b, r.Add(NewTool(fmt.Sprintf("bulk%d", i/50), fmt.Sprintf("tool_%d_items", i),
			fmt.Sprintf("Lists the items of collection %d, with paging and filters", i), nil, echoHandler)))
	}
	extra := snippetEntries(b, r)
	for i := range 16 {
		extra = append(extra, Entry{Tool: Tool{Server: "snippets", Name: fmt.Sprintf("snippet_%d", i),
			Description: fmt.Sprintf("Collects report %d from the issues and writes it to the workspace", i)},
			Namespace: "snippets", Method: fmt.Sprintf("snippet_%d", i)})
	}
	r.Search("warm", 5)
	b.Run("tools", func(b *testing.B) {
		for b.Loop() {
			r.Search("create an issue", 5)
		}
	})
	b.Run("with snippets", func(b *testing.B) {
		for b.Loop() {
			r.SearchWith(extra, "create an issue", 5)
		}
	})
	b.Run("one index", func(b *testing.B) { // how SearchWith searched before
		for b.Loop() {
			newSearchIndex(slices.Concat(r.snap.Load().entries, extra)).search("create an issue", 5)
		}
	})
}
