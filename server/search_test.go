package server

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// TestFirstLine: a description is cut to its first line and 160 bytes, on
// a character's boundary: a character across byte 157 is left out whole.
func TestFirstLine(t *testing.T) {
	long := strings.Repeat("a", 156) + "é" + strings.Repeat("b", 10) // é is bytes 156 and 157
	tests := []struct{ in, want string }{
		{"  One line.\nAnother.", "One line."},
		{strings.Repeat("x", 160), strings.Repeat("x", 160)},
		{strings.Repeat("x", 161), strings.Repeat("x", 157) + "..."},
		{long, strings.Repeat("a", 156) + "..."},
		{strings.Repeat("a", 155) + "日本", strings.Repeat("a", 155) + "..."},
		{strings.Repeat("日", 60), strings.Repeat("日", 52) + "..."},
	}
	for _, tt := range tests {
		got := firstLine(tt.in)
		if got != tt.want || !utf8.ValidString(got) {
			t.Errorf("firstLine(%.20q…) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
