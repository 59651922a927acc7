package learn

import (
	"fmt"
	"strings"
	"testing"
)

// issues is a result like a tracker's list: 30 issues of 20 fields, with a
// nested user and labels (about 20 KB).
func issues() []byte {
	var b strings.Builder
	b.WriteString("[")
	for i := range 30 {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"id":%d,"number":%d,"title":"issue %d","state":"open","locked":false,"comments":%d,`+
			`"created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-02T00:00:00Z","closed_at":null,"body":"text %d",`+
			`"html_url":"https://example.com/i/%d","url":"https://api.example.com/i/%d","node_id":"I_%d","author_association":"OWNER",`+
			`"user":{"login":"u%d","id":%d,"type":"User","site_admin":false},"labels":[{"id":1,"name":"bug","color":"f00"}],`+
			`"assignees":[],"milestone":null,"reactions":{"total_count":0,"+1":0,"-1":0}}`, i, i, i, i, i, i, i, i, i, i)
	}
	b.WriteString("]")
	return []byte(b.String())
}

// BenchmarkOf: what learning from one result costs, off the call's path.
func BenchmarkOf(b *testing.B) {
	data := issues()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Of(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMerge: merging a result's shape into what was learned.
func BenchmarkMerge(b *testing.B) {
	s, _ := Of(issues())
	acc := Merge(nil, s)
	for b.Loop() {
		acc = Merge(acc, s)
	}
}

// BenchmarkOfHuge: a 2 MB result costs no more than its first MaxValues
// values.
func BenchmarkOfHuge(b *testing.B) {
	one := issues()
	data := append([]byte("["), one[1:len(one)-1]...)
	for len(data) < 2<<20 {
		data = append(append(data, ','), one[1:len(one)-1]...)
	}
	data = append(data, ']')
	for b.Loop() {
		if _, err := Of(data); err != nil {
			b.Fatal(err)
		}
	}
}
