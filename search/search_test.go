package search

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSearchRanking(t *testing.T) {
	idx := New(corpusDocs(t))
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
			got := keys(idx.docs, idx.Search(tt.query, tt.top))
			if !slices.Contains(got, tt.want) {
				t.Errorf("Search(%q) top %d = %v, want %s among them", tt.query, tt.top, got, tt.want)
			}
		})
	}
}

func TestSearchEdges(t *testing.T) {
	idx := New(corpusDocs(t))
	if got := idx.Search("", 5); len(got) != 0 {
		t.Errorf("empty query found %d", len(got))
	}
	if got := idx.Search("the of a", 5); len(got) != 0 {
		t.Errorf("stop words found %d", len(got))
	}
	if got := idx.Search("xyzzy", 5); len(got) != 0 {
		t.Errorf("nonsense found %d", len(got))
	}
	all := idx.Search("file", 0)
	if len(all) < 10 {
		t.Errorf("limit 0 returned %d, want every match", len(all))
	}
	a, b := idx.Search("file", 7), idx.Search("file", 7)
	if diff := cmp.Diff(a, b); diff != "" || !slices.Equal(a, all[:7]) {
		t.Errorf("search is not deterministic (-first +second)\n%s", diff)
	}
}

// keys are the keys of the documents at positions.
func keys(docs []doc, positions []int) []string {
	var out []string
	for _, p := range positions {
		out = append(out, docs[p].key)
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
	echo := func(name, desc string) Doc { return toolDoc("svc", name, "", desc, nil) }
	docs := []Doc{
		echo("new_reminder", "Schedule a reminder."),
		echo("create_worklog", "Record time spent."),
		echo("sendSms", "Send to a phone number."),
		echo("text_search", "Full-text search."),
		echo("remind_all", "Nudge everyone."),
	}
	idx := New(docs)
	tests := []struct{ query, want string }{
		{"remind", "svc.remind_all"},
		{"reminding", "svc.remind_all"},
		{"remin", "svc.new_reminder"},
		{"log work", "svc.create_worklog"},
		{"text a phone", "svc.sendSms"},
		{"text", "svc.text_search"},
	}
	for _, tt := range tests {
		if got := keys(idx.docs, idx.Search(tt.query, 1)); !slices.Equal(got, []string{tt.want}) {
			t.Errorf("Search(%q) = %v, want [%s]", tt.query, got, tt.want)
		}
	}
}

// snippetDocs are documents as the server makes of saved snippets: words
// the tools share, words of their own, and parts that split a compound
// word of a tool's name which the tools' own words do not split.
func snippetDocs(t testing.TB, idx *Index) []Doc {
	t.Helper()
	snip := func(name, desc string) Doc { return toolDoc("snippets", name, "", desc, nil) }
	extra := []Doc{
		snip("weekly_report", "Lists the issues closed this week and writes a report file to the workspace"),
		snip("sync_calendar", "Reads the team calendar and creates a meeting for every free slot"),
		snip("triage", "Labels new github issues and comments on pull requests with a checklist"),
		snip("zorbulate_frobnitz", "Zorbulates the frobnitz quuxes"),
	}
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

// TestSearchWithLayered: With, which layers the snippets on the index,
// ranks every query of the discovery evaluation exactly as an index built
// over the tools and the snippets together, including a tool whose
// compound name the snippets' words split.
func TestSearchWithLayered(t *testing.T) {
	tools := evalDocs(t)
	idx := New(tools)
	extra := snippetDocs(t, idx)
	all := slices.Concat(tools, extra)
	full := New(all)
	l := idx.With(extra)
	if len(l.replaced) == 0 {
		t.Errorf("no tool's document split anew for the snippet %s", extra[len(extra)-1].Description)
	}
	last := extra[len(extra)-1]
	queries := []string{"zorbulate", "frobnitz quux", "weekly report", "free meeting slot", "triage checklist",
		last.Description, strings.TrimPrefix(strings.TrimPrefix(last.Key, "snippets."), "split_")}
	queries = append(queries, evalQueries(t)...)
	for _, q := range queries {
		want, got := keys(full.docs, full.Search(q, 0)), keys(full.docs, l.Search(q, 0))
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("With(%q): (-one index +layered)\n%s", q, diff)
		}
	}
	if got := keys(full.docs, l.Search("zorbulate the frobnitz", 1)); !slices.Equal(got, []string{"snippets.zorbulate_frobnitz"}) {
		t.Errorf("a snippet's own words find %v", got)
	}
}

// BenchmarkSearchWith measures a search of 1,000 tools and 20 snippets,
// and one without the snippets. Run with:
// go test -run '^$' -bench SearchWith -benchmem -benchtime 50x ./search
func BenchmarkSearchWith(b *testing.B) {
	tools := evalDocs(b)
	for i := 0; len(tools) < 1000; i++ {
		tools = append(tools, toolDoc(fmt.Sprintf("bulk%d", i/50), fmt.Sprintf("tool_%d_items", i), "",
			fmt.Sprintf("Lists the items of collection %d, with paging and filters", i), nil))
	}
	idx := New(tools)
	extra := snippetDocs(b, idx)
	for i := range 16 {
		extra = append(extra, toolDoc("snippets", fmt.Sprintf("snippet_%d", i), "",
			fmt.Sprintf("Collects report %d from the issues and writes it to the workspace", i), nil))
	}
	idx.Search("warm", 5)
	b.Run("tools", func(b *testing.B) {
		for b.Loop() {
			idx.Search("create an issue", 5)
		}
	})
	b.Run("with snippets", func(b *testing.B) {
		for b.Loop() {
			idx.With(extra).Search("create an issue", 5)
		}
	})
	b.Run("one index", func(b *testing.B) { // how SearchWith searched before
		for b.Loop() {
			New(slices.Concat(tools, extra)).Search("create an issue", 5)
		}
	})
}

// TestSearchNameCoverage: among the documents whose name holds every word
// of the query, the one whose name says least else comes first, and a
// rare synonym in another's name does not outrank the query's own words.
// The documents are GitHub's operations, as package tools makes them of its
// OpenAPI description, among the evaluation's tools.
func TestSearchNameCoverage(t *testing.T) {
	gh := func(name, title, path string, params ...string) Doc {
		return Doc{Key: "github." + name, Namespace: "github github", Name: name + " " + title, Params: params, Description: title + " (" + path + ")"}
	}
	docs := append(evalDocs(t),
		gh("pulls_list", "List pull requests", "GET /repos/{owner}/{repo}/pulls", "base", "direction", "head", "owner", "page", "per_page", "repo", "sort", "state"),
		gh("pulls_list_requested_reviewers", "Get all requested reviewers for a pull request", "GET /repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers", "owner", "pull_number", "repo"),
		gh("pulls_list_commits", "List commits on a pull request", "GET /repos/{owner}/{repo}/pulls/{pull_number}/commits", "owner", "page", "per_page", "pull_number", "repo"),
		gh("codespaces_create_with_pr_for_authenticated_user", "Create a codespace from a pull request", "POST /repos/{owner}/{repo}/pulls/{pull_number}/codespaces", "body", "owner", "pull_number", "repo"),
		gh("users_get_authenticated", "Get the authenticated user", "GET /user"),
		gh("migrations_get_archive_for_authenticated_user", "Download a user migration archive", "GET /user/migrations/{migration_id}/archive", "migration_id"),
		gh("repos_get", "Get a repository", "GET /repos/{owner}/{repo}", "owner", "repo"),
		gh("repos_download_tarball_archive", "Download a repository archive (tar)", "GET /repos/{owner}/{repo}/tarball/{ref}", "owner", "ref", "repo"),
	)
	idx := New(docs)
	for _, tt := range []struct{ query, want string }{
		{"list pull requests", "github.pulls_list"},
		{"get the authenticated user", "github.users_get_authenticated"},
		{"get a repository", "github.repos_get"},
		{"list commits on a pull request", "github.pulls_list_commits"},
	} {
		if got := keys(idx.docs, idx.Search(tt.query, 3)); len(got) == 0 || got[0] != tt.want {
			t.Errorf("Search(%q) = %v, want %s first", tt.query, got, tt.want)
		}
	}
}
