package sandbox

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode"
)

// Hints make a runtime error something a weak model can act on (issue 16):
// goja says which property it could not read or call, not of what, so the
// hint reads the expression from the model's own code at the error's
// position and names it; and a name that is not there is answered with the
// names that are.

// maxListed bounds the names a hint lists.
const maxListed = 20

var (
	cannotRead   = regexp.MustCompile(`^Cannot (?:read|set) property '([^']*)' of (?:undefined|null)$`)
	notDefinedAt = regexp.MustCompile(`^[^ ]+ is not defined($|; did you mean)`) // suggest may have added the nearest
)

// hint adds to e what the model needs to fix its code: the expression that
// was undefined, the namespaces that exist (after suggest's nearest name).
func (x *execution) hint(e *Error) {
	switch {
	case e.Name == NameType && cannotRead.MatchString(e.Message):
		if r := x.script.receiver(e.Line, e.Column, cannotRead.FindStringSubmatch(e.Message)[1]); r != "" {
			e.Message += ": " + r + " is undefined or null"
		}
	case e.Name == NameReference && notDefinedAt.MatchString(e.Message):
		if ns := x.namespaces(); len(ns) > 0 {
			e.Message += sentence(e.Message, "the namespaces are "+listed(ns, "codemode.search(query) finds tools"))
		}
	}
}

// hintTools answers a call of a namespace's unknown tool with the nearest
// of its tools and the list of them; it reports whether it did: whether
// the error is of that kind, with a namespace as the receiver.
func (x *execution) hintTools(e *Error) bool {
	if e.Name != NameType || !noMember.MatchString(e.Message) {
		return false
	}
	m := noMember.FindStringSubmatch(e.Message)
	ns := x.script.receiver(e.Line, e.Column, m[1])
	var methods []string
	for _, b := range x.opts.Bindings {
		if b.Object == ns {
			methods = append(methods, b.Method)
		}
	}
	if len(methods) == 0 {
		return false
	}
	slices.Sort(methods)
	msg := "Object has no member '" + m[1] + "'"
	if near := Closest(m[1], methods, 3); len(near) > 0 {
		msg += "; did you mean " + ns + "." + strings.Join(near, ", "+ns+".") + "?"
	}
	e.Message = msg + sentence(msg, "the tools of "+ns+" are "+listed(methods, `codemode.describe("`+ns+`") lists them`))
	return true
}

// sentence joins more to msg: after "; " or, when msg ends a question, as
// a sentence of its own.
func sentence(msg, more string) string {
	if strings.HasSuffix(msg, "?") {
		r := []rune(more)
		return " " + string(unicode.ToUpper(r[0])) + string(r[1:])
	}
	return "; " + more
}

// listed joins names, at most maxListed of them, saying how many more.
func listed(names []string, more string) string {
	if len(names) <= maxListed {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more (%s)", strings.Join(names[:maxListed], ", "), len(names)-maxListed, more)
}

// namespaces are the globals the bindings make, sorted.
func (x *execution) namespaces() []string {
	var out []string
	for _, b := range x.opts.Bindings {
		if !slices.Contains(out, b.Object) {
			out = append(out, b.Object)
		}
	}
	slices.Sort(out)
	return out
}

// receiver is the expression whose property prop is read at line and
// column (1-based, in characters) of the model's code: "g.relations" for
// "g.relations.length" at "length", or for "g.relations[0]" at "[" or, as
// esbuild's source map places it, at "relations". It is "" unless the code
// there reads prop of a plain chain of names, calls and indexes of at most
// 80 characters.
func (s *script) receiver(line, col int, prop string) string {
	if line <= 0 || col <= 0 {
		return ""
	}
	text := []rune(sourceLine(s.source, line))
	i := col - 1
	if i >= len(text) {
		return ""
	}
	end := -1
	switch {
	case text[i] == '[':
		end = i
	case isIdent(text[i]):
		j := i
		for j < len(text) && isIdent(text[j]) {
			j++
		}
		switch {
		case string(text[i:j]) != prop && j < len(text) && text[j] == '[':
			end = j // the source map points at the indexed expression's last name
		case string(text[i:j]) != prop:
		case i >= 2 && text[i-1] == '.' && text[i-2] == '?':
			end = i - 2
		case i >= 1 && text[i-1] == '.':
			end = i - 1
		}
	}
	if end < 0 {
		return ""
	}
	start := chainStart(text, end)
	if start < 0 || end-start > 80 || start == end {
		return ""
	}
	switch r := string(text[start:end]); r {
	case "null", "undefined", "this":
		return "" // says nothing the message does not
	default:
		return r
	}
}

func isIdent(c rune) bool { return c == '_' || c == '$' || unicode.IsLetter(c) || unicode.IsDigit(c) }

// chainStart scans back from end over a member chain (names, ".", "?.",
// and balanced (...) and [...] groups) and returns where it starts, or -1.
func chainStart(text []rune, end int) int {
	i := end
	for i > 0 {
		c := text[i-1]
		switch {
		case c == ')' || c == ']':
			j := matchBack(text, i-1)
			if j < 0 {
				return -1
			}
			i = j
		case c == '.' || c == '?' && i < len(text) && text[i] == '.':
			i--
		case isIdent(c):
			i--
		default:
			return i
		}
	}
	return i
}

// matchBack returns the index of the bracket opening the one at close, or -1.
func matchBack(text []rune, close int) int {
	depth := 0
	for i := close; i >= 0; i-- {
		switch text[i] {
		case ')', ']':
			depth++
		case '(', '[':
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}
