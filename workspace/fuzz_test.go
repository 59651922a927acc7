package workspace

import (
	"strings"
	"testing"
)

// FuzzCleanPath: a path the workspace accepts is a plain relative key:
// no leading "/", no empty, "." or ".." segment, no control character.
func FuzzCleanPath(f *testing.F) {
	for _, s := range []string{"a/b.txt", "/etc/passwd", "../x", "a/../../b", "./a//b/", "a\x00b", `..\..\x`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		c, err := cleanPath(p)
		if err != nil {
			return
		}
		if c == "" || strings.HasPrefix(c, "/") || strings.ContainsFunc(c, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			t.Fatalf("cleanPath(%q) = %q", p, c)
		}
		for _, seg := range strings.Split(c, "/") {
			if seg == "" || seg == "." || seg == ".." {
				t.Fatalf("cleanPath(%q) = %q has segment %q", p, c, seg)
			}
		}
	})
}

// FuzzGlob: any glob against any path answers without panicking.
func FuzzGlob(f *testing.F) {
	f.Add("**/*.md", "a/b/c.md")
	f.Add("[a-", "x")
	f.Fuzz(func(t *testing.T, glob, p string) {
		if m, err := globMatcher(glob); err == nil {
			m(p)
		}
	})
}
