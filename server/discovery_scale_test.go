package server

import (
	"fmt"
	"strings"
	"testing"

	"github.com/mcp-codemode/mcp-codemode/typegen"
)

// manyNamespaces are n namespaces of 1 to 40 tools whose names vary in
// length, digits and script, as the index sees them.
func manyNamespaces(n int) []typegen.Namespace {
	nss := make([]typegen.Namespace, n)
	for i := range nss {
		name := fmt.Sprintf("svc%d", i)
		switch i % 4 {
		case 1:
			name = fmt.Sprintf("billing_api_v%d", i)
		case 2:
			name = fmt.Sprintf("données_%d", i)
		case 3:
			name = strings.Repeat("x", 1+i%23)
		}
		ts := make([]typegen.Tool, 1+i%40)
		for j := range ts {
			ts[j] = typegen.Tool{Name: fmt.Sprintf("tool_%d", j)}
		}
		nss[i] = typegen.Namespace{Name: name, Description: "Service " + name + ".", Tools: ts}
	}
	return nss
}

// slowShown is what compactIndex did before shownFit: estimate the index
// of each count of namespaces in turn, from all of them down.
func slowShown(nss []typegen.Namespace, room int) int {
	for n := len(nss); n > 0; n-- {
		if estimateTokens(indexText(nss, 0, false, n)) <= room {
			return n
		}
	}
	return 0
}

// TestShownFit checks that summing the lines' estimates picks the same
// number of namespaces as estimating every candidate index, at every room
// from none to all of them, and that the sum is the estimate of the text.
func TestShownFit(t *testing.T) {
	nss := manyNamespaces(97)
	all := estimateTokens(indexText(nss, 0, false, len(nss)))
	for room := 0; room <= all+20; room += 7 {
		if got, want := shownFit(nss, room), slowShown(nss, room); got != want {
			t.Fatalf("room %d: shownFit shows %d namespaces, estimating each index shows %d", room, got, want)
		}
	}
	sum := estimateTokens(codemodeDecl)
	for _, ns := range nss {
		sum += estimateTokens(namespaceLines(ns, 0, false))
	}
	if sum != all {
		t.Errorf("the lines' estimates sum to %d, the index's estimate is %d", sum, all)
	}
}

// TestCompactIndexManyNamespaces checks the index of 1,500 namespaces in
// the default budget: as many as fit, then the count of the rest.
func TestCompactIndexManyNamespaces(t *testing.T) {
	nss := manyNamespaces(1500)
	idx := compactIndex(nss, "", "", defaultBudget)
	n := slowShown(nss, defaultBudget*estimateMargin/100)
	if want := indexText(nss, 0, false, n); idx != want {
		t.Fatalf("index of %d namespaces differs from the one estimating each count:\n%s", n, idx)
	}
	if !strings.Contains(idx, fmt.Sprintf("// … %d namespaces more, not shown", 1500-n)) {
		t.Errorf("the index does not count the %d namespaces left out:\n%s", 1500-n, idx)
	}
}

// BenchmarkDescribeIndex is the compact index of n namespaces, the
// description build's share that grew with their square.
func BenchmarkDescribeIndex(b *testing.B) {
	for _, n := range []int{500, 1000, 2000, 5000} {
		nss := manyNamespaces(n)
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for b.Loop() {
				compactIndex(nss, "", "", defaultBudget)
			}
		})
	}
}
