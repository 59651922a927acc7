package sandbox

import (
	"testing"

	"github.com/dop251/goja"
)

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
