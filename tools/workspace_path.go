package tools

import (
	"fmt"
	"path"
	"strings"
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
	if strings.ContainsFunc(p, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
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

// globMatcher returns a test of paths against a glob: "*", "?" and "[...]"
// within one path segment (as path.Match), "**" for any number of
// segments. An empty glob matches everything.
func globMatcher(glob string) (func(string) bool, error) {
	glob = strings.TrimPrefix(glob, "/")
	if glob == "" {
		return func(string) bool { return true }, nil
	}
	pat := strings.Split(glob, "/")
	for _, seg := range pat {
		if _, err := path.Match(seg, ""); err != nil {
			return nil, fmt.Errorf("glob %q is malformed: %v", glob, err)
		}
	}
	return func(p string) bool { return matchSegments(pat, strings.Split(p, "/")) }, nil
}

// matchSegments matches path segments against glob segments, remembering
// which (pattern, path) suffixes failed, so that many "**" stay linear in
// pattern × path rather than exponential.
func matchSegments(pat, segs []string) bool {
	failed := map[[2]int]bool{}
	var match func(i, j int) bool
	match = func(i, j int) bool {
		if failed[[2]int{i, j}] {
			return false
		}
		ok := matchAt(pat, segs, i, j, match)
		if !ok {
			failed[[2]int{i, j}] = true
		}
		return ok
	}
	return match(0, 0)
}

func matchAt(pat, segs []string, i, j int, match func(i, j int) bool) bool {
	switch {
	case i == len(pat):
		return j == len(segs)
	case pat[i] == "**":
		for k := j; k <= len(segs); k++ {
			if match(i+1, k) {
				return true
			}
		}
		return false
	case j == len(segs):
		return false
	}
	ok, _ := path.Match(pat[i], segs[j])
	return ok && match(i+1, j+1)
}
