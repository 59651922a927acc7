package openapi

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

var notIdent = regexp.MustCompile(`[^A-Za-z0-9_]+`)

// toolName is the operationId with every run of other characters than
// letters, digits and _ made one _ ("issues/create" → "issues_create"),
// else the method and path ("get_repos_owner_repo").
func toolName(op *Operation) string {
	s := op.OperationID
	if s == "" {
		s = strings.ToLower(op.Method) + " " + op.Path
	}
	s = strings.Trim(notIdent.ReplaceAllString(s, "_"), "_")
	if s == "" {
		return strings.ToLower(op.Method)
	}
	return s
}

// names refuses two operations with one operationId (the document is
// wrong, and calls would be ambiguous) and numbers names that sanitize
// alike: the second "a-b" after "a_b" is "a_b_2".
func (w *walker) names(ops []*Operation, paths loc) error {
	ids := map[string]*Operation{}
	names := map[string]bool{}
	for _, op := range ops {
		if first := ids[op.OperationID]; op.OperationID != "" && first != nil {
			at := paths.at(op.Path, strings.ToLower(op.Method), "operationId")
			return w.r.errorf(at, nil, "operationId %q is also the operationId of %s; operationIds must be unique: "+
				"rename one in the document, or leave one out with the entry's \"operations\" (e.g. %q)",
				op.OperationID, first.Label(), "!"+op.Label())
		}
		ids[op.OperationID] = op
		base := op.Name
		for i := 2; names[op.Name]; i++ {
			op.Name = base + "_" + strconv.Itoa(i)
		}
		names[op.Name] = true
	}
	return nil
}

// filter keeps the operations the entry's "operations" patterns match:
// "GET /repos/**" (a method, or *, and a path where * is one segment and
// ** any number), or "issues_*" (a tool name or operationId). A pattern
// starting with ! leaves matching operations out.
type filter struct {
	keep, drop []pattern
}

type pattern struct {
	method string // "" for a name pattern; "*" for any method
	re     *regexp.Regexp
}

func compileFilter(list []string) (*filter, error) {
	f := &filter{}
	for i, s := range list {
		s = strings.TrimSpace(s)
		neg := strings.HasPrefix(s, "!")
		s = strings.TrimSpace(strings.TrimPrefix(s, "!"))
		method, path, isPath := strings.Cut(s, " ")
		var p pattern
		switch {
		case s == "":
			return nil, fmt.Errorf(`"operations"[%d] is empty; write "GET /repos/**" or "issues_*"`, i)
		case isPath:
			p = pattern{method: strings.ToUpper(method), re: glob(strings.TrimSpace(path), true)}
		default:
			p = pattern{re: glob(s, false)}
		}
		if neg {
			f.drop = append(f.drop, p)
		} else {
			f.keep = append(f.keep, p)
		}
	}
	return f, nil
}

// glob compiles a pattern: in a path * stops at /, ** does not.
func glob(s string, path bool) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("^")
	for i := 0; i < len(s); i++ {
		switch {
		case strings.HasPrefix(s[i:], "**"):
			b.WriteString(".*")
			i++
		case s[i] == '*' && path:
			b.WriteString("[^/]*")
		case s[i] == '*':
			b.WriteString(".*")
		default:
			b.WriteString(regexp.QuoteMeta(s[i : i+1]))
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

func (p pattern) match(op *Operation) bool {
	if p.method == "" {
		return p.re.MatchString(op.Name) || op.OperationID != "" && p.re.MatchString(op.OperationID)
	}
	return (p.method == "*" || p.method == op.Method) && p.re.MatchString(op.Path)
}

func (f *filter) match(op *Operation) bool {
	for _, p := range f.drop {
		if p.match(op) {
			return false
		}
	}
	if len(f.keep) == 0 {
		return true
	}
	for _, p := range f.keep {
		if p.match(op) {
			return true
		}
	}
	return false
}
