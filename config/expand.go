package config

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// varRef matches ${NAME}. A bare $NAME is left alone: shells and commands in
// args use it, and Claude Desktop does not expand it either.
var varRef = regexp.MustCompile(`\$\{([^}]*)\}`)

// expander replaces ${VAR} references and remembers every value it produced,
// so that secrets can be scrubbed from anything the model sees.
type expander struct {
	lookup func(string) (string, bool)
	values map[string]bool
}

func (x *expander) expand(key, s string) (string, error) {
	var missing error
	out := varRef.ReplaceAllStringFunc(s, func(ref string) string {
		// VS Code writes ${env:NAME} for what Claude Desktop writes ${NAME}.
		name := strings.TrimPrefix(ref[2:len(ref)-1], "env:")
		v, ok := "", false
		if x.lookup != nil && validName(name) {
			v, ok = x.lookup(name)
		}
		if !ok && missing == nil {
			missing = x.missing(key, name)
		}
		x.remember(v)
		return v
	})
	return out, missing
}

func (x *expander) missing(key, name string) error {
	if strings.HasPrefix(name, "input:") {
		return &Error{Key: key, Msg: fmt.Sprintf("${%s} is a VS Code input, which mcp-codemode cannot prompt for; "+
			"use ${NAME} of an environment variable set before starting", name)}
	}
	if !validName(name) {
		return &Error{Key: key, Msg: fmt.Sprintf("${%s} is not a valid variable reference; use ${NAME} with letters, digits and _", name)}
	}
	return &Error{Key: key, Msg: fmt.Sprintf("environment variable %s is not set; export it before starting, or write the value in the file", name)}
}

func (x *expander) expandMap(key string, m map[string]string) (map[string]string, error) {
	if m == nil {
		return nil, nil
	}
	out := make(map[string]string, len(m))
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v, err := x.expand(key+"."+k, m[k])
		if err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, nil
}

// remember records an expanded value as a secret. Very short values are not
// scrubbed: replacing every "1" or "a" in results would destroy them.
func (x *expander) remember(v string) {
	if len(v) < 4 {
		return
	}
	if x.values == nil {
		x.values = map[string]bool{}
	}
	x.values[v] = true
}

func (x *expander) secrets() []string {
	out := make([]string, 0, len(x.values))
	for v := range x.values {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}

func validName(name string) bool {
	if name == "" {
		return false
	}
	for i, r := range name {
		switch {
		case r == '_', r >= 'A' && r <= 'Z', r >= 'a' && r <= 'z':
		case r >= '0' && r <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}
