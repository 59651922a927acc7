package sandbox

import (
	"testing"
	"time"
)

// megabyteArray is the text of a 1 MB array of small objects.
func megabyteArray() []byte {
	var text []byte
	text = append(text, '[')
	for i := 0; len(text) < 1<<20; i++ {
		if i > 0 {
			text = append(text, ',')
		}
		text = append(text, `{"id":1,"name":"item 1","done":true,"score":1.5,"tags":["a","b"]}`...)
	}
	return append(text, ']')
}

// BenchmarkSerializeResult writes the JSON of a 1 MB array of small
// objects as a script's result.
func BenchmarkSerializeResult(b *testing.B) {
	text := megabyteArray()
	x, err := prepare(Options{}.withDefaults(), time.Minute)
	if err != nil {
		b.Fatal(err)
	}
	v, err := x.parseResult(text)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		if _, err := x.serializeResult(v); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseResult builds the value of a 1 MB array of small objects.
func BenchmarkParseResult(b *testing.B) {
	text := megabyteArray()
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		x := helperExecution(b)
		if _, err := x.parseResult(text); err != nil {
			b.Fatal(err)
		}
	}
}
