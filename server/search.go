package server

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcp-codemode/mcp-codemode/sandbox"
	"github.com/mcp-codemode/mcp-codemode/tools"
	"github.com/mcp-codemode/mcp-codemode/typegen"
)

// Binding ids of the sandbox's own helpers. They start with a NUL byte, so
// they can never equal a registry id.
const (
	helperSearch   = "\x00codemode.search"
	helperDescribe = "\x00codemode.describe"
)

const defaultSearchLimit = 5

func (s *Server) handleSearch(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	query, err := req.RequireString("query")
	if err != nil {
		return mcp.NewToolResultError(`search_tools needs {"query": string}: what you want to do, in words`), nil
	}
	limit := req.GetInt("limit", defaultSearchLimit)
	found, err := s.search(ctx, query, clampLimit(limit))
	if err != nil {
		return mcp.NewToolResultError("search_tools: " + err.Error()), nil
	}
	if len(found) == 0 {
		return mcp.NewToolResultText(fmt.Sprintf("No tool matches %q. The namespaces are: %s.", query, strings.Join(s.namespaces(), ", "))), nil
	}
	hits := make([]searchHit, len(found))
	for i, e := range found {
		hits[i] = hitOf(e)
	}
	return mcp.NewToolResultStructured(map[string]any{"tools": hits}, s.declare(ctx, found, typegen.Options{})+snippetsText(found)), nil
}

func hitOf(e tools.Entry) searchHit {
	return searchHit{Name: e.Path(), Namespace: e.Namespace, Description: firstLine(e.Description)}
}

func clampLimit(n int) int {
	if n <= 0 {
		return defaultSearchLimit
	}
	return min(n, 50)
}

// declare renders the declarations of some entries only, with the result
// types learned for the caller's subject.
func (s *Server) declare(ctx context.Context, entries []tools.Entry, opts typegen.Options) string {
	want := map[string]bool{}
	for _, e := range entries {
		want[e.ID] = true
	}
	var out []typegen.Namespace
	ids := map[[2]string]string{} // namespace, method → id
	for _, e := range s.reg.Entries() {
		ids[[2]string{e.Namespace, e.Method}] = e.ID
	}
	for _, ns := range s.reg.NamespacesFor(tools.Subject(ctx), false) {
		kept := ns
		kept.Tools = nil
		for _, t := range ns.Tools {
			if id, ok := ids[[2]string{ns.Name, t.Name}]; ok && want[id] {
				kept.Tools = append(kept.Tools, t)
			}
		}
		if len(kept.Tools) > 0 {
			out = append(out, kept)
		}
	}
	return typegen.Declarations(out, opts)
}

func (s *Server) namespaces() []string {
	seen := map[string]bool{}
	var out []string
	for _, e := range s.reg.Entries() {
		if !seen[e.Namespace] {
			seen[e.Namespace] = true
			out = append(out, e.Namespace)
		}
	}
	sort.Strings(out)
	return out
}

// searchHit is what codemode.search returns for one tool.
type searchHit struct {
	Name        string `json:"name"`
	Namespace   string `json:"namespace"`
	Description string `json:"description"`
}

// helperSearch serves codemode.search(query) and codemode.search({query, limit}).
func (s *Server) helperSearch(ctx context.Context, args json.RawMessage) (json.RawMessage, error) {
	var q struct {
		Query string `json:"query"`
		Limit int    `json:"limit"`
	}
	if err := json.Unmarshal(args, &q.Query); err != nil {
		if err := json.Unmarshal(args, &q); err != nil || q.Query == "" {
			return nil, typeError("codemode.search(query): query must be a string")
		}
	}
	found, err := s.search(ctx, q.Query, clampLimit(q.Limit))
	if err != nil {
		return nil, err
	}
	hits := []searchHit{}
	for _, e := range found {
		hits = append(hits, hitOf(e))
	}
	return json.Marshal(hits)
}

// search ranks the tools and the subject's snippets for query. Without
// snippets it searches the registry's own index, built once per version;
// with them, each search builds an index over every tool and snippet
// (8 MB and 20 ms at 1,000 tools), so a subject's searches take turns:
// 190 at once from one script queue instead of adding up, and those whose
// execution ended meanwhile are dropped rather than computed.
func (s *Server) search(ctx context.Context, query string, limit int) ([]tools.Entry, error) {
	extra := s.snippets(ctx)
	if len(extra) == 0 {
		return s.reg.Search(query, limit), nil
	}
	s.snips.searches.Add(1)
	defer s.snips.searches.Add(-1)
	sub, _ := s.snips.subject(tools.Subject(ctx))
	turn := sub.searching
	select {
	case turn <- struct{}{}:
		defer func() { <-turn }()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return s.reg.SearchWith(extra, query, limit), nil
}

// helperDescribe serves codemode.describe("ns.tool" | "ns"): the declarations.
func (s *Server) helperDescribe(ctx context.Context, c *caller, args json.RawMessage) (json.RawMessage, error) {
	var name string
	if err := json.Unmarshal(args, &name); err != nil || name == "" {
		return nil, typeError(`codemode.describe(name): name must be a string like "memory" or "memory.read_graph"`)
	}
	if name == snippetNamespace || strings.HasPrefix(name, snippetNamespace+".") {
		return c.describeSnippets(ctx, name)
	}
	found := describeMatches(s.reg.Entries(), name)
	if len(found) == 0 {
		return nil, typeError(fmt.Sprintf("codemode.describe: no tool or namespace %q;%s the namespaces are: %s", name, s.didYouMean(name), strings.Join(s.namespaces(), ", ")))
	}
	return json.Marshal(s.declare(ctx, found, typegen.Options{MaxDescription: wholeDescription}))
}

// firstLine is a description's first line, cut to at most 160 bytes on a
// character's boundary.
func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, "\n"); i >= 0 {
		s = s[:i]
	}
	if len(s) > 160 {
		cut := 157
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "..."
	}
	return s
}

func typeError(msg string) error { return sandbox.NewError(sandbox.NameType, msg) }

// didYouMean names what describe knows nearest to a name it did not
// know: the namespaces and tools nearest by edit distance first (a typo),
// then those search finds (other words for it); up to three, or nothing.
func (s *Server) didYouMean(name string) string {
	paths := nearestNames(s.reg.Entries(), name)
	for _, e := range s.reg.Search(name, 3) {
		if len(paths) < 3 && !slices.Contains(paths, e.Path()) {
			paths = append(paths, e.Path())
		}
	}
	if len(paths) == 0 {
		return ""
	}
	return " did you mean " + strings.Join(paths, ", ") + "?"
}
