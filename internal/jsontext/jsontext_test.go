package jsontext

import (
	"encoding/json"
	"math/rand/v2"
	"testing"
)

// TestUnquoteMatchesEncodingJSON: Unquote and AppendUnquote decode every
// JSON string as encoding/json does, escapes, surrogates (paired, lone,
// reversed) and invalid UTF-8 included, and random strings of those
// pieces.
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
		if got := Unquote(lit[1 : len(lit)-1]); got != want {
			t.Errorf("Unquote(%q) = %q, want %q", lit, got, want)
		}
		if got := AppendUnquote([]byte("pre"), lit[1:len(lit)-1]); string(got) != "pre"+want {
			t.Errorf("AppendUnquote(%q) = %q, want %q", lit, got, "pre"+want)
		}
	}
}

func text1MB() []byte {
	var text []byte
	for len(text) < 1<<20 {
		text = append(text, `line of text with an \"escape\"\n`...)
	}
	return text
}

// BenchmarkUnquote decodes a 1 MB text of short lines.
func BenchmarkUnquote(b *testing.B) {
	text := text1MB()
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		Unquote(text)
	}
}

// BenchmarkUnquoteEncodingJSON is the same with encoding/json.
func BenchmarkUnquoteEncodingJSON(b *testing.B) {
	text := text1MB()
	lit := append(append([]byte{'"'}, text...), '"')
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		var s string
		json.Unmarshal(lit, &s)
	}
}
