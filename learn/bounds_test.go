package learn

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/mcp-codemode/mcp-codemode/typegen"
)

func TestDeep(t *testing.T) {
	deep := strings.Repeat(`{"a":`, 5000) + "1" + strings.Repeat("}", 5000)
	got := learned(t, deep)
	if want := strings.Repeat("{ a: ", MaxDepth) + "unknown" + strings.Repeat(" }", MaxDepth); strings.Join(strings.Fields(got), " ") != want {
		t.Errorf("got %s\nwant %s", got, want)
	}
	expectLearned(t, "unknown[][][][][][][][]", strings.Repeat("[", 100000)+strings.Repeat("]", 100000))
}

// A huge result is walked only up to MaxValues values, and learned from
// what was walked.
func TestHuge(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"items":[`)
	for i := range 200000 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":%d,"name":"n%d"}`, i, i)
	}
	b.WriteString(`],"total":200000}`)
	// total comes after the budget ran out: never seen.
	expectLearned(t, "{ items: { id: number; name: string }[] }", b.String())
	s, _ := Of([]byte(b.String()))
	if s.Props[0].Seen != 0 || s.Objects != 0 {
		t.Errorf("an object left part-way counted: %+v", s)
	}
}

// However wide and deep the results, the learned shape has at most
// MaxNodes nodes and its declaration stays small.
func TestWide(t *testing.T) {
	var s *Shape
	for r := range 20 {
		var b strings.Builder
		b.WriteString("{")
		for i := range 90 {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `"p%c%c":{"q%c%c":{"r%c":[{"s%c":1}]}}`, 'a'+r, 'a'+i%26, 'a'+i/26, 'a'+i%26, 'a'+i%26, 'a'+r)
		}
		b.WriteString("}")
		one, err := Of([]byte(b.String()))
		if err != nil {
			t.Fatal(err)
		}
		s = Merge(s, one)
		if n := nodes(s, MaxDepth+1); n > MaxNodes {
			t.Fatalf("after %d results: %d nodes, over MaxNodes (%d)", r+1, n, MaxNodes)
		}
	}
	if ts := typegen.TypeOf(s.Schema()); len(ts) > 40<<10 {
		t.Errorf("type of %d bytes", len(ts))
	}
}

// The order of results changes no more than the order of properties.
func TestMergeOrder(t *testing.T) {
	results := []string{`{"a":1,"b":[1]}`, `{"a":"x","c":{"d":null}}`, `[1]`, `{"b":[],"c":{"e":true}}`}
	sorted := func(rs ...string) string {
		var s *Shape
		for _, r := range rs {
			one, _ := Of([]byte(r))
			s = Merge(s, one)
		}
		sortProps(s)
		return typegen.TypeOf(s.Schema())
	}
	one, reversed := sorted(results...), sorted(results[3], results[2], results[1], results[0])
	if want := "number[] | { a?: string | number; b?: number[]; c?: { d?: null; e?: boolean } }"; one != want {
		t.Errorf("got %s, want %s", one, want)
	}
	if one != reversed {
		t.Errorf("merge depends on order:\n%s\n%s", one, reversed)
	}
}

func TestInvalid(t *testing.T) {
	if _, err := Of([]byte(`{"a":`)); err == nil {
		t.Error("Of of invalid JSON gave no error")
	}
}

func sortProps(s *Shape) {
	if s == nil {
		return
	}
	slices.SortFunc(s.Props, func(a, b *Prop) int { return strings.Compare(a.Name, b.Name) })
	s.children(sortProps)
}
