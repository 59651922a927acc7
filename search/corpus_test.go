package search

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The tests rank the tool definitions the registry's tests use
// (tools/testdata): the shared corpus of reference servers, and the
// generated services and paraphrased queries of the discovery evaluation.
const corpusDir = "../tools/testdata"

// toolDoc is the document the registry makes of a tool of server, whose
// namespace and method are the names made identifiers (the corpus's names
// need nothing more than "-" made "_").
func toolDoc(server, name, title, desc string, params []string) Doc {
	ns, method := strings.ReplaceAll(server, "-", "_"), strings.ReplaceAll(name, "-", "_")
	return Doc{Key: ns + "." + method, Namespace: ns + " " + server, Name: name + " " + title, Params: params, Description: desc}
}

// loadDocs reads a file of tools/list's result as documents of server.
func loadDocs(t testing.TB, file, server string) []Doc {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var list struct {
		Tools []struct {
			Name, Title, Description string
			InputSchema              struct {
				Properties map[string]json.RawMessage `json:"properties"`
			} `json:"inputSchema"`
		} `json:"tools"`
	}
	if err := json.Unmarshal(data, &list); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	var out []Doc
	for _, w := range list.Tools {
		var params []string
		for p := range w.InputSchema.Properties {
			params = append(params, p)
		}
		slices.Sort(params)
		out = append(out, toolDoc(server, w.Name, w.Title, w.Description, params))
	}
	return out
}

// corpusDocs are the reference servers' tools and the workspace's.
func corpusDocs(t testing.TB) []Doc {
	t.Helper()
	var out []Doc
	for _, name := range []string{"memory", "filesystem", "everything", "github", "sequential-thinking", "workspace"} {
		out = append(out, loadDocs(t, filepath.Join(corpusDir, name+".tools.json"), name)...)
	}
	return out
}

// evalDocs are the corpus and the generated services: over 500 tools.
func evalDocs(t testing.TB) []Doc {
	t.Helper()
	out := corpusDocs(t)
	files, err := filepath.Glob(filepath.Join(corpusDir, "discovery", "*.tools.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no evaluation services: %v", err)
	}
	for _, f := range files {
		ns, _, _ := strings.Cut(filepath.Base(f), ".")
		out = append(out, loadDocs(t, f, ns)...)
	}
	return out
}

// evalQueries are the queries of both evaluation sets.
func evalQueries(t testing.TB) []string {
	t.Helper()
	var out []string
	for _, file := range []string{"queries.json", "holdout.json"} {
		data, err := os.ReadFile(filepath.Join(corpusDir, "discovery", file))
		if err != nil {
			t.Fatal(err)
		}
		var qs []struct{ Query string }
		if err := json.Unmarshal(data, &qs); err != nil {
			t.Fatal(err)
		}
		for _, q := range qs {
			out = append(out, q.Query)
		}
	}
	return out
}
