package tools

import (
	"context"
	"encoding/json"
	"slices"

	"github.com/mcp-codemode/mcp-codemode/typegen"
)

// Learned result types (README; package learn): a tool that declares no
// outputSchema is declared with the type of the results it returned, kept
// by subject and by definition hash (a changed definition starts over).
// Results are learned from after they are redacted, off the call's path:
// Call only queues them.

// observe queues a tool's redacted result to learn its type from.
func (r *Registry) observe(ctx context.Context, b *binding, out json.RawMessage) {
	if r.learn == nil || len(b.rec.OutputSchema) > 0 {
		return
	}
	r.learn.Observe(Subject(ctx), b.entry.ID, b.rec.hash, out)
}

// LearnedVersion changes whenever a result type learned for subject does.
func (r *Registry) LearnedVersion(subject string) uint64 { return r.learn.Version(subject) }

// OnLearned registers f, called with the subject whose learned result types
// changed.
func (r *Registry) OnLearned(f func(subject string)) { r.learn.OnChange(f) }

// NamespacesFor is [Registry.Namespaces] with the result types learned for
// subject in place of unknown. With stable, a type's count of results is
// the count when the type last changed, so that the text does not change
// with every call (the execute description); else the current count
// (search_tools, codemode.describe, types).
func (r *Registry) NamespacesFor(subject string, stable bool) []typegen.Namespace {
	snap := r.snap.Load()
	if r.learn == nil {
		return slices.Clone(snap.namespaces)
	}
	out := make([]typegen.Namespace, len(snap.namespaces))
	i := 0
	for n, ns := range snap.namespaces {
		out[n] = ns
		out[n].Tools = slices.Clone(ns.Tools)
		for t := range out[n].Tools {
			b := snap.byID[snap.entries[i].ID]
			i++
			r.withLearned(&out[n].Tools[t], subject, b, stable)
		}
	}
	return out
}

// withLearned sets t's result type to the one learned for subject, if any.
func (r *Registry) withLearned(t *typegen.Tool, subject string, b *binding, stable bool) {
	if len(b.rec.OutputSchema) > 0 {
		return
	}
	schema, n, at := r.learn.Learned(subject, b.entry.ID, b.rec.hash)
	if schema == nil {
		return
	}
	if stable {
		n = at
	}
	t.OutputSchema, t.Observed = schema, n
}
