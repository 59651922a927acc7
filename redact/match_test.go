package redact

import (
	"bytes"
	"math/rand"
	"slices"
	"testing"
)

// naiveFind is find by trying every pattern at every position.
func naiveFind(patterns [][]byte, text []byte) []span {
	var out []span
	for i := range text {
		for _, p := range patterns {
			if bytes.HasPrefix(text[i:], p) {
				out = addSpan(out, span{i, i + len(p)})
			}
		}
	}
	return out
}

// TestMatcherAgreesWithNaive: the sampling matcher finds what trying every
// position finds, over small alphabets where patterns overlap often.
func TestMatcherAgreesWithNaive(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	word := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = "abc"[rng.Intn(3)]
		}
		return b
	}
	for range 2000 {
		var patterns [][]byte
		for range 1 + rng.Intn(4) {
			patterns = append(patterns, word(2+rng.Intn(6)))
		}
		text := word(rng.Intn(200))
		got, want := newMatcher(patterns).find(text), naiveFind(patterns, text)
		if !slices.Equal(got, want) {
			t.Fatalf("patterns %q in %q: got %v, want %v", patterns, text, got, want)
		}
	}
}
