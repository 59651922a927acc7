package redact

import (
	"bytes"
	"slices"
)

// span is a half-open byte range [start, end).
type span struct{ start, end int }

// matcher finds every occurrence of a set of patterns (at least 2 bytes
// each) in one pass, looking at one position in (shortest pattern - 1):
// every occurrence has, at exactly one such position, one of the 2-grams
// the patterns have in their first (shortest - 1) positions (a bit in
// grams). Only there are the positions it could start at checked: the bit
// of their first two bytes in pairs, then the patterns of their first byte.
type matcher struct {
	grams [256][4]uint64 // bit b of grams[a]: some pattern has a, b at an offset < shortest-1
	pairs [256][4]uint64 // bit b of pairs[a]: some pattern starts with a, b
	first [256][][]byte  // patterns by first byte
	short int            // length of the shortest pattern; 0 when there is none
}

func newMatcher(patterns [][]byte) *matcher {
	m := &matcher{}
	for _, p := range patterns {
		if len(p) < 2 || slices.ContainsFunc(m.first[p[0]], func(q []byte) bool { return bytes.Equal(p, q) }) {
			continue
		}
		setBit(&m.pairs, p[0], p[1])
		m.first[p[0]] = append(m.first[p[0]], p)
		if m.short == 0 || len(p) < m.short {
			m.short = len(p)
		}
	}
	for _, list := range m.first {
		for _, p := range list {
			for i := 0; i < m.short-1; i++ {
				setBit(&m.grams, p[i], p[i+1])
			}
		}
	}
	return m
}

func setBit(set *[256][4]uint64, a, b byte) { set[a][b>>6] |= 1 << (b & 63) }

func hasBit(set *[256][4]uint64, a, b byte) bool { return set[a][b>>6]&(1<<(b&63)) != 0 }

// find returns the spans of every occurrence, merged where they overlap,
// in order; nil when there is none.
func (m *matcher) find(text []byte) []span {
	if m.short == 0 || len(text) < m.short {
		return nil
	}
	var out []span
	stride := m.short - 1
	for k := 0; k+1 < len(text); k += stride {
		if !hasBit(&m.grams, text[k], text[k+1]) {
			continue
		}
		for i := max(0, k-stride+1); i <= k && i+1 < len(text); i++ {
			if hasBit(&m.pairs, text[i], text[i+1]) {
				out = m.at(text, i, out)
			}
		}
	}
	return out
}

// at adds the occurrences starting at text[i].
func (m *matcher) at(text []byte, i int, out []span) []span {
	for _, p := range m.first[text[i]] {
		if bytes.HasPrefix(text[i:], p) {
			out = addSpan(out, span{i, i + len(p)})
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
