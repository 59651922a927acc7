package tools

import (
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/mcp-codemode/mcp-codemode/search"
	"github.com/mcp-codemode/mcp-codemode/typegen"
)

// snapshot is an immutable view of the tool set. Readers load it without
// locks; every change builds and publishes a new one.
type snapshot struct {
	version    uint64
	entries    []Entry
	byID       map[string]*binding
	namespaces []typegen.Namespace

	indexOnce sync.Once
	index     *search.Index
}

// binding joins what the model sees to what runs.
type binding struct {
	entry Entry
	rec   *toolRec
}

// buildSnapshot names every namespace and method and sorts the entries.
// Names depend only on the set of server and tool names, never on the
// order in which servers connected, so they are stable across restarts.
func buildSnapshot(servers map[string]*serverTools) *snapshot {
	s := &snapshot{byID: map[string]*binding{}}
	names := slices.Sorted(maps.Keys(servers))
	nsNames := typegen.NamespaceNames(names)
	for i, name := range names {
		for _, b := range bindings(servers[name], nsNames[i]) {
			s.byID[b.entry.ID] = b
			s.entries = append(s.entries, b.entry)
		}
	}
	slices.SortFunc(s.entries, func(a, b Entry) int {
		if c := strings.Compare(a.Namespace, b.Namespace); c != 0 {
			return c
		}
		return strings.Compare(a.Method, b.Method)
	})
	s.namespaces = groupNamespaces(s.entries, servers)
	return s
}

func bindings(st *serverTools, ns string) []*binding {
	toolNames := slices.Sorted(maps.Keys(st.tools))
	methods := typegen.MethodNames(toolNames)
	out := make([]*binding, len(toolNames))
	for i, name := range toolNames {
		rec := st.tools[name]
		out[i] = &binding{rec: rec, entry: Entry{
			Tool:      rec.Tool,
			ID:        toolID(st.name, name),
			Namespace: ns,
			Method:    methods[i],
		}}
	}
	return out
}

// groupNamespaces groups sorted entries by namespace for typegen.
func groupNamespaces(entries []Entry, servers map[string]*serverTools) []typegen.Namespace {
	var out []typegen.Namespace
	for _, e := range entries {
		if len(out) == 0 || out[len(out)-1].Name != e.Namespace {
			out = append(out, typegen.Namespace{Name: e.Namespace, Original: e.Server, Description: servers[e.Server].description})
		}
		ns := &out[len(out)-1]
		ns.Tools = append(ns.Tools, typegen.Tool{
			Name:         e.Method,
			Original:     e.Name,
			Description:  e.Description,
			InputSchema:  e.inputSchema(),
			OutputSchema: e.OutputSchema,
		})
	}
	return out
}
