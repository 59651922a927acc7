package typegen

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
		parts = append(parts, d.ref(s, ref, indent))
	}
	base := d.base(s, indent)
	parts = append(parts, base)
	for _, m := range s.get("allOf").elems() {
		parts = append(parts, d.render(m, indent))
	}
	for _, key := range [...]string{"anyOf", "oneOf"} {
		if alt := s.get(key); alt != nil && alt.kind == kArray {
			parts = append(parts, d.union(alt.vals, indent))
		}
	}
	if s.get("if") != nil {
		parts = append(parts, d.conditional(s, indent))
	}
	if n := s.get("not"); n != nil {
		parts = append(parts, not(n))
	}
	if base.types&^jObject == 0 {
		parts = append(parts, d.dependentSchemas(s, indent)...)
	}
	if len(parts) == 1 {
		return base
	}
	return intersect(parts)
}

// conditional renders if/then/else as what every valid value satisfies:
// (If & Then) | Else, or If | Else without then. TypeScript cannot say "not
// If", so this admits a little more than the schema; with then alone
// nothing can be said (a value failing If may be anything).
func (d *doc) conditional(s *value, indent int) tsType {
	cond, then, els := s.get("if"), s.get("then"), s.get("else")
	if cond == nil || els == nil {
		return tUnknown
	}
	ifT := d.render(cond, indent)
	if then != nil {
		ifT = intersect([]tsType{ifT, d.render(then, indent)})
	}
	return union([]tsType{ifT, d.render(els, indent)})
}

// not renders what TypeScript can say of "not": that nothing matches
// (not: {} or true), or that a value is none of some JSON types
// (not: {type: "null"} is {}). Anything else it cannot express, and the
// schema's other keywords stand alone.
func not(n *value) tsType {
	switch {
	case n == nil:
		return tUnknown
	case n.kind == kBool:
		if n.b {
			return tNever
		}
		return tUnknown
	case n.kind != kObject:
		return tUnknown
	}
	onlyType := true
	for _, k := range n.keys {
		onlyType = onlyType && (k == "type" || isAnnotation(k) || isNoise(k))
	}
	switch {
	case !onlyType:
		return tUnknown
	case n.get("type") == nil:
		return tNever // an empty schema matches everything
	}
	types, integer := declaredTypes(n)
	if integer {
		types &^= jNumber // a number that is not an integer is still allowed
	}
	return ofTypes(jAny &^ types)
}

// dependentSchemas renders dependentSchemas (and the schema form of draft-07
// dependencies): when property name is present, its schema applies too:
// { name?: undefined } | Schema.
func (d *doc) dependentSchemas(s *value, indent int) []tsType {
	var out []tsType
	for _, k := range [...]string{"dependentSchemas", "dependencies"} {
		deps := s.get(k)
		if deps == nil || deps.kind != kObject {
			continue
		}
		for i, name := range deps.keys {
			if deps.vals[i].kind == kArray { // dependentRequired, in object.go
				continue
			}
			absent := typed("{ "+propertyName(name)+"?: undefined }", jObject)
			out = append(out, union([]tsType{absent, d.render(deps.vals[i], indent)}))
		}
	}
	return out
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
// enum (less the values its type excludes), or its type (stated, or implied
// by keywords such as properties).
func (d *doc) base(s *value, indent int) tsType {
	types, integer := declaredTypes(s)
	if c := s.get("const"); c != nil {
		return literalUnion([]*value{c}, types, integer)
	}
	if e := s.get("enum"); e != nil && e.kind == kArray {
		return literalUnion(e.vals, types, integer)
	}
	var ts []tsType
	switch t := s.get("type"); {
	case t == nil:
		ts = append(ts, d.implied(s, indent))
	case t.kind == kString:
		ts = append(ts, d.typeNamed(s, t.str, indent))
	case t.kind == kArray && len(t.vals) == 0:
		return tNever // no type at all admits no value
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
		ts = append(ts, bare("null", jNull))
	}
	return union(ts)
}

// declaredTypes returns the JSON types s's type keyword (and OpenAPI's
// nullable) admits, and whether its only numbers are integers. Without a
// type keyword, or with a name it does not know, every type is admitted.
func declaredTypes(s *value) (types jsonTypes, integer bool) {
	t := s.get("type")
	names := []*value{t}
	switch {
	case t == nil:
		return jAny, false
	case t.kind == kArray:
		names = t.vals
	}
	number := false
	for _, n := range names {
		tt := typeNames[n.str]
		if n.kind != kString || tt == 0 {
			return jAny, false
		}
		types |= tt
		integer = integer || n.str == "integer"
		number = number || n.str == "number"
	}
	if s.isTrue("nullable") {
		types |= jNull
	}
	return types, integer && !number
}

var typeNames = map[string]jsonTypes{
	"null": jNull, "boolean": jBoolean, "number": jNumber, "integer": jNumber,
	"string": jString, "array": jArray, "object": jObject,
}

// implied renders a schema without "type" from the keywords it uses. Such
// keywords constrain only values of their type (properties say nothing of a
// string), which intersect knows: see its implied parts.
func (d *doc) implied(s *value, indent int) tsType {
	for _, k := range [...]string{"properties", "additionalProperties", "patternProperties", "required", "propertyNames"} {
		if s.get(k) != nil {
			t := d.object(s, indent)
			t.implied = true
			return t
		}
	}
	for _, k := range [...]string{"items", "prefixItems", "additionalItems"} {
		if s.get(k) != nil {
			t := d.array(s, indent)
			t.implied = true
			return t
		}
	}
	return tUnknown
}

// typeNamed renders the schema restricted to one JSON type name.
func (d *doc) typeNamed(s *value, name string, indent int) tsType {
	switch name {
	case "string", "boolean", "null":
		return bare(name, typeNames[name])
	case "number", "integer":
		return bare("number", jNumber)
	case "object":
		return d.object(s, indent)
	case "array":
		return d.array(s, indent)
	}
	return tUnknown
}
