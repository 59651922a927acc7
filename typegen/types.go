package typegen

import "strings"

// prec is the binding strength of a rendered type, to know when it needs
// parentheses: (A | B)[] and (A | B) & C.
type prec uint8

const (
	precUnion prec = iota
	precIntersection
	precPrimary
)

// jsonTypes is a set of JSON types: the values a rendered type admits. It is
// what lets allOf/anyOf/oneOf say exactly what JSON Schema says: a part
// admitting no JSON type makes an intersection never, alternatives that the
// other parts exclude drop out of a union, and a part that only names a JSON
// type (`string`, `{ [k: string]: unknown }`) drops out when the other parts
// say at least as much.
type jsonTypes uint8

const (
	jNull jsonTypes = 1 << iota
	jBoolean
	jNumber
	jString
	jArray
	jObject
	jAny = jNull | jBoolean | jNumber | jString | jArray | jObject
)

// tsType is a rendered TypeScript type.
type tsType struct {
	text  string
	prec  prec
	types jsonTypes // what it admits; 0 only for never
	alts  []tsType  // the alternatives of a union, else nil
	top   bool      // unknown (possibly with a comment): absorbs unions, vanishes in intersections
	bare  bool      // says nothing beyond types: drops out of intersections that imply it
	// implied: an object or array type read from keywords without "type",
	// which say nothing of values of other types: drops out of an
	// intersection whose other parts admit none of its types.
	implied bool
}

var (
	tUnknown = tsType{text: "unknown", prec: precPrimary, types: jAny, top: true}
	tNever   = tsType{text: "never", prec: precPrimary}
)

// primary is a type that binds tightly, of JSON types yet unknown.
func primary(text string) tsType { return tsType{text: text, prec: precPrimary, types: jAny} }

// typed is a type that binds tightly and admits the JSON types given.
func typed(text string, types jsonTypes) tsType {
	return tsType{text: text, prec: precPrimary, types: types}
}

// bare is the type of any value of the given JSON types.
func bare(text string, types jsonTypes) tsType {
	return tsType{text: text, prec: precPrimary, types: types, bare: true}
}

// unknownBecause is unknown with a short comment saying why.
func unknownBecause(why string) tsType {
	t := tUnknown
	t.text = "unknown /* " + cleanText(why, 80) + " */"
	return t
}

// ofTypes is the type of any value of the given JSON types.
func ofTypes(types jsonTypes) tsType {
	switch types {
	case jAny:
		return tUnknown
	case jAny &^ jNull:
		return bare("{}", types) // TypeScript's non-nullish type
	}
	var ts []tsType
	for _, b := range [...]tsType{
		bare("string", jString), bare("number", jNumber), bare("boolean", jBoolean), bare("null", jNull),
		bare("unknown[]", jArray), bare("{ [k: string]: unknown }", jObject),
	} {
		if types&b.types != 0 {
			ts = append(ts, b)
		}
	}
	return union(ts)
}

// alternatives returns the members of a union, or t itself.
func (t tsType) alternatives() []tsType {
	if t.alts != nil {
		return t.alts
	}
	return []tsType{t}
}

// union joins alternatives: unknown absorbs everything, never vanishes,
// nested unions flatten and duplicates are dropped. No alternatives at all
// is never.
func union(ts []tsType) tsType {
	if len(ts) == 1 && ts[0].types != 0 {
		return ts[0] // the common case, without allocating
	}
	var keep []tsType
	var types jsonTypes
	for _, t := range ts {
		if t.top {
			return t
		}
		for _, a := range t.alternatives() {
			if a.types != 0 && !containsText(keep, a.text) {
				keep = append(keep, a)
				types |= a.types
			}
		}
	}
	switch len(keep) {
	case 0:
		return tNever
	case 1:
		return keep[0]
	}
	parts := make([]string, len(keep))
	bareAll, impliedAll := true, true
	for i, t := range keep {
		parts[i] = t.text
		bareAll, impliedAll = bareAll && t.bare, impliedAll && t.implied
	}
	return tsType{text: strings.Join(parts, " | "), prec: precUnion, types: types, alts: keep, bare: bareAll, implied: impliedAll}
}

// intersect joins parts that must all hold. never absorbs everything, and so
// does a set of parts that no JSON type satisfies ({type: "string"} with
// allOf [{type: "number"}]). unknown vanishes; a union loses the
// alternatives the other parts exclude; a bare part vanishes when the others
// already imply it ({type: "object"} next to an allOf of objects).
//
// An object schema without properties that forbids every other one
// (additionalProperties: false) next to allOf/anyOf/oneOf is read as "no
// properties beyond those the combinators declare", which is almost always
// what its author meant; strictly it forbids them all. See object.
func intersect(ts []tsType) tsType {
	types := jAny
	rest := tUnknown // what is left when all parts vanish
	var keep []tsType
	for _, t := range ts {
		if !t.implied {
			types &= t.types
		}
	}
	for _, t := range ts {
		if t.implied && t.types&types == 0 {
			continue // {type: "string", allOf: [{properties: ...}]} is a string
		}
		types &= t.types
		switch {
		case t.top && t.text != tUnknown.text:
			rest = t // keep the comment saying why
		case !t.top:
			keep = append(keep, t)
		}
	}
	if types == 0 {
		return tNever
	}
	keep = dropImplied(dedupe(narrowUnions(keep, types)))
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
	return tsType{text: strings.Join(parts, " & "), prec: precIntersection, types: types}
}

// narrowUnions drops the alternatives of unions in ts that admit none of
// the JSON types all parts admit.
func narrowUnions(ts []tsType, types jsonTypes) []tsType {
	for i, t := range ts {
		if t.alts == nil || t.types&^types == 0 {
			continue
		}
		var fit []tsType
		for _, a := range t.alts {
			if a.types&types != 0 {
				fit = append(fit, a)
			}
		}
		ts[i] = union(fit)
	}
	return ts
}

// dropImplied drops bare parts that the other parts imply.
func dropImplied(ts []tsType) []tsType {
	for i := 0; i < len(ts) && len(ts) > 1; {
		others := jAny
		for j, o := range ts {
			if j != i {
				others &= o.types
			}
		}
		if ts[i].bare && others&^ts[i].types == 0 {
			ts = append(ts[:i], ts[i+1:]...)
			continue
		}
		i++
	}
	return ts
}

// dedupe drops types whose text came before.
func dedupe(ts []tsType) []tsType {
	keep := ts[:0]
	for _, t := range ts {
		if !containsText(keep, t.text) {
			keep = append(keep, t)
		}
	}
	return keep
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
