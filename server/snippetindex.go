package server

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/mcp-codemode/mcp-codemode/tools"
	"github.com/mcp-codemode/mcp-codemode/workspace"
)

// The snippet index: what codemode.search and codemode.describe("snippets")
// need of a subject's saved snippets (name, description, size), kept
// between calls so that a search does not read every snippet again (30 MB
// of snippets and 12 searches at once once cost the server 1.17 GB).
//
// Invariants:
//   - Memory does not grow with the snippets' content: an entry keeps the
//     name, at most snippetDescMax bytes of description and the size; a
//     refresh reads one file at a time, and never one over the code-size
//     limit (its description then says so).
//   - One refresh at a time per subject: searches at once wait for it and
//     share its result (a refresh that started after a search came in and
//     has completed serves it), and one whose execution ends while it waits
//     is dropped.
//   - An entry is read again when the file's size changed (whoever wrote
//     it), or when a script of this server wrote or moved it (a write of the
//     same size): caller.Call and codemode.save mark it stale once the write
//     is done, and a refresh takes the marks before it reads, so a write
//     during a refresh is read by the next one.
//   - The cache is bounded: past snippetCacheBytes the subjects used least
//     recently are dropped (and indexed again when they come back).

const (
	snippetDescMax    = 300
	snippetCacheBytes = 32 << 20
	snippetEntryCost  = 96 // bytes an entry costs besides its strings
	// describeSnippetsMax bounds the snippets codemode.describe("snippets")
	// lists; search finds the others.
	describeSnippetsMax = 200
)

// snippetMeta is what the index keeps of one snippet.
type snippetMeta struct {
	name, description string
	size              int
}

type snippetIndex struct {
	limit    int          // bytes the cache may hold; 0 means snippetCacheBytes
	searches atomic.Int64 // searches with snippets waiting or running (Server.search)

	mu       sync.Mutex
	subjects map[string]*subjectSnippets
	tick     uint64 // orders uses, for eviction
	bytes    int    // the sum of the subjects' costs
}

// subjectSnippets is the index of one subject's snippets.
type subjectSnippets struct {
	refreshing chan struct{} // holds the one refresh running
	searching  chan struct{} // holds the one search of the subject that runs (Server.search)

	// Guarded by snippetIndex.mu:
	byName   map[string]snippetMeta
	built    bool            // byName was filled once
	stale    map[string]bool // names written since they were read
	allStale bool            // a write that may have touched any snippet
	used     uint64
	cost     int
	started  uint64 // refreshes started
	fresh    uint64 // the number of the last refresh that completed
}

// subject returns the index of subject, creating it empty, and how many
// refreshes of it had started.
func (x *snippetIndex) subject(subject string) (*subjectSnippets, uint64) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.subjects == nil {
		x.subjects = map[string]*subjectSnippets{}
	}
	sub := x.subjects[subject]
	if sub == nil {
		sub = &subjectSnippets{stale: map[string]bool{}, refreshing: make(chan struct{}, 1), searching: make(chan struct{}, 1)}
		x.subjects[subject] = sub
	}
	x.tick++
	sub.used = x.tick
	return sub, sub.started
}

// since returns the entries of a refresh that started after the
// (arrived+1)th, when one completed.
func (x *snippetIndex) since(sub *subjectSnippets, arrived uint64) ([]snippetMeta, bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if !sub.built || sub.fresh <= arrived {
		return nil, false
	}
	return sortedMetas(sub.byName), true
}

// markStale records that a script wrote the snippet name ("" : any).
func (x *snippetIndex) markStale(subject, name string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	sub := x.subjects[subject]
	if sub == nil {
		return // not indexed: nothing to correct
	}
	if name == "" {
		sub.allStale = true
		return
	}
	sub.stale[name] = true
}

// snippetsOf returns the index of ctx's subject, brought up to date with
// the workspace: sorted by name.
func (s *Server) snippetsOf(ctx context.Context) ([]snippetMeta, error) {
	fs, err := s.files("list_files")
	if err != nil {
		return nil, err // no workspace: nothing to index, and no entry made for the subject
	}
	subject := tools.Subject(ctx)
	sub, arrived := s.snips.subject(subject)
	select {
	case sub.refreshing <- struct{}{}:
		defer func() { <-sub.refreshing }()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if metas, ok := s.snips.since(sub, arrived); ok {
		return metas, nil
	}
	s.snips.mu.Lock()
	sub.started++
	number := sub.started
	s.snips.mu.Unlock()
	list, err := snippetFiles(ctx, fs)
	if err != nil {
		return nil, err
	}
	s.snips.mu.Lock()
	old, stale, allStale := sub.byName, sub.stale, sub.allStale
	sub.stale, sub.allStale = map[string]bool{}, false
	s.snips.mu.Unlock()
	next := make(map[string]snippetMeta, len(list))
	var unread []string          // read again next time: reading failed (a cancelled call)
	cost := 4 * snippetEntryCost // the subject's own, so that subjects without snippets are evicted too
	for _, f := range list {
		m, ok := old[f.name]
		if !ok || m.size != f.size || stale[f.name] || allStale {
			if m, ok = readSnippetMeta(ctx, fs, f); !ok {
				unread = append(unread, f.name)
			}
		}
		next[f.name] = m
		cost += snippetEntryCost + len(m.name) + len(m.description)
	}
	s.snips.store(subject, sub, next, cost, unread, number)
	return sortedMetas(next), nil
}

// store replaces a subject's entries, marks those that could not be read,
// and evicts the subjects used least recently while the cache is over its
// bound.
func (x *snippetIndex) store(subject string, sub *subjectSnippets, entries map[string]snippetMeta, cost int, unread []string, number uint64) {
	x.mu.Lock()
	defer x.mu.Unlock()
	sub.fresh = number
	if x.subjects[subject] != sub { // evicted during the refresh: its cost went with it
		x.subjects[subject], sub.cost = sub, 0
	}
	sub.byName, sub.built = entries, true
	for _, name := range unread {
		sub.stale[name] = true
	}
	x.bytes += cost - sub.cost
	sub.cost = cost
	for x.bytes > cmp.Or(x.limit, snippetCacheBytes) {
		victim, key := (*subjectSnippets)(nil), ""
		for k, v := range x.subjects {
			if v != sub && (victim == nil || v.used < victim.used) {
				victim, key = v, k
			}
		}
		if victim == nil {
			return
		}
		x.bytes -= victim.cost
		delete(x.subjects, key)
	}
}

func sortedMetas(m map[string]snippetMeta) []snippetMeta {
	out := make([]snippetMeta, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// snippetFile is a file under snippets/ as the workspace lists it.
type snippetFile struct {
	name string
	size int
}

// snippetFiles lists the subject's snippet files, without their content.
func snippetFiles(ctx context.Context, fs files) ([]snippetFile, error) {
	list, err := fs.Glob(ctx, snippetDir+"*.ts")
	if err != nil {
		return nil, err
	}
	var sn []snippetFile
	for _, f := range list {
		name := strings.TrimSuffix(strings.TrimPrefix(f.Path, snippetDir), ".ts")
		if snippetName.MatchString(name) {
			sn = append(sn, snippetFile{name: name, size: f.Size})
		}
	}
	return sn, nil
}

// readSnippetMeta reads one snippet's description, unless the file is
// larger than a snippet can be; ok is false when it could not be read.
func readSnippetMeta(ctx context.Context, fs files, f snippetFile) (m snippetMeta, ok bool) {
	m = snippetMeta{name: f.name, size: f.size}
	if f.size > maxSnippetFile {
		m.description = fmt.Sprintf("(%s bytes, over the code-size limit: codemode.run cannot run it)", thousands(f.size))
		return m, true
	}
	text, err := fs.ReadFile(ctx, snippetDir+f.name+".ts")
	if err != nil {
		return m, false
	}
	m.description = cutDescription(parseSnippet(f.name, text).description)
	return m, true
}

// cutDescription bounds a description kept in the index.
func cutDescription(d string) string {
	if len(d) <= snippetDescMax {
		return d
	}
	cut := snippetDescMax
	for cut > 0 && d[cut]&0xC0 == 0x80 { // not inside a UTF-8 sequence
		cut--
	}
	return d[:cut] + "…"
}

// snippetWritten tells the index of a workspace call a script made, once
// it succeeded, when it may have written a snippet.
func (s *Server) snippetWritten(ctx context.Context, id string, args json.RawMessage) {
	e, ok := s.reg.Lookup(id)
	if !ok || e.Server != workspace.Namespace {
		return
	}
	var a struct{ Path, From, To string }
	switch e.Name {
	case "write_file", "append_file", "write_json", "move_file":
		if json.Unmarshal(args, &a) != nil {
			s.snips.markStale(tools.Subject(ctx), "")
			return
		}
	default:
		return // the others write no content, and the listing shows what they remove
	}
	for _, p := range []string{a.Path, a.From, a.To} {
		if p == "" {
			continue
		}
		if name, ok := snippetAt(p); ok && name != "" {
			s.snips.markStale(tools.Subject(ctx), name)
		} else if ok {
			s.snips.markStale(tools.Subject(ctx), "")
		}
	}
}

// snippetAt says whether p may name a snippet (or a directory holding
// them), and which one when it names exactly one. Cleaning only removes
// segments, so a path without "snippets" in it never becomes one under
// snippets/.
func snippetAt(p string) (name string, maybe bool) {
	if !strings.Contains(p, strings.TrimSuffix(snippetDir, "/")) {
		return "", strings.Trim(p, "/.") == "" // the root
	}
	clean := strings.TrimPrefix(path.Clean("/"+p), "/")
	if n, ok := strings.CutPrefix(clean, snippetDir); ok && strings.HasSuffix(n, ".ts") && snippetName.MatchString(strings.TrimSuffix(n, ".ts")) {
		return strings.TrimSuffix(n, ".ts"), true
	}
	return "", true
}
