package typegen

import (
	"regexp"
	"slices"
	"strings"
)

// member is one line of an object type.
type member struct {
	name       string // already quoted when needed; "[k: string]" for the index signature
	optional   bool
	undeclared bool // required but not among the properties
	typ        tsType
	doc        string
}

// maxInline is the longest object type written on one line.
const maxInline = 80

// object renders an object schema: its properties in schema order, then
// required names that have no property, then an index signature when extra
// keys are typed (additionalProperties or patternProperties). An object
// whose only keys are listed by propertyNames' enum is a mapped type.
func (d *doc) object(s *value, indent int) tsType {
	d.guard++
	defer func() { d.guard-- }()
	members, declared := d.properties(s, indent+1)
	extra, hasExtra := d.extraKeys(s, indent+1)
	if keys, ok := d.keyNames(s); ok && len(members) == 0 {
		if !hasExtra {
			extra = tUnknown
		}
		return typed("{ [k in "+keys.text+"]?: "+extra.text+" }", jObject)
	}
	if hasExtra {
		for i := range members {
			if members[i].undeclared {
				members[i].typ = extra // a required name must match the extra keys' schema
			}
		}
		members = append(members, member{name: "[k: string]", typ: indexSignature(extra, declared, hasOptional(s))})
	}
	if len(members) == 0 {
		if closed(s) {
			return bare("{ [k: string]: never }", jObject) // bare: see intersect
		}
		return bare("{ [k: string]: unknown }", jObject)
	}
	return typed(formatObject(members, indent), jObject)
}

// keyNames returns the union of the names propertyNames allows, when it
// lists them (enum or const of strings).
func (d *doc) keyNames(s *value) (tsType, bool) {
	pn := s.get("propertyNames")
	if pn == nil || pn.kind != kObject || pn.get("enum") == nil && pn.get("const") == nil {
		return tsType{}, false
	}
	t := d.base(pn, 0)
	if t.types != jString {
		return tsType{}, false
	}
	return t, true
}

// properties renders the declared and required members of s, and returns
// the declared properties' types too. A duplicate key keeps its first
// position and its last value, as JSON.parse does.
func (d *doc) properties(s *value, indent int) (members []member, types []tsType) {
	required := requiredNames(s)
	isRequired, seen := lookup(required), newSeen()
	if props := s.get("properties"); props != nil && props.kind == kObject {
		members = make([]member, 0, len(props.keys)+len(required))
		types = make([]tsType, 0, len(props.keys))
		for i, name := range props.keys {
			if seen(name) {
				continue
			}
			p := props.vals[i]
			if len(props.keys) > 1 {
				p = props.get(name)
			}
			t := d.render(p, indent)
			members = append(members, member{
				name:     propertyName(name),
				optional: !isRequired(name),
				typ:      t,
				doc:      d.propertyDoc(name, p, requiresWith(s, name)),
			})
			types = append(types, t)
		}
	}
	for _, r := range required {
		if !seen(r) {
			members = append(members, member{name: propertyName(r), undeclared: true, typ: tUnknown})
		}
	}
	return members, types
}

// requiresWith returns the hint for the properties that dependentRequired
// (or the array form of draft-07 dependencies) requires along with name:
// "(requires b, c)". TypeScript could say it only with a union of every
// combination, so it is a hint.
func requiresWith(s *value, name string) string {
	var names []string
	for _, k := range [...]string{"dependentRequired", "dependencies"} {
		for _, r := range s.get(k).get(name).elems() {
			if r.kind == kString && !slices.Contains(names, r.str) {
				names = append(names, r.str)
			}
		}
	}
	if len(names) == 0 {
		return ""
	}
	return "requires " + strings.Join(names, ", ")
}

// requiredNames returns the names listed in s's required keyword.
func requiredNames(s *value) []string {
	var names []string
	for _, r := range s.get("required").elems() {
		if r.kind == kString {
			names = append(names, r.str)
		}
	}
	return names
}

// lookup returns a membership test for names: a scan for the few names
// schemas have, a map for the many a hostile one may have.
func lookup(names []string) func(string) bool {
	if len(names) <= 16 {
		return func(s string) bool { return slices.Contains(names, s) }
	}
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return func(s string) bool { return m[s] }
}

// newSeen returns a test that reports whether a name was passed to it before.
func newSeen() func(string) bool {
	var few []string
	var many map[string]bool
	return func(s string) bool {
		switch {
		case many != nil:
			if many[s] {
				return true
			}
			many[s] = true
		case slices.Contains(few, s):
			return true
		case len(few) < 16:
			few = append(few, s)
		default:
			many = make(map[string]bool)
			for _, n := range few {
				many[n] = true
			}
			many[s] = true
		}
		return false
	}
}

// closed reports whether s forbids keys beyond its properties.
func closed(s *value) bool {
	for _, k := range [...]string{"additionalProperties", "unevaluatedProperties"} {
		if v := s.get(k); v != nil && v.kind == kBool && !v.b {
			return true
		}
	}
	return false
}

// extraKeys returns the type of keys beyond the declared properties, when
// the schema types them: additionalProperties as a schema, or
// patternProperties. Absent or true additionalProperties alone add nothing:
// object types are open in TypeScript anyway, and an index signature would
// only cost tokens. With patternProperties they do add unknown, since keys
// matching no pattern may hold anything.
func (d *doc) extraKeys(s *value, indent int) (tsType, bool) {
	var ts []tsType
	everyKey := false // a pattern matches every key: no key is left to additionalProperties
	if pp := s.get("patternProperties"); pp != nil && pp.kind == kObject {
		for i, p := range pp.vals {
			ts = append(ts, d.render(p, indent))
			everyKey = everyKey || matchesEveryKey(pp.keys[i])
		}
	}
	ap := s.get("additionalProperties")
	if ap == nil && !combines(s) {
		ap = s.get("unevaluatedProperties") // alone, it means additionalProperties
	}
	switch {
	case everyKey:
	case ap != nil && ap.kind == kObject:
		ts = append(ts, d.render(ap, indent))
	case len(ts) > 0 && (ap == nil || ap.kind == kBool && ap.b):
		ts = append(ts, tUnknown)
	}
	return union(ts), len(ts) > 0
}

// matchesEveryKey reports whether a patternProperties pattern matches every
// property name: ".*", or one open at an end that can match nothing at all
// ("[a-z]*", "^x?"), the usual ways to type a map's values. ".+" leaves out
// only the empty name, which no one means to allow.
func matchesEveryKey(pattern string) bool {
	body, start := strings.CutPrefix(pattern, "^")
	body, end := strings.CutSuffix(body, "$")
	switch body {
	case ".*", ".+", `[\s\S]*`, `[\s\S]+`:
		return true
	}
	if start && end {
		return false
	}
	re, err := regexp.Compile(`^(?:` + body + `)$`)
	return err == nil && re.MatchString("")
}

// combines reports whether s has keywords that declare properties beyond
// its own: with those, unevaluatedProperties is not additionalProperties.
func combines(s *value) bool {
	for _, k := range [...]string{"allOf", "anyOf", "oneOf", "$ref", "$dynamicRef", "$recursiveRef", "if", "dependentSchemas"} {
		if s.get(k) != nil {
			return true
		}
	}
	return false
}

// indexSignature returns the type of the index signature. tsc requires it to
// admit every declared property's type, and undefined when one is optional.
func indexSignature(extra tsType, declared []tsType, optional bool) tsType {
	t := union(append([]tsType{extra}, declared...))
	if optional && !t.top {
		t = union([]tsType{t, primary("undefined")})
	}
	return t
}

// hasOptional reports whether some declared property of s is optional.
func hasOptional(s *value) bool {
	props := s.get("properties")
	if props == nil || props.kind != kObject {
		return false
	}
	isRequired := lookup(requiredNames(s))
	for _, k := range props.keys {
		if !isRequired(k) {
			return true
		}
	}
	return false
}

// formatObject writes members on one line when short and undocumented,
// else one per line with JSDoc above each documented member.
func formatObject(members []member, indent int) string {
	if line, ok := oneLine(members); ok {
		return line
	}
	var b strings.Builder
	b.WriteString("{\n")
	for _, m := range members {
		jsdoc(&b, m.doc, indent+1)
		writeIndent(&b, indent+1)
		writeMember(&b, m)
		b.WriteString(";\n")
	}
	writeIndent(&b, indent)
	b.WriteString("}")
	return b.String()
}

func oneLine(members []member) (string, bool) {
	var b strings.Builder
	b.WriteString("{ ")
	for i, m := range members {
		if m.doc != "" || strings.Contains(m.typ.text, "\n") {
			return "", false
		}
		if i > 0 {
			b.WriteString("; ")
		}
		writeMember(&b, m)
		if b.Len() > maxInline {
			return "", false
		}
	}
	b.WriteString(" }")
	return b.String(), true
}

func writeMember(b writer, m member) {
	b.WriteString(m.name)
	if m.optional {
		b.WriteByte('?')
	}
	b.WriteString(": ")
	b.WriteString(m.typ.text)
}
