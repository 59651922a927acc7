package tools

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
)

// Thresholds of the discovery evaluation (testdata/discovery): the share of
// paraphrased task queries whose expected tool ranks first, and among the
// first five. queries.json is the set the synonyms and ranking were tuned
// on; holdout.json was written after that tuning, before ranking it once,
// and is never tuned on: it measures how well the ranking generalises.
var evalSets = []struct {
	file       string
	top1, top5 float64
}{
	{"queries.json", 0.75, 0.90},
	{"holdout.json", 0.60, 0.88},
}

// evalRegistry holds the shared corpus, the generated services of
// testdata/discovery and the workspace: over 500 tools.
func evalRegistry(t testing.TB) *Registry {
	t.Helper()
	r := corpusRegistry(t)
	files, err := filepath.Glob("testdata/discovery/*.tools.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no evaluation services: %v", err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		ns, _, _ := strings.Cut(filepath.Base(f), ".")
		list, err := FromList(ns, data, echoHandler)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		must(t, r.Add(list...))
	}
	return r
}

type evalQuery struct {
	Query string `json:"query"`
	Want  string `json:"want"`
}

func evalQueries(t testing.TB, file string) []evalQuery {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "discovery", file))
	if err != nil {
		t.Fatal(err)
	}
	var qs []evalQuery
	if err := json.Unmarshal(data, &qs); err != nil {
		t.Fatal(err)
	}
	return qs
}

// TestDiscoveryEvaluation ranks every paraphrased query of the evaluation
// sets and holds top-1 and top-5 accuracy to their thresholds. Run with -v
// to see the figures and every miss.
func TestDiscoveryEvaluation(t *testing.T) {
	r := evalRegistry(t)
	if n := len(r.Entries()); n < 500 {
		t.Fatalf("evaluation registry has %d tools, want at least 500", n)
	}
	for _, set := range evalSets {
		t.Run(set.file, func(t *testing.T) {
			qs := evalQueries(t, set.file)
			if len(qs) < 50 {
				t.Fatalf("%s has %d queries, want at least 50", set.file, len(qs))
			}
			p1, p5 := evaluate(t, r, qs)
			t.Logf("%s: %d tools, %d queries: top-1 %.1f%%, top-5 %.1f%%", set.file, len(r.Entries()), len(qs), 100*p1, 100*p5)
			if p1 < set.top1 || p5 < set.top5 {
				t.Errorf("top-1 %.1f%% (want ≥ %.0f%%), top-5 %.1f%% (want ≥ %.0f%%)", 100*p1, 100*set.top1, 100*p5, 100*set.top5)
			}
		})
	}
}

// evaluate returns the share of queries whose tool ranks first and among
// the first five, logging every other.
func evaluate(t *testing.T, r *Registry, qs []evalQuery) (top1, top5 float64) {
	n1, n5 := 0, 0
	for _, q := range qs {
		if _, ok := lookupPath(r, q.Want); !ok {
			t.Errorf("query %q expects %s, which is not in the registry", q.Query, q.Want)
			continue
		}
		got := paths(r.Search(q.Query, 5))
		switch rank := slices.Index(got, q.Want); {
		case rank == 0:
			n1++
			n5++
		case rank > 0:
			n5++
			t.Logf("rank %d: %q → %s; first: %s", rank+1, q.Query, q.Want, got[0])
		default:
			t.Logf("miss:   %q → %s; got %v", q.Query, q.Want, got)
		}
	}
	return float64(n1) / float64(len(qs)), float64(n5) / float64(len(qs))
}

func lookupPath(r *Registry, path string) (Entry, bool) {
	for _, e := range r.Entries() {
		if e.Path() == path {
			return e, true
		}
	}
	return Entry{}, false
}

func echoHandler(_ context.Context, args json.RawMessage) (*mcp.CallToolResult, error) {
	return mcp.NewToolResultStructured(args, string(args)), nil
}
