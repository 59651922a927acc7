package workspace

import (
	"fmt"
	"path"
	"strings"
	"unicode/utf8"
)

// The bounds of a path, as common file systems have them: a path is a key
// the workspace stores (and counts against the quota), so its length is
// bounded before anything else is done with it.
const (
	maxPathBytes    = 1024 // a whole path, as given
	maxSegmentBytes = 255  // one name between slashes
	maxGlobSegments = 64   // names in a glob: matching costs globs × path names
)

// cleanPath normalises a virtual path: "/a//b/./c" is "a/b/c". An empty
// path, a directory ("/", "a/..") and one that climbs out with ".." are
// refused. The result is only ever a key in the workspace's database.
func cleanPath(p string) (string, error) {
	c, err := cleanDir(p)
	switch {
	case err != nil:
		return "", err
	case strings.TrimSpace(p) == "":
		return "", fmt.Errorf("path is empty; name a file such as \"notes.txt\"")
	case c == "" || strings.HasSuffix(p, "/"):
		return "", fmt.Errorf("path %q names a directory; name a file such as \"notes/todo.md\"", p)
	}
	return c, nil
}

// cleanDir normalises a virtual path that may name a directory, the root
// being "".
func cleanDir(p string) (string, error) {
	if err := checkLength("path", p); err != nil {
		return "", err
	}
	if hasControl(p) {
		return "", fmt.Errorf("path %q contains a control character", p)
	}
	var parts []string
	for _, seg := range strings.Split(p, "/") {
		switch seg {
		case "", ".":
		case "..":
			if len(parts) == 0 {
				return "", fmt.Errorf("path %q leaves the workspace: \"..\" cannot climb above its root", p)
			}
			parts = parts[:len(parts)-1]
		default:
			parts = append(parts, seg)
		}
	}
	return strings.Join(parts, "/"), nil
}

// hasControl reports whether s holds a control character, which no path
// may hold.
func hasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f })
}

// checkLength fails when s, a path or a glob, is longer than a path may
// be or has a longer name than a path may have. The message quotes only
// the start of s.
func checkLength(what, s string) error {
	if len(s) > maxPathBytes {
		return fmt.Errorf("%s %s is %d bytes long; a path may have at most %d bytes (and %d in one name between slashes)",
			what, quoteStart(s), len(s), maxPathBytes, maxSegmentBytes)
	}
	for seg := range strings.SplitSeq(s, "/") {
		if len(seg) > maxSegmentBytes {
			return fmt.Errorf("%s %s has a name of %d bytes; a name between slashes may have at most %d bytes (and a path %d)",
				what, quoteStart(s), len(seg), maxSegmentBytes, maxPathBytes)
		}
	}
	return nil
}

// quoteStart quotes s, or its first 60 bytes and "…" when it is longer:
// an error must not echo a long path back whole.
func quoteStart(s string) string {
	if len(s) <= 60 {
		return fmt.Sprintf("%q", s)
	}
	cut := 60
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%q…", s[:cut])
}

// globMatcher returns a test of paths against a glob: "*", "?" and "[...]"
// within one path segment (as path.Match), "**" for any number of
// segments. An empty glob matches everything.
func globMatcher(glob string) (func(string) bool, error) {
	glob = strings.TrimPrefix(glob, "/")
	if glob == "" {
		return func(string) bool { return true }, nil
	}
	if err := checkLength("glob", glob); err != nil {
		return nil, err
	}
	pat := collapse(strings.Split(glob, "/"))
	if len(pat) > maxGlobSegments {
		return nil, fmt.Errorf("glob %s has %d names; a glob may have at most %d", quoteStart(glob), len(pat), maxGlobSegments)
	}
	for _, seg := range pat {
		if _, err := path.Match(seg, ""); err != nil {
			return nil, fmt.Errorf("glob %q is malformed: %v", glob, err)
		}
	}
	return func(p string) bool { return matchSegments(pat, strings.Split(p, "/")) }, nil
}

// collapse drops a "**" that follows another: both match the same paths.
func collapse(pat []string) []string {
	out := pat[:0:0]
	for i, seg := range pat {
		if seg != "**" || i == 0 || pat[i-1] != "**" {
			out = append(out, seg)
		}
	}
	return out
}

// matchSegments matches path segments against glob segments, remembering
// which (pattern, path) suffixes failed, so that it takes at most
// pattern × path steps however many "**" there are.
func matchSegments(pat, segs []string) bool {
	failed := make([]bool, (len(pat)+1)*(len(segs)+1))
	var match func(i, j int) bool
	match = func(i, j int) bool {
		k := i*(len(segs)+1) + j
		if failed[k] {
			return false
		}
		ok := matchAt(pat, segs, i, j, match)
		failed[k] = !ok
		return ok
	}
	return match(0, 0)
}

// matchAt matches from glob segment i and path segment j: "**" matches
// nothing more, or one more segment and stays.
func matchAt(pat, segs []string, i, j int, match func(i, j int) bool) bool {
	switch {
	case i == len(pat):
		return j == len(segs)
	case pat[i] == "**":
		return match(i+1, j) || j < len(segs) && match(i, j+1)
	case j == len(segs):
		return false
	}
	ok, _ := path.Match(pat[i], segs[j])
	return ok && match(i+1, j+1)
}

// globPrefix is what every path a glob matches starts with: its leading
// names without a wildcard, each followed by "/".
func globPrefix(glob string) string {
	var b strings.Builder
	segs := strings.Split(strings.TrimPrefix(glob, "/"), "/")
	for _, seg := range segs[:len(segs)-1] {
		if strings.ContainsAny(seg, `*?[\`) {
			break
		}
		b.WriteString(seg + "/")
	}
	return b.String()
}
