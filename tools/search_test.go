package tools

import (
	"slices"
	"testing"
)

// The index's own tests are package search's; these check what the
// registry gives it and makes of its answers.

func corpusRegistry(t testing.TB) *Registry {
	t.Helper()
	r := newTestRegistry(t, Options{})
	for _, name := range []string{"memory", "filesystem", "everything", "github", "sequential-thinking", "workspace"} {
		must(t, r.Add(loadCorpus(t, name)...))
	}
	return r
}

func paths(es []Entry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Path())
	}
	return out
}

// TestSearchWith: the extra entries are found among the registry's, by
// their own words and by their parameters' names, and come back as given.
func TestSearchWith(t *testing.T) {
	r := corpusRegistry(t)
	snip := Entry{Tool: Tool{Server: "snippets", Name: "weekly_report", Description: "Zorbulates the issues closed this week"},
		ID: "\x00snippet\x00weekly_report", Namespace: "snippets", Method: "weekly_report"}
	got := r.SearchWith([]Entry{snip}, "zorbulate", 0)
	if len(got) != 1 || got[0].ID != snip.ID || got[0].Description != snip.Description {
		t.Errorf("SearchWith found %v, want the snippet", paths(got))
	}
	if got := paths(r.SearchWith([]Entry{snip}, "create an issue", 3)); !slices.Contains(got, "github.create_issue") {
		t.Errorf("SearchWith(create an issue) = %v, want github.create_issue among them", got)
	}
	if got := paths(r.Search("entities observations", 3)); !slices.Contains(got, "memory.add_observations") {
		t.Errorf("Search(entities observations) = %v: the parameters' names count", got)
	}
}

// TestSearchGitHub: over GitHub's API (1,200 operations) the operation
// whose name says the query's words and little else ranks first, before
// longer names holding every word too (pulls_list_requested_reviewers) and
// names with a rare synonym of a word of the query ("Download a user
// migration archive" for "get").
func TestSearchGitHub(t *testing.T) {
	srv := githubMock(t)
	defer srv.Close()
	r := githubRegistry(t, srv.URL)
	for _, tt := range []struct{ query, want string }{
		{"list pull requests", "github.pulls_list"},
		{"get the authenticated user", "github.users_get_authenticated"},
		{"get a repository", "github.repos_get"},
		{"list issues of a repository", "github.issues_list_for_repo"},
		{"list workflow runs", "github.actions_list_workflow_runs"},
		{"create an issue", "github.issues_create"},
		{"merge a pull request", "github.pulls_merge"},
	} {
		if got := paths(r.Search(tt.query, 5)); len(got) == 0 || got[0] != tt.want {
			t.Errorf("Search(%q) = %v, want %s first", tt.query, got, tt.want)
		}
	}
}
