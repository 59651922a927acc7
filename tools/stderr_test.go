package tools

import (
	"strings"
	"testing"

	"github.com/mcp-codemode/mcp-codemode/internal/testenv"
)

func TestLineWriter(t *testing.T) {
	buf := &testenv.Buffer{}
	w := newLineWriter(&syncWriter{w: buf}, "srv", newRedactor([]string{"pa55word"}))
	for _, chunk := range []string{"one\ntw", "o\r\n", "\n", "token pa55word\nlast wo", "rds"} {
		if n, err := w.Write([]byte(chunk)); n != len(chunk) || err != nil {
			t.Fatalf("Write = %d, %v", n, err)
		}
	}
	if got := w.Last(); got != "token [redacted]" {
		t.Errorf("Last before Flush = %q", got)
	}
	w.Flush()
	want := "[srv] one\n[srv] two\n[srv] \n[srv] token [redacted]\n[srv] last words\n"
	if buf.String() != want {
		t.Errorf("forwarded %q, want %q", buf.String(), want)
	}
	if got := w.Last(); got != "last words" {
		t.Errorf("Last = %q", got)
	}
	long := strings.Repeat("x", maxLine+10)
	w.Write([]byte(long))
	if !strings.HasSuffix(buf.String(), "[srv] "+long+"\n") {
		t.Error("a line longer than maxLine was held back")
	}
	var none *lineWriter
	if none.Last() != "" {
		t.Error("nil Last")
	}
}
