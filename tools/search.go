package tools

import (
	"encoding/json"
	"slices"

	"github.com/mcp-codemode/mcp-codemode/search"
)

// indexed is the snapshot's search index, built on first use.
func (s *snapshot) indexed() *search.Index {
	s.indexOnce.Do(func() { s.index = search.New(docs(s.entries)) })
	return s.index
}

func (s *snapshot) search(query string, limit int) []Entry {
	return pick(s.indexed().Search(query, limit), s.entries)
}

// SearchWith ranks the registry's tools together with extra entries that
// the registry does not hold (a subject's saved snippets), as Search does
// over an index of both: it layers the extra entries on the registry's
// index (search.Index.With), so that a search costs what it costs without
// them plus their own share.
func (r *Registry) SearchWith(extra []Entry, query string, limit int) []Entry {
	if len(extra) == 0 {
		return r.Search(query, limit)
	}
	s := r.snap.Load()
	return pick(s.indexed().With(docs(extra)).Search(query, limit), s.entries, extra)
}

// docs are the search documents of entries: the name field holds the
// namespace and the server, and the tool's name and its title.
func docs(entries []Entry) []search.Doc {
	out := make([]search.Doc, len(entries))
	for i, e := range entries {
		out[i] = search.Doc{
			Key:         e.Path(),
			Namespace:   e.Namespace + " " + e.Server,
			Name:        e.Name + " " + e.Title,
			Params:      paramNames(e.InputSchema),
			Description: e.Description,
		}
	}
	return out
}

// pick returns the entries at positions, numbered across lists in order.
func pick(positions []int, lists ...[]Entry) []Entry {
	out := make([]Entry, len(positions))
	for i, p := range positions {
		for _, l := range lists {
			if p < len(l) {
				out[i] = l[p]
				break
			}
			p -= len(l)
		}
	}
	return out
}

// paramNames returns the top-level property names of an input schema.
func paramNames(schema json.RawMessage) []string {
	var s struct {
		Properties map[string]json.RawMessage `json:"properties"`
	}
	if json.Unmarshal(schema, &s) != nil {
		return nil
	}
	names := make([]string, 0, len(s.Properties))
	for n := range s.Properties {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}
