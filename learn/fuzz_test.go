package learn

import (
	"encoding/json"
	"testing"

	"github.com/mcp-codemode/mcp-codemode/typegen"
)

// FuzzOf: whatever a result holds, learning never panics, learns from
// any valid JSON, stays within
// MaxNodes, and gives a valid JSON Schema that typegen declares.
func FuzzOf(f *testing.F) {
	for _, s := range []string{`{"a":[1,"x",null,{"b":true}]}`, `[[[[]]]]`, `{"__proto__":{"constructor":1}}`, `"text"`,
		`{"2024-01-01":{"x":1},"a b":2}`, `{"a":1,"a":"x"}`} {
		f.Add([]byte(s), []byte(`{"a":2}`))
	}
	f.Fuzz(func(t *testing.T, a, b []byte) {
		sa, erra := Of(a)
		sb, errb := Of(b)
		if erra != nil && json.Valid(a) {
			t.Fatalf("Of(%q): %v, of valid JSON", a, erra)
		}
		if erra != nil || errb != nil {
			return
		}
		s := Merge(sa, sb)
		if n := nodes(s, 1<<20); n > MaxNodes+1 {
			t.Fatalf("%d nodes", n)
		}
		schema := s.Schema()
		if schema != nil && !json.Valid(schema) {
			t.Fatalf("invalid schema %s", schema)
		}
		data, _ := json.Marshal(s)
		var back Shape
		if err := json.Unmarshal(data, &back); err != nil {
			t.Fatal(err)
		}
		_ = typegen.TypeOf(schema)
	})
}
