package learn

import (
	"fmt"
	"strings"
	"testing"

	"github.com/mcp-codemode/mcp-codemode/typegen"
)

// learned is the TypeScript type learned from results.
func learned(t *testing.T, results ...string) string {
	t.Helper()
	var s *Shape
	for _, r := range results {
		one, err := Of([]byte(r))
		if err != nil {
			t.Fatalf("Of(%.80s): %v", r, err)
		}
		s = Merge(s, one)
	}
	if s.Empty() {
		return "unknown"
	}
	return typegen.TypeOf(s.Schema())
}

func expectLearned(t *testing.T, want string, results ...string) {
	t.Helper()
	if got := strings.Join(strings.Fields(learned(t, results...)), " "); got != want {
		t.Errorf("learned from %.200q:\n got %s\nwant %s", results, got, want)
	}
}

func TestLearn(t *testing.T) {
	expectLearned(t, "unknown")
	expectLearned(t, "string", `"hello"`)
	expectLearned(t, "number", `1`, `2.5`)
	expectLearned(t, "string | number | null", `1`, `"x"`, `null`)
	expectLearned(t, "{ id: number; name: string }", `{"id":1,"name":"a"}`)
	expectLearned(t, "{ id: number; name?: string; tags?: string[] }",
		`{"id":1,"name":"a"}`, `{"id":2,"tags":["x"]}`)
	expectLearned(t, "{ a: string | number }[]", `[{"a":1},{"a":"x"}]`)
	expectLearned(t, "unknown[]", `[]`)
	expectLearned(t, "string[]", `[]`, `["a"]`)
	expectLearned(t, "{ a?: number; b?: boolean }[]", `[{"a":1},{"b":true}]`)
	expectLearned(t, "string | { text: string }", `"plain"`, `{"text":"json"}`)
	expectLearned(t, "{ [k: string]: unknown }", `{}`)
}

func TestRecords(t *testing.T) {
	expectLearned(t, "{ [k: string]: { n: number } }", `{"1":{"n":1},"2":{"n":2}}`)
	expectLearned(t, "{ [k: string]: number }", `{"2024-01-02":1}`)
	expectLearned(t, "{ [k: string]: string }", `{"ann@example.com":"Ann"}`)
	expectLearned(t, "{ [k: string]: boolean }", `{"3f2504e0-4f89-11d3-9a0c-0305e82c3301":true}`)
	expectLearned(t, "{ users: { [k: string]: string | number } }", `{"users":{"/home/ann":1,"/home/bob":"x"}}`)
	// A record once is a record from then on.
	expectLearned(t, "{ [k: string]: number }", `{"a":1}`, `{"12345":2}`)
	many := map[string]int{}
	var b strings.Builder
	b.WriteString("{")
	for i := range MaxProps + 1 {
		many[fmt.Sprint(i)] = i
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `"k%c%c":1`, 'a'+i/26, 'a'+i%26)
	}
	b.WriteString("}")
	expectLearned(t, "{ [k: string]: number }", b.String())
}

func TestDataKey(t *testing.T) {
	for _, k := range []string{"123", "-1.5", "2024-05-01", "2024-05-01T10:00:00Z", "ann@example.com",
		"3F2504E0-4F89-11D3-9A0C-0305E82C3301", "/tmp/x", "https://example.com", "a b", "deadbeef00112233",
		"ghp_16C7e42F292c6912E7710c838347Ae178B4a", "sk-abcdefABCDEF0123456789", "issue_123456", strings.Repeat("x", 65), "a\nb"} {
		if !DataKey(k) {
			t.Errorf("DataKey(%q) = false, want true", k)
		}
	}
	for _, k := range []string{"id", "name", "created_at", "htmlUrl", "sha256", "x509Certificate", "address_line_2",
		"@id", "@context", "$ref", "__proto__", "", "content-type", "é", "node_id"} {
		if DataKey(k) {
			t.Errorf("DataKey(%q) = true, want false", k)
		}
	}
}

// A key that looks like a secret, and every value, stay out of the type.
func TestNoValues(t *testing.T) {
	secret := "ghp_16C7e42F292c6912E7710c838347Ae178B4a"
	got := learned(t, `{"tokens":{"`+secret+`":"sk-live-value-1234567890abcdef"},"user":"ann@example.com","n":42}`)
	for _, leak := range []string{secret, "sk-live", "ann@", "42"} {
		if strings.Contains(got, leak) {
			t.Errorf("learned type %q holds %q", got, leak)
		}
	}
	if want := "{ tokens: { [k: string]: string }; user: string; n: number }"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestOddKeys(t *testing.T) {
	expectLearned(t, `{ __proto__: number; "content-type": string; $ref: string; "": boolean; constructor: null; }`,
		`{"__proto__":1,"content-type":"x","$ref":"y","":true,"constructor":null}`)
	expectLearned(t, `{ a: number }`, `{"a":1,"a":2}`)      // a duplicate key counts once
	expectLearned(t, `{ [k: string]: number }`, `{"*/":1}`) // a key with a slash is data
}
