package typegen

import (
	"bytes"
	"crypto/sha256"
	"slices"
	"strings"
)

// Tools of one server often share definitions: a Pydantic model in the
// $defs of every tool that takes or returns it. Written inline, each tool
// would repeat it. So every $ref target gets a key that is equal only for
// targets with the same helper name and the same content, including
// everything they refer to; targets with equal keys share their state, which
// makes a definition used once in each of two tools count as used twice and
// be declared once.

// share merges the state of this document's targets with that of equal
// targets already seen in the namespace. The root is never shared: its
// helper name belongs to its tool.
func (d *doc) share() {
	for _, t := range d.order {
		key := d.closureKey(t)
		if s, ok := d.g.shared[key]; ok {
			s.uses += t.uses
			t.shared = s
		} else {
			d.g.shared[key] = t.shared
		}
	}
}

// closureKey hashes t's helper name, its schema and the schemas of every
// target it reaches through $refs, in a fixed order.
func (d *doc) closureKey(t *target) string {
	h := sha256.New()
	h.Write([]byte(t.base))
	h.Write([]byte{0})
	seen := make(map[*target]bool)
	var walk func(*target)
	walk = func(t *target) {
		if seen[t] {
			return
		}
		seen[t] = true
		d.resolveRefs(t)
		h.Write(t.hash)
		for _, r := range t.refs {
			walk(r)
		}
	}
	walk(t)
	return string(h.Sum(nil))
}

// resolveRefs fills in t's hash and the targets its schema refers to.
func (d *doc) resolveRefs(t *target) {
	if t.hash != nil {
		return
	}
	sum := sha256.Sum256([]byte(schemaText(t.node)))
	t.hash = sum[:]
	d.collectRefs(t.node, &t.refs, 0)
}

// collectRefs appends the targets of the $refs anywhere inside v.
func (d *doc) collectRefs(v *value, out *[]*target, depth int) {
	if v == nil || depth > maxDepth {
		return
	}
	if v.kind == kObject {
		if ref, ok := refOf(v); ok {
			if r, _ := d.resolve(v, ref); r != nil {
				*out = append(*out, r)
			}
		}
	}
	for _, c := range v.vals {
		d.collectRefs(c, out, depth+1)
	}
}

// schemaText is a schema's JSON text with the keywords of every schema in
// it sorted, so that equal schemas written in another keyword order share.
// The order of properties (and of patternProperties) is kept: it is the
// order the model reads them in.
func schemaText(v *value) string {
	var b bytes.Buffer
	writeSchema(&b, v, 0)
	return b.String()
}

func writeSchema(b *bytes.Buffer, v *value, depth int) {
	switch {
	case v.kind == kArray && depth <= maxDepth:
		b.WriteByte('[')
		for i, e := range v.vals {
			if i > 0 {
				b.WriteByte(',')
			}
			writeSchema(b, e, depth+1)
		}
		b.WriteByte(']')
		return
	case v.kind != kObject || depth > maxDepth:
		b.WriteString(jsonText(v))
		return
	}
	order := make([]int, len(v.keys))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(i, j int) int { return strings.Compare(v.keys[i], v.keys[j]) })
	b.WriteByte('{')
	for n, i := range order {
		if n > 0 {
			b.WriteByte(',')
		}
		k, c := v.keys[i], v.vals[i]
		b.WriteString(quote(k))
		b.WriteByte(':')
		switch {
		case isSchemaMap(k) && c.kind == kObject:
			writeMap(b, c, depth+1)
		case isSchemaKeyword(k):
			writeSchema(b, c, depth+1)
		default:
			b.WriteString(jsonText(c))
		}
	}
	b.WriteByte('}')
}

// writeMap writes an object whose members are schemas, in their order.
func writeMap(b *bytes.Buffer, m *value, depth int) {
	b.WriteByte('{')
	for i, k := range m.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(quote(k))
		b.WriteByte(':')
		writeSchema(b, m.vals[i], depth)
	}
	b.WriteByte('}')
}

// isSchemaMap reports whether keyword k holds named schemas.
func isSchemaMap(k string) bool {
	switch k {
	case "properties", "patternProperties", "$defs", "definitions", "dependentSchemas", "dependencies":
		return true
	}
	return false
}

// isSchemaKeyword reports whether keyword k holds a schema or a list of them.
func isSchemaKeyword(k string) bool {
	switch k {
	case "items", "prefixItems", "additionalItems", "additionalProperties", "unevaluatedProperties",
		"unevaluatedItems", "contains", "propertyNames", "not", "if", "then", "else", "allOf", "anyOf", "oneOf":
		return true
	}
	return false
}
