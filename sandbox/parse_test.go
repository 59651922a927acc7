package sandbox

import (
	"encoding/json"
	"math/rand/v2"
	"testing"

	"github.com/dop251/goja"
)

// TestUnquoteMatchesEncodingJSON: unquote decodes every JSON string as
// encoding/json does, escapes, surrogates (paired, lone, reversed) and
// invalid UTF-8 included, and random strings of those pieces.
func TestUnquoteMatchesEncodingJSON(t *testing.T) {
	pieces := []string{`a`, `é`, `😀`, `\"`, `\\`, `\/`, `\b`, `\f`, `\n`, `\r`, `\t`, `\u0000`, `\u001f`, `\u00E9`,
		`\u00e9`, `\u2028`, `\ud83d\ude00`, `\uD83D\uDE00`, `\ud800`, `\udc00`, `\udc00\ud800`, `\ud800\u0041`,
		`\ud800\ud800\udc00`, "\xff", "\xe2\x82", "\xed\xa0\x80", "\xf4\x90\x80\x80", ` `, `{`, `}`, `[`}
	texts := append([]string{``}, pieces...)
	rng := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		s := ""
		for range rng.IntN(12) {
			s += pieces[rng.IntN(len(pieces))]
		}
		texts = append(texts, s)
	}
	for _, body := range texts {
		lit := []byte(`"` + body + `"`)
		var want string
		if err := json.Unmarshal(lit, &want); err != nil {
			t.Fatalf("%q: %v", lit, err)
		}
		if got := unquote(lit[1 : len(lit)-1]); got != want {
			t.Errorf("%q: got %q, want %q", lit, got, want)
		}
	}
}

// BenchmarkUnquote decodes a 1 MB text of short lines.
func BenchmarkUnquote(b *testing.B) {
	var text []byte
	for len(text) < 1<<20 {
		text = append(text, `line of text with an \"escape\"\n`...)
	}
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		unquote(text)
	}
}

func BenchmarkUnquoteEncodingJSON(b *testing.B) {
	var text []byte
	for len(text) < 1<<20 {
		text = append(text, `line of text with an \"escape\"\n`...)
	}
	lit := append(append([]byte{'"'}, text...), '"')
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		var s string
		json.Unmarshal(lit, &s)
	}
}

// BenchmarkParseResult builds the value of a 1 MB array of small objects.
func BenchmarkParseResult(b *testing.B) {
	var text []byte
	text = append(text, '[')
	for i := 0; len(text) < 1<<20; i++ {
		if i > 0 {
			text = append(text, ',')
		}
		text = append(text, `{"id":1,"name":"item 1","done":true,"score":1.5,"tags":["a","b"]}`...)
	}
	text = append(text, ']')
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		rt := goja.New()
		h, err := loadHelpers(rt)
		if err != nil {
			b.Fatal(err)
		}
		x := &execution{rt: rt, helpers: h}
		if _, err := x.parseResult(text); err != nil {
			b.Fatal(err)
		}
	}
}
