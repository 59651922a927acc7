package redact

import (
	"bytes"
	"slices"
)

// span is a half-open byte range [start, end).
type span struct{ start, end int }

// matcher finds every occurrence of a set of patterns (at least 2 bytes
// each) in one pass: a bit per possible first two bytes says whether any
// pattern starts so, and only then are the patterns of that first byte
// compared.
type matcher struct {
	pairs [256][4]uint64 // bit b of pairs[a] is set when a pattern starts with a, b
	first [256][][]byte  // patterns by first byte
	empty bool
}

func newMatcher(patterns [][]byte) *matcher {
	m := &matcher{empty: true}
	for _, p := range patterns {
		if len(p) < 2 || slices.ContainsFunc(m.first[p[0]], func(q []byte) bool { return bytes.Equal(p, q) }) {
			continue
		}
		m.pairs[p[0]][p[1]>>6] |= 1 << (p[1] & 63)
		m.first[p[0]] = append(m.first[p[0]], p)
		m.empty = false
	}
	return m
}

// find returns the spans of every occurrence, merged where they overlap,
// in order; nil when there is none.
func (m *matcher) find(text []byte) []span {
	if m.empty {
		return nil
	}
	var out []span
	for i := 0; i+1 < len(text); i++ {
		a, b := text[i], text[i+1]
		if m.pairs[a][b>>6]&(1<<(b&63)) == 0 {
			continue
		}
		for _, p := range m.first[a] {
			if bytes.HasPrefix(text[i:], p) {
				out = addSpan(out, span{i, i + len(p)})
			}
		}
	}
	return out
}

// addSpan appends s to spans sorted by start, merging it with the last
// one when they overlap.
func addSpan(spans []span, s span) []span {
	if n := len(spans); n > 0 && s.start < spans[n-1].end {
		spans[n-1].end = max(spans[n-1].end, s.end)
		return spans
	}
	return append(spans, s)
}

// merge combines two sorted span lists into one, merged.
func merge(a, b []span) []span {
	if len(b) == 0 {
		return a
	}
	all := append(slices.Clone(a), b...)
	slices.SortFunc(all, func(x, y span) int { return x.start - y.start })
	var out []span
	for _, s := range all {
		out = addSpan(out, s)
	}
	return out
}
