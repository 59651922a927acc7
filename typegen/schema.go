package typegen

import (
	"strings"
)

// prec is the binding strength of a rendered type, to know when it needs
// parentheses: (A | B)[] and (A | B) & C.
type prec uint8

const (
	precUnion prec = iota
	precIntersection
	precPrimary
)

// tsType is a rendered TypeScript type.
type tsType struct {
	text  string
	prec  prec
	top   bool // the type is unknown (possibly with a comment): absorbs unions, vanishes in intersections
	never bool
	loose bool // an object type without members: vanishes in intersections
}

var (
	tUnknown = tsType{text: "unknown", prec: precPrimary, top: true}
	tNever   = tsType{text: "never", prec: precPrimary, never: true}
)

func primary(text string) tsType { return tsType{text: text, prec: precPrimary} }

// unknownBecause is unknown with a short comment saying why.
func unknownBecause(why string) tsType {
	return tsType{text: "unknown /* " + cleanText(why, 80) + " */", prec: precPrimary, top: true}
}

// maxDepth bounds nesting, which only hostile schemas reach: recursion
// through $ref is cut by named types, so depth is the schema's own nesting.
const maxDepth = 48

// render converts one schema to a type. indent is the indentation level of the
// line the type starts on, used when an object type spans several lines.
func (d *doc) render(s *value, indent int) tsType {
	if s == nil {
		return tUnknown
	}
	switch s.kind {
	case kBool:
		if s.b {
			return tUnknown
		}
		return tNever
	case kObject:
	default:
		return unknownBecause("invalid schema")
	}
	if d.depth >= maxDepth {
		return unknownBecause("nested too deep")
	}
	d.depth++
	defer func() { d.depth-- }()
	if t, ok := d.shape(s); ok {
		return t
	}

	parts := make([]tsType, 0, 4)
	if ref, ok := refOf(s); ok {
		parts = append(parts, d.ref(ref, indent))
	}
	parts = append(parts, d.base(s, indent))
	for _, m := range s.get("allOf").elems() {
		parts = append(parts, d.render(m, indent))
	}
	for _, key := range [...]string{"anyOf", "oneOf"} {
		if alt := s.get(key); alt != nil && alt.kind == kArray {
			parts = append(parts, d.union(alt.vals, indent))
		}
	}
	return intersect(parts)
}

// elems returns the elements of an array value, or nil.
func (v *value) elems() []*value {
	if v == nil || v.kind != kArray {
		return nil
	}
	return v.vals
}

// union renders the alternatives of anyOf or oneOf.
func (d *doc) union(alts []*value, indent int) tsType {
	ts := make([]tsType, len(alts))
	for i, a := range alts {
		ts[i] = d.render(a, indent)
	}
	return union(ts)
}

// base renders what the schema says without $ref and combinators: const,
// enum, or its type (stated, or implied by keywords such as properties).
func (d *doc) base(s *value, indent int) tsType {
	if c := s.get("const"); c != nil {
		return literal(c)
	}
	if e := s.get("enum"); e != nil && e.kind == kArray {
		return literalUnion(e.vals)
	}
	var ts []tsType
	switch t := s.get("type"); {
	case t == nil:
		ts = append(ts, d.implied(s, indent))
	case t.kind == kString:
		ts = append(ts, d.typeNamed(s, t.str, indent))
	case t.kind == kArray:
		for _, n := range t.vals {
			if n.kind == kString {
				ts = append(ts, d.typeNamed(s, n.str, indent))
			}
		}
	}
	if len(ts) == 0 {
		return tUnknown
	}
	if s.isTrue("nullable") { // OpenAPI 3.0
		ts = append(ts, primary("null"))
	}
	return union(ts)
}

// implied renders a schema without "type" from the keywords it uses.
func (d *doc) implied(s *value, indent int) tsType {
	for _, k := range [...]string{"properties", "additionalProperties", "patternProperties", "required"} {
		if s.get(k) != nil {
			return d.object(s, indent)
		}
	}
	for _, k := range [...]string{"items", "prefixItems", "additionalItems"} {
		if s.get(k) != nil {
			return d.array(s, indent)
		}
	}
	return tUnknown
}

// typeNamed renders the schema restricted to one JSON type name.
func (d *doc) typeNamed(s *value, name string, indent int) tsType {
	switch name {
	case "string", "boolean", "null":
		return primary(name)
	case "number", "integer":
		return primary("number")
	case "object":
		return d.object(s, indent)
	case "array":
		return d.array(s, indent)
	}
	return tUnknown
}

// union joins alternatives: unknown absorbs everything, never vanishes, and
// duplicates are dropped. No alternatives at all is never.
func union(ts []tsType) tsType {
	var keep []tsType
	for _, t := range ts {
		if t.top {
			return t
		}
		if !t.never && !containsText(keep, t.text) {
			keep = append(keep, t)
		}
	}
	switch len(keep) {
	case 0:
		return tNever
	case 1:
		return keep[0]
	}
	parts := make([]string, len(keep))
	for i, t := range keep {
		parts[i] = t.text
	}
	return tsType{text: strings.Join(parts, " | "), prec: precUnion}
}

// intersect joins parts that must all hold: unknown and loose objects vanish
// (unless nothing else is left), never absorbs everything, duplicates drop.
// An object schema without properties next to allOf/anyOf/oneOf only says
// "an object"; even with additionalProperties: false, which strictly forbids
// every property the combinators declare, it is almost always meant as "no
// other properties", so it vanishes rather than turning every member into
// never.
func intersect(ts []tsType) tsType {
	var keep []tsType
	rest := tUnknown // what is left when all parts vanish
	for _, t := range ts {
		switch {
		case t.never:
			return t
		case t.top && t.text != tUnknown.text && !rest.loose:
			rest = t // keep the comment saying why
		case t.top:
		case t.loose:
			rest = t
		case !containsText(keep, t.text):
			keep = append(keep, t)
		}
	}
	switch len(keep) {
	case 0:
		return rest
	case 1:
		return keep[0]
	}
	parts := make([]string, len(keep))
	for i, t := range keep {
		parts[i] = paren(t, precIntersection)
	}
	return tsType{text: strings.Join(parts, " & "), prec: precIntersection}
}

// paren returns t's text, parenthesised when it binds looser than p.
func paren(t tsType, p prec) string {
	if t.prec < p {
		return "(" + t.text + ")"
	}
	return t.text
}

func containsText(ts []tsType, text string) bool {
	for _, t := range ts {
		if t.text == text {
			return true
		}
	}
	return false
}
