package typegen

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// defaultMaxDescription is Options.MaxDescription's zero value meaning.
const defaultMaxDescription = 500

// cleanText turns arbitrary text into one line that is safe inside a block
// comment: invalid UTF-8 is replaced, whitespace runs (newlines included)
// collapse to one space, other control and format characters are dropped,
// the text is cut at max runes with "…", and "*/" can never close the
// comment early.
func cleanText(s string, max int) string {
	if isClean(s) && (max <= 0 || len(s) <= max) {
		return s // the common case, without allocating
	}
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		switch {
		case unicode.IsSpace(r) || r == '\u2028' || r == '\u2029':
			space = b.Len() > 0
			continue
		case unicode.IsControl(r) || unicode.Is(unicode.Cf, r):
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return escapeComment(truncate(b.String(), max))
}

// isClean reports whether cleanText would return s unchanged, when no cut is
// needed: printable ASCII, single inner spaces, no "*/".
func isClean(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == ' ' && (i == 0 || i == len(s)-1 || s[i+1] == ' '):
			return false
		case c == '/' && i > 0 && s[i-1] == '*':
			return false
		case c < ' ' || c > '~':
			return false
		}
	}
	return true
}

// truncate cuts s to at most max runes, ending it with "…" when cut. It
// prefers to cut at a word boundary when one is close.
func truncate(s string, max int) string {
	if max <= 0 || utf8.RuneCountInString(s) <= max {
		return s
	}
	cut, n := 0, 0
	for i := range s {
		if n == max-1 {
			cut = i
			break
		}
		n++
	}
	if sp := strings.LastIndexByte(s[:cut], ' '); sp > 0 && cut-sp < 20 && s[cut] != ' ' {
		cut = sp
	}
	return strings.TrimRight(s[:cut], " ") + "…"
}

// escapeComment makes "*/" harmless inside a block comment. cleanText calls it
// after cutting, so a cut can never split the escape.
func escapeComment(s string) string {
	return strings.ReplaceAll(s, "*/", "*\\/")
}

// jsdoc writes a one-line JSDoc comment for text at the given indent, or
// nothing when text is empty.
func jsdoc(b writer, text string, indent int) {
	if text == "" {
		return
	}
	writeIndent(b, indent)
	b.WriteString("/** ")
	b.WriteString(text)
	b.WriteString(" */\n")
}

// writer is what output is written to: a strings.Builder or bytes.Buffer.
type writer interface {
	WriteString(s string) (int, error)
	WriteByte(c byte) error
}

// writeIndent indents a line by one space per nesting level. Methods sit at
// the left margin of their namespace: every space of indentation costs the
// model a token on nearly every line.
func writeIndent(b writer, indent int) {
	for range indent {
		b.WriteByte(' ')
	}
}

// joinDoc joins non-empty comment parts with a space.
func joinDoc(parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, " ")
}

// propertyDoc is the JSDoc text of property name: its description, then
// terse hints about constraints the type cannot express, @default and
// @deprecated. Description and hints may come from what the property stands
// for when it is written inline (see chain); a property that refers to a
// named type does not repeat that type's description.
//
// No description is written twice in a namespace: a property with the name
// and description of one already shown goes without (github's owner and
// repo, in nearly every tool), and in a result type any description already
// shown is left out, since results mostly echo the entities the arguments
// described. The model reads the namespace top to bottom and has read those
// words once.
func (d *doc) propertyDoc(name string, p *value, requires string) string {
	chain := d.chain(p)
	desc, title := "", ""
	var tags []string
	for _, s := range chain {
		if desc == "" {
			desc = s.getString("description")
		}
		if title == "" {
			title = s.getString("title")
		}
		for _, c := range constraints(s) {
			if !slices.Contains(tags, c) {
				tags = append(tags, c)
			}
		}
	}
	if desc == "" && title != "" && !sameWords(title, name) {
		desc = title // a title that says more than the name stands in for a description
	}
	if t := d.namedTarget(chain[len(chain)-1]); t != nil && t.node.getString("description") == desc {
		desc = ""
	}
	if requires != "" {
		tags = append(tags, requires)
	}
	desc = d.unsaid(name, cleanText(desc, d.g.maxDesc))
	hint := ""
	if len(tags) > 0 {
		hint = "(" + strings.Join(tags, ", ") + ")"
	}
	if def := p.get("default"); def != nil {
		if text := jsonText(def); len(text) <= maxDefault {
			hint = joinDoc(hint, "@default "+text)
		}
	}
	if p.isTrue("deprecated") {
		hint = joinDoc(hint, "@deprecated")
	}
	return joinDoc(desc, cleanText(hint, 0))
}

// sameWords reports whether a title only restates a name, as Pydantic's
// "Per Page" does for per_page: equal letters and digits, ignoring case.
func sameWords(title, name string) bool {
	norm := func(s string) string {
		return strings.Map(func(r rune) rune {
			switch {
			case unicode.IsLetter(r) || unicode.IsDigit(r):
				return unicode.ToLower(r)
			}
			return -1
		}, s)
	}
	return norm(title) == norm(name)
}

// unsaid returns desc, or "" when the namespace has already shown it for a
// property of the same name, or at all when rendering a result type.
func (d *doc) unsaid(name, desc string) string {
	if desc == "" {
		return ""
	}
	named, any := said{name, desc}, said{anyName, desc}
	if d.g.said[named] || d.output && d.g.said[any] {
		return ""
	}
	d.g.said[named], d.g.said[any] = true, true
	return desc
}

// said is a description shown for a property name, or for any name.
type said struct{ name, desc string }

// anyName is no property's name: object keys are valid UTF-8.
const anyName = "\xff"

// maxDefault is the longest @default value shown; longer ones are left out.
const maxDefault = 60

// chain returns s followed by what it stands for when written inline: the
// target of a $ref that has no name, or the one non-null alternative of a
// nullable anyOf/oneOf, and so on.
func (d *doc) chain(s *value) []*value {
	out := []*value{s}
	for len(out) < 8 {
		next := nonNullAlternative(s)
		if ref, ok := refOf(s); ok {
			next = nil
			if t, _ := d.resolve(s, ref); t != nil && t.name == "" {
				next = t.node
			}
		}
		if next == nil || next.kind != kObject {
			break
		}
		out = append(out, next)
		s = next
	}
	return out
}

// namedTarget returns the target of s's $ref when it is a named type.
func (d *doc) namedTarget(s *value) *target {
	if ref, ok := refOf(s); ok {
		if t, _ := d.resolve(s, ref); t != nil && t.name != "" {
			return t
		}
	}
	return nil
}

// nonNullAlternative returns X of anyOf/oneOf [X, {type: null}], the way
// Pydantic writes Optional[X], or nil.
func nonNullAlternative(s *value) *value {
	for _, k := range [...]string{"anyOf", "oneOf"} {
		alts := s.get(k).elems()
		if len(alts) != 2 {
			continue
		}
		for i, a := range alts {
			if a.getString("type") == "null" {
				return alts[1-i]
			}
		}
	}
	return nil
}

// constraints returns terse hints for what a type cannot say: format,
// numeric range, string length, item count, pattern, uniqueness.
func constraints(s *value) []string {
	var out []string
	if f := s.getString("format"); f != "" {
		out = append(out, f)
	}
	if r := numRange(s); r != "" {
		out = append(out, r)
	}
	if r := bounds(s, "minLength", "maxLength"); r != "" {
		out = append(out, "length "+r)
	}
	if r := bounds(s, "minItems", "maxItems"); r != "" && s.get("prefixItems") == nil && s.get("items").elems() == nil {
		out = append(out, "items "+r)
	}
	if p := s.getString("pattern"); p != "" && len(p) <= maxPattern {
		out = append(out, "/"+p+"/")
	}
	if s.isTrue("uniqueItems") {
		out = append(out, "unique")
	}
	if m := s.get("multipleOf"); m != nil && m.kind == kNumber {
		out = append(out, "multiple of "+m.str)
	}
	if r := bounds(s, "minProperties", "maxProperties"); r != "" {
		out = append(out, "keys "+r)
	}
	if e := s.getString("contentEncoding"); e != "" {
		out = append(out, e)
	}
	return append(out, keyConstraints(s.get("propertyNames"))...)
}

// keyConstraints returns hints for what propertyNames says of an object's
// keys, other than listing them (see keyNames).
func keyConstraints(pn *value) []string {
	if pn == nil || pn.kind != kObject {
		return nil
	}
	var out []string
	for _, c := range constraints(pn) {
		out = append(out, "keys "+c)
	}
	return out
}

// maxPattern is the longest pattern shown; longer ones cost more tokens than
// they help.
const maxPattern = 60

// numRange renders minimum/maximum, with draft-04 boolean or 2019+ numeric
// exclusive bounds: "1..10", ">=0", "<100", ">0, <=1".
func numRange(s *value) string {
	lo, loEx := bound(s, "minimum", "exclusiveMinimum")
	hi, hiEx := bound(s, "maximum", "exclusiveMaximum")
	switch {
	case lo == "" && hi == "":
		return ""
	case lo != "" && hi != "" && !loEx && !hiEx:
		return lo + ".." + hi
	}
	var parts []string
	if lo != "" {
		parts = append(parts, relation(">", loEx)+lo)
	}
	if hi != "" {
		parts = append(parts, relation("<", hiEx)+hi)
	}
	return strings.Join(parts, ", ")
}

func relation(op string, exclusive bool) string {
	if exclusive {
		return op
	}
	return op + "="
}

// bound returns a numeric bound and whether it is exclusive.
func bound(s *value, incl, excl string) (string, bool) {
	var ex *value
	if excl != "" {
		ex = s.get(excl)
	}
	if ex != nil && ex.kind == kNumber && meaningful(ex.str) {
		return ex.str, true
	}
	if v := s.get(incl); v != nil && v.kind == kNumber && meaningful(v.str) {
		return v.str, ex != nil && ex.kind == kBool && ex.b
	}
	return "", false
}

// meaningful reports whether a bound says more than "a JavaScript number":
// Zod writes ±Number.MAX_SAFE_INTEGER for every .int().
func meaningful(num string) bool {
	f, err := strconv.ParseFloat(num, 64)
	return err == nil && math.Abs(f) < 1<<53-1
}

// bounds renders an inclusive count range: "1..5", ">=1", "<=5". A lower
// bound of 0 says nothing and is left out.
func bounds(s *value, lo, hi string) string {
	l, _ := bound(s, lo, "")
	h, _ := bound(s, hi, "")
	if l == "0" {
		l = ""
	}
	switch {
	case l != "" && h != "":
		return l + ".." + h
	case l != "":
		return ">=" + l
	case h != "":
		return "<=" + h
	}
	return ""
}
