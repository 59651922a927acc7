package modules

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
)

// rewrite replaces each import declaration with a const declaration of
// the same number of lines, the first one preceded by the bundle.
func rewrite(code string, decls []decl, bundle string) (string, error) {
	var b strings.Builder
	last := 0
	for i, d := range decls {
		stmt, err := binding(d)
		if err != nil {
			return "", &Error{Line: d.line, Message: err.Error()}
		}
		b.WriteString(code[last:d.start])
		if i == 0 {
			b.WriteString(bundle)
			if !strings.HasSuffix(bundle, ";") {
				b.WriteByte(';')
			}
		}
		b.WriteString(stmt)
		b.WriteString(strings.Repeat("\n", strings.Count(code[d.start:d.end], "\n")))
		last = d.end
	}
	b.WriteString(code[last:])
	return b.String(), nil
}

var (
	identifier = `[\p{L}\p{Nl}$_][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}$_]*`
	defaultRe  = lazyRe(`^(` + identifier + `)\s*(?:,\s*(.*))?$`)
	namespace  = lazyRe(`^\*\s*as\s+(` + identifier + `)$`)
	named      = regexp.MustCompile(`^\{([^{}]*)\}$`)
	specifier  = lazyRe(`^(?:type\s+)?(` + identifier + `)(?:\s+as\s+(` + identifier + `))?$`)
)

// binding is the JavaScript that binds what an import declaration imports,
// on one line.
func binding(d decl) (string, error) {
	m := GlobalName + "." + d.module
	clause := strings.Join(strings.Fields(d.clause), " ")
	switch {
	case clause == "":
		return m + ";", nil
	case strings.HasPrefix(clause, "type ") || clause == "type":
		return ";", nil // types only: nothing at run time
	}
	var parts []string
	if dm := defaultRe().FindStringSubmatch(clause); dm != nil {
		parts = append(parts, "const "+dm[1]+" = "+m+".default;")
		clause = strings.TrimSpace(dm[2])
	}
	switch {
	case clause == "":
	case namespace().MatchString(clause):
		parts = append(parts, "const "+namespace().FindStringSubmatch(clause)[1]+" = "+m+";")
	case named.MatchString(clause):
		props, err := namedProps(named.FindStringSubmatch(clause)[1])
		if err != nil {
			return "", fmt.Errorf("import from %q: %v", d.spec, err)
		}
		if props != "" {
			parts = append(parts, "const { "+props+" } = "+m+";")
		}
	default:
		return "", fmt.Errorf("import from %q: cannot read %q; write import { a, b as c }, import d or import * as ns", d.spec, clause)
	}
	if len(parts) == 0 {
		return ";", nil
	}
	return strings.Join(parts, " "), nil
}

// namedProps turns "a, b as c, type T" into "a, b: c".
func namedProps(list string) (string, error) {
	var props []string
	for _, s := range strings.Split(list, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		m := specifier().FindStringSubmatch(s)
		switch {
		case m == nil:
			return "", fmt.Errorf("cannot read the specifier %q", s)
		case strings.HasPrefix(s, "type "):
		case m[2] == "":
			props = append(props, m[1])
		default:
			props = append(props, m[1]+": "+m[2])
		}
	}
	return strings.Join(props, ", "), nil
}

// lazyRe compiles expr on first use: compiling the Unicode classes of
// identifier allocates about 400 KB, and most code imports nothing.
func lazyRe(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}
