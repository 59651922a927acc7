package config

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// ParentEnv is set, to the pid of the mcp-codemode that started it, in the
// environment of every stdio upstream. An mcp-codemode that finds it set
// refuses to start (SelfSpawnRefusal): an entry that starts mcp-codemode
// through a wrapper (sh -c, npx, env) passes the static check below, and
// would otherwise start copies of itself without end.
const ParentEnv = "MCP_CODEMODE_PARENT"

// SelfSpawnRefusal starts the message an mcp-codemode started by another
// writes to stderr before it exits; the parent recognises it there and
// stops retrying the entry.
const SelfSpawnRefusal = "refusing to start: this mcp-codemode was started by mcp-codemode"

// selfName is the name of the binary and of its packages (npm, go install).
const selfName = "mcp-codemode"

// selfSpawn says why entry s would start mcp-codemode itself, or "": its
// command, or a word of its args, is this executable (found on PATH as the
// child would find it, or by path, relative to cwd) or is named
// mcp-codemode (a binary, an npm package such as @scope/mcp-codemode@1, a
// Go package path ending in /mcp-codemode). Directories are not commands:
// a server may well be given the mcp-codemode source tree to read.
func selfSpawn(s *Server) string {
	self := executable()
	words := []string{s.Command}
	for _, a := range s.Args {
		words = append(words, strings.Fields(a)...)
	}
	for i, w := range words {
		if why := isSelf(w, s.Cwd, self, i == 0); why != "" {
			return why
		}
	}
	return ""
}

func isSelf(word, cwd, self string, command bool) string {
	path := word
	switch {
	case word == "":
		return ""
	case strings.ContainsRune(word, '/') && !filepath.IsAbs(word) && cwd != "":
		path = filepath.Join(cwd, word)
	case !strings.ContainsRune(word, '/') && (command || word == filepath.Base(self)):
		if p, err := exec.LookPath(word); err == nil {
			path = p
		}
	}
	fi, err := os.Stat(path)
	switch {
	case err == nil && fi.IsDir():
		return ""
	case err == nil && self != "" && sameFile(fi, self):
		return "runs " + word + ", which is this mcp-codemode"
	case named(word):
		return "runs " + word + ", which is mcp-codemode"
	}
	return ""
}

// named says whether a word names mcp-codemode: its last path element,
// without an @version, is mcp-codemode.
func named(word string) bool {
	base := word
	if i := strings.LastIndexByte(base, '/'); i >= 0 {
		base = base[i+1:]
	}
	if i := strings.IndexByte(base, '@'); i > 0 {
		base = base[:i]
	}
	base = strings.TrimSuffix(base, ".exe")
	return base == selfName
}

func sameFile(fi os.FileInfo, self string) bool {
	sf, err := os.Stat(self)
	return err == nil && os.SameFile(fi, sf)
}

// executable is this program's path, "" when unknown.
func executable() string {
	p, err := os.Executable()
	if err != nil {
		return ""
	}
	if r, err := filepath.EvalSymlinks(p); err == nil {
		return r
	}
	return p
}
