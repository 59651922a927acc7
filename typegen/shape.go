package typegen

import "strings"

// Servers repeat object shapes without $refs: server-memory's entity is
// written out in full in the arguments of one tool and the results of four.
// Written inline each time, its descriptions and members would cost the model
// tokens on every use. So before rendering, every inline object schema of a
// namespace is hashed by what its rendering depends on, and equal shapes
// share one target, exactly like the targets of $refs (see ref.go): a shape
// used twice is repeated when short and named when long, e.g.
//
//	type memory_Entity = { ... };
//
// The name comes from the shape's title, else from where it was first met:
// the property it is the value of, or, for array items, that property's name
// in the singular (entities → Entity).

// shapeHash is an FNV-1a hash.
type shapeHash uint64

const (
	fnvOffset shapeHash = 14695981039346656037
	fnvPrime  shapeHash = 1099511628211
)

func (h shapeHash) byte(c byte) shapeHash { return (h ^ shapeHash(c)) * fnvPrime }

func (h shapeHash) string(s string) shapeHash {
	for i := 0; i < len(s); i++ {
		h = h.byte(s[i])
	}
	return h.byte(0)
}

func (h shapeHash) mix(o shapeHash) shapeHash {
	for i := 0; i < 64; i += 8 {
		h = h.byte(byte(o >> i))
	}
	return h
}

// isNoise reports whether keyword k never changes what a schema renders as.
// (Switches: these run for every keyword of every schema, and beat maps.)
func isNoise(k string) bool {
	switch k {
	case "$schema", "$comment", "examples", "$id", "id", "readOnly", "writeOnly", "$defs", "definitions":
		return true
	}
	return false
}

// isAnnotation reports whether keyword k is what a property's JSDoc shows
// about its own schema: two uses of a shape may say different things about
// it, and each keeps its own.
func isAnnotation(k string) bool {
	switch k {
	case "description", "title", "default", "deprecated":
		return true
	}
	return false
}

// isRefKeyword reports whether k is a reference keyword.
func isRefKeyword(k string) bool {
	return k == "$ref" || k == "$recursiveRef" || k == "$dynamicRef"
}

// countShapes walks a document through the keywords render follows, not
// through $refs, hashing every inline object schema and counting, per hash,
// the schemas of the namespace that render alike. A schema with a $ref
// inside is never a shape: what it renders as depends on its document.
func (d *doc) countShapes(v *value, hint string, root bool, depth int) (shapeHash, bool) {
	if v == nil || depth > maxDepth {
		return fnvOffset, true
	}
	if v.kind != kObject {
		return d.hashLeaf(v, hint, depth), true
	}
	// Keywords are summed, so that their order does not matter.
	var all, top shapeHash
	pure := true
	for i, k := range v.keys {
		c := v.vals[i]
		if isNoise(k) || ignorableClosed(v, k, c) {
			continue
		}
		if isRefKeyword(k) {
			pure = false
		}
		ch, cpure := d.countChild(k, c, hint, depth)
		pure = pure && cpure
		kh := fnvOffset.string(k).mix(ch)
		all += kh
		if !isAnnotation(k) {
			top += kh
		}
	}
	if pure && !root && isShape(v) {
		d.g.addShape(v, fnvOffset.byte(byte(kObject)).mix(top), shapeName(v, hint))
	}
	return fnvOffset.byte(byte(kObject)).mix(all), pure
}

// countChild hashes the value of keyword k, giving the schemas inside it
// the name hint their shapes would be named after.
func (d *doc) countChild(k string, c *value, hint string, depth int) (shapeHash, bool) {
	switch {
	case (k == "properties" || k == "patternProperties") && c.kind == kObject:
		h, pure := fnvOffset.byte(byte(kObject)), true
		for i, name := range c.keys {
			if k == "patternProperties" {
				name = hint + "_value"
			}
			ch, cpure := d.countShapes(c.vals[i], name, false, depth+1)
			h, pure = h.string(c.keys[i]).mix(ch), pure && cpure
		}
		return h, pure
	case k == "items" || k == "prefixItems" || k == "additionalItems":
		return d.countSchemas(c, singular(hint), depth)
	case k == "additionalProperties":
		return d.countSchemas(c, hint+"_value", depth)
	case isSubschemaKeyword(k):
		return d.countSchemas(c, hint, depth)
	}
	return d.hashLeaf(c, hint, depth), true
}

// isSubschemaKeyword reports whether k holds a schema or a list of them that
// render follows without renaming it.
func isSubschemaKeyword(k string) bool {
	switch k {
	case "allOf", "anyOf", "oneOf", "not", "if", "then", "else", "propertyNames":
		return true
	}
	return false
}

// countSchemas hashes a schema or an array of schemas.
func (d *doc) countSchemas(c *value, hint string, depth int) (shapeHash, bool) {
	if c.kind != kArray {
		return d.countShapes(c, hint, false, depth+1)
	}
	h, pure := fnvOffset.byte(byte(kArray)), true
	for _, e := range c.vals {
		eh, epure := d.countShapes(e, hint, false, depth+1)
		h, pure = h.mix(eh), pure && epure
	}
	return h, pure
}

// hashLeaf hashes a value that is not a schema (an enum or const value, a
// default, a format), so nothing inside it counts as a shape.
func (d *doc) hashLeaf(v *value, hint string, depth int) shapeHash {
	return hashValue(v)
}

// hashValue hashes a JSON value.
func hashValue(v *value) shapeHash {
	h := fnvOffset.byte(byte(v.kind))
	switch v.kind {
	case kBool:
		if v.b {
			h = h.byte(1)
		}
	case kNumber, kString:
		h = h.string(v.str)
	}
	for i, c := range v.vals {
		if v.kind == kObject {
			h = h.string(v.keys[i])
		}
		h = h.mix(hashValue(c))
	}
	return h
}

// ignorableClosed reports whether keyword k of object schema v is a boolean
// additionalProperties (or unevaluatedProperties) that cannot change its
// rendering: object types are open in TypeScript either way, so it only
// matters for an object without members or with patternProperties.
func ignorableClosed(v *value, k string, c *value) bool {
	if (k != "additionalProperties" && k != "unevaluatedProperties") || c.kind != kBool {
		return false
	}
	return v.get("patternProperties") == nil && (isShape(v) || len(v.get("required").elems()) > 0)
}

// isShape reports whether v is an object schema with properties, the kind
// of schema worth naming when repeated.
func isShape(v *value) bool {
	props := v.get("properties")
	return props != nil && props.kind == kObject && len(props.keys) > 0
}

// shapeName returns the helper name base of a shape: its title, else hint.
func shapeName(v *value, hint string) string {
	if t := v.getString("title"); t != "" {
		hint = t
	}
	id := Identifier(hint)
	if id[0] >= 'a' && id[0] <= 'z' {
		id = string(id[0]-'a'+'A') + id[1:]
	}
	return id
}

// singular guesses the singular of an English plural, for naming array
// items: entities → entity, addresses → address, files → file. Anything else
// gets "_item".
func singular(s string) string {
	switch {
	case strings.HasSuffix(s, "ies") && len(s) > 3:
		return s[:len(s)-3] + "y"
	case strings.HasSuffix(s, "sses"), strings.HasSuffix(s, "xes"), strings.HasSuffix(s, "ches"), strings.HasSuffix(s, "shes"):
		return s[:len(s)-2]
	case strings.HasSuffix(s, "s") && !strings.HasSuffix(s, "ss") && !strings.HasSuffix(s, "us") && len(s) > 1:
		return s[:len(s)-1]
	}
	return s + "_item"
}

// addShape records one use of the shape of v.
func (g *gen) addShape(v *value, h shapeHash, name string) {
	t := g.shapes[h]
	if t == nil {
		t = &target{node: v, base: g.prefix + name, shape: true, shared: &shared{}}
		g.shapes[h] = t
	}
	t.uses++
	g.shapeOf[v] = t
}

// shape renders s as a use of its shared shape, when it has one used more
// than once; ok is false otherwise.
func (d *doc) shape(s *value) (tsType, bool) {
	t := d.g.shapeOf[s]
	if t == nil || t.uses < 2 || t.inProgress {
		return tsType{}, false
	}
	switch {
	case t.name != "":
		return primary(t.name), true
	case t.memo != nil:
		return *t.memo, true
	}
	return d.reused(t), true
}
