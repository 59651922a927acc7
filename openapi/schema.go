package openapi

// Schemas of the document become JSON Schema (2020-12) that typegen and
// the argument validator read. Each schema a $ref names becomes one entry
// of "$defs" (converted once per document), so a circular schema is a
// recursive $ref, never an endless inline copy; an operation's schema
// carries the $defs it reaches, and nothing else.
//
// OpenAPI 3.0 and Swagger 2.0 dialects are rewritten: nullable (and
// x-nullable) adds "null" to the type, boolean exclusiveMinimum and
// exclusiveMaximum take the bound's number, type "file" is a string.
// Keywords for people and tools other than a type checker (example, xml,
// discriminator, externalDocs, x-*) are dropped: they cost prompt tokens.

import (
	"bytes"
	"encoding/json"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	yaml "github.com/pb33f/go-yaml"
)

// maxDepth bounds how deep a schema (or a value in it) nests in the
// document: deeper is refused rather than recursed into.
const maxDepth = 200

// def is a schema a $ref names: one entry of an operation's $defs.
type def struct {
	name string
	json []byte
	refs []*def // the defs its schema names directly
}

// maxNodes bounds the nodes one document's schemas may expand to: YAML
// aliases can make a small document a huge tree (a "billion laughs").
const maxNodes = 2_000_000

// schemas converts the schemas of one document.
type schemas struct {
	nodes  int // expanded so far, against maxNodes
	r      *resolver
	legacy bool // OpenAPI 3.0 or Swagger 2.0: nullable and boolean bounds
	// output is set while a response is converted: a property that is
	// readOnly is required of responses only, a writeOnly one of requests
	// only, so a schema is converted once for each.
	output bool
	defs   map[string]*def // by direction, file path and pointer
	names  [2]map[string]bool
}

func newSchemas(r *resolver, legacy bool) *schemas {
	return &schemas{r: r, legacy: legacy, defs: map[string]*def{}, names: [2]map[string]bool{{}, {}}}
}

// direction indexes what differs between requests (0) and responses (1).
func (s *schemas) direction() int {
	if s.output {
		return 1
	}
	return 0
}

// convert writes the schema n (at at) as JSON Schema and records the defs
// it names in refs.
func (s *schemas) convert(n *yaml.Node, at loc, refs map[*def]bool) ([]byte, error) {
	var b bytes.Buffer
	if err := s.schema(&b, deref(n), at, refs, 0); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// document is a complete schema: root with the closure of the defs it
// names under $defs.
func (s *schemas) document(root []byte, refs map[*def]bool) json.RawMessage {
	all := closure(refs)
	if len(all) == 0 {
		return root
	}
	var b bytes.Buffer
	b.Write(root[:len(root)-1]) // an object: schema always writes one for a root that names a def
	if len(root) > 2 {
		b.WriteByte(',')
	}
	b.WriteString(`"$defs":{`)
	for i, d := range all {
		if i > 0 {
			b.WriteByte(',')
		}
		writeString(&b, d.name)
		b.WriteByte(':')
		b.Write(d.json)
	}
	b.WriteString("}}")
	return b.Bytes()
}

// closure is every def refs reach, sorted by name.
func closure(refs map[*def]bool) []*def {
	seen := map[*def]bool{}
	var stack, out []*def
	for d := range refs {
		stack = append(stack, d)
	}
	for len(stack) > 0 {
		d := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[d] {
			continue
		}
		seen[d] = true
		out = append(out, d)
		stack = append(stack, d.refs...)
	}
	slices.SortFunc(out, func(a, b *def) int { return strings.Compare(a.name, b.name) })
	return out
}

// ref returns the def of the schema ref names, converting it the first
// time.
func (s *schemas) ref(from loc, n *yaml.Node, ref string) (*def, error) {
	target, at, err := s.r.resolve(from, n, ref)
	if err != nil {
		return nil, err
	}
	key := at.file.path + "#" + at.ptr
	if at.file == s.r.main {
		key = "#" + at.ptr
	}
	key = strconv.Itoa(s.direction()) + key
	if d := s.defs[key]; d != nil {
		return d, nil
	}
	d := &def{name: s.name(at.ptr)}
	s.defs[key] = d
	refs := map[*def]bool{}
	if d.json, err = s.convert(target, at, refs); err != nil {
		return nil, err
	}
	for r := range refs {
		d.refs = append(d.refs, r)
	}
	return d, nil
}

var notName = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

// name is a unique $defs name for the schema at ptr: its last token
// ("Pet" for #/components/schemas/Pet).
func (s *schemas) name(ptr string) string {
	base := ptr[strings.LastIndexByte(ptr, '/')+1:]
	base = notName.ReplaceAllString(strings.ReplaceAll(strings.ReplaceAll(base, "~1", "/"), "~0", "~"), "_")
	if base == "" {
		base = "schema"
	}
	names := s.names[s.direction()]
	name := base
	for i := 2; names[name]; i++ {
		name = base + "_" + strconv.Itoa(i)
	}
	names[name] = true
	return name
}

// Keywords whose value is one schema, a list of schemas, or a map of them.
var (
	oneSchema = map[string]bool{"items": true, "not": true, "additionalProperties": true, "contains": true,
		"propertyNames": true, "if": true, "then": true, "else": true, "unevaluatedProperties": true,
		"unevaluatedItems": true, "additionalItems": true}
	listSchema = map[string]bool{"allOf": true, "anyOf": true, "oneOf": true, "prefixItems": true}
	mapSchema  = map[string]bool{"properties": true, "patternProperties": true, "dependentSchemas": true}
	dropped    = map[string]bool{"example": true, "examples": true, "xml": true, "externalDocs": true,
		"discriminator": true, "nullable": true, "x-nullable": true, "$schema": true, "$id": true, "id": true,
		"$anchor": true, "$comment": true, "$defs": true, "definitions": true, "$dynamicAnchor": true}
)

// schema writes one schema. A boolean schema stays one; anything else that
// is not an object is no constraint ({}).
func (s *schemas) schema(b *bytes.Buffer, n *yaml.Node, at loc, refs map[*def]bool, depth int) error {
	if depth > maxDepth {
		return s.r.errorf(at, n, "the schema nests more than %d levels deep; split it with $refs", maxDepth)
	}
	if s.nodes++; s.nodes > maxNodes {
		return s.r.errorf(at, n, "the schemas expand to more than %d values (YAML aliases?); write them with $refs instead", maxNodes)
	}
	switch {
	case n == nil:
		b.WriteString("{}")
		return nil
	case n.Kind == yaml.ScalarNode && n.Tag == "!!bool":
		b.WriteString(n.Value)
		return nil
	case n.Kind != yaml.MappingNode:
		b.WriteString("{}")
		return nil
	}
	nullable := s.legacy && (truth(get(n, "nullable")) || truth(get(n, "x-nullable")))
	if nullable && get(n, "type") == nil && get(n, "$ref") == nil {
		// No type to add "null" to (oneOf, allOf): null is the other choice.
		b.WriteString(`{"anyOf":[`)
		defer b.WriteString(`,{"type":"null"}]}`)
	}
	b.WriteByte('{')
	first := true
	var err error
	pairs(n, func(k string, v *yaml.Node) {
		if err != nil || dropped[k] || strings.HasPrefix(k, "x-") {
			return
		}
		var part bytes.Buffer
		if err = s.member(&part, n, k, v, nullable, at, refs, depth); err != nil || part.Len() == 0 {
			return
		}
		if !first {
			b.WriteByte(',')
		}
		first = false
		b.Write(part.Bytes())
	})
	b.WriteByte('}')
	return err
}

// member writes one keyword of schema n ("key":value), or nothing.
func (s *schemas) member(b *bytes.Buffer, n *yaml.Node, k string, v *yaml.Node, nullable bool, at loc, refs map[*def]bool, depth int) error {
	key := func() { writeString(b, k); b.WriteByte(':') }
	switch {
	case k == "$ref":
		d, err := s.ref(at, n, str(v))
		if err != nil {
			return err
		}
		refs[d] = true
		key()
		writeString(b, "#/$defs/"+d.name)
	case oneSchema[k] && (v.Kind == yaml.MappingNode || v.Kind == yaml.ScalarNode && v.Tag == "!!bool"):
		key()
		return s.schema(b, v, at.at(k), refs, depth+1)
	case listSchema[k] && v.Kind == yaml.SequenceNode:
		key()
		b.WriteByte('[')
		for i, c := range items(v) {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := s.schema(b, c, at.at(k, strconv.Itoa(i)), refs, depth+1); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	case mapSchema[k] && v.Kind == yaml.MappingNode:
		key()
		return s.schemaMap(b, v, at.at(k), refs, depth)
	case oneSchema[k] || listSchema[k] || mapSchema[k]:
		// The wrong kind of value (items: [a, b] of draft 4): no constraint.
	case k == "type":
		key()
		s.typ(b, v, nullable)
	case k == "enum" && nullable && v.Kind == yaml.SequenceNode:
		key()
		b.WriteString(s.nullableEnum(v))
	case (k == "exclusiveMinimum" || k == "exclusiveMaximum") && v.Tag == "!!bool":
		bound := get(n, map[string]string{"exclusiveMinimum": "minimum", "exclusiveMaximum": "maximum"}[k])
		if v.Value == "true" && bound != nil {
			key()
			b.WriteString(s.value(bound, 0))
		}
	case (k == "minimum" || k == "maximum") && truth(get(n, "exclusive"+strings.ToUpper(k[:1])+k[1:])):
		// Written as the exclusive bound above.
	case k == "required" && v.Kind != yaml.SequenceNode:
		// A parameter's "required: true" inside a schema: not a schema keyword.
	case k == "required":
		key()
		s.required(b, n, v)
	default:
		key()
		b.WriteString(s.value(v, depth))
	}
	if s.nodes > maxNodes {
		return s.r.errorf(at.at(k), v, "the schemas expand to more than %d values (YAML aliases?); write them with $refs instead", maxNodes)
	}
	return nil
}

func (s *schemas) schemaMap(b *bytes.Buffer, v *yaml.Node, at loc, refs map[*def]bool, depth int) error {
	b.WriteByte('{')
	i := 0
	var err error
	pairs(v, func(name string, c *yaml.Node) {
		if err != nil {
			return
		}
		if i > 0 {
			b.WriteByte(',')
		}
		i++
		writeString(b, name)
		b.WriteByte(':')
		err = s.schema(b, c, at.at(name), refs, depth+1)
	})
	b.WriteByte('}')
	return err
}

// typ writes a type, with "null" added when nullable; Swagger's "file" is
// a string.
func (s *schemas) typ(b *bytes.Buffer, v *yaml.Node, nullable bool) {
	var types []string
	if v.Kind == yaml.SequenceNode {
		for _, c := range items(v) {
			types = append(types, str(c))
		}
	} else {
		types = []string{str(v)}
	}
	for i, t := range types {
		if t == "file" {
			types[i] = "string"
		}
	}
	if nullable && !slices.Contains(types, "null") {
		types = append(types, "null")
	}
	if len(types) == 1 {
		writeString(b, types[0])
		return
	}
	data, _ := json.Marshal(types)
	b.Write(data)
}

// value is a plain YAML value as JSON text: numbers stay numbers, and a
// value nested past maxDepth, or past the document's maxNodes, is cut to
// null.
func (s *schemas) value(n *yaml.Node, depth int) string {
	var b bytes.Buffer
	writeValue(&b, deref(n), depth, &s.nodes)
	return b.String()
}

func writeValue(b *bytes.Buffer, n *yaml.Node, depth int, nodes *int) {
	if *nodes++; n == nil || depth > maxDepth || *nodes > maxNodes {
		b.WriteString("null")
		return
	}
	switch n.Kind {
	case yaml.MappingNode:
		b.WriteByte('{')
		i := 0
		pairs(n, func(k string, v *yaml.Node) {
			if i > 0 {
				b.WriteByte(',')
			}
			i++
			writeString(b, k)
			b.WriteByte(':')
			writeValue(b, v, depth+1, nodes)
		})
		b.WriteByte('}')
	case yaml.SequenceNode:
		b.WriteByte('[')
		for i, c := range items(n) {
			if i > 0 {
				b.WriteByte(',')
			}
			writeValue(b, c, depth+1, nodes)
		}
		b.WriteByte(']')
	default:
		b.WriteString(scalar(n))
	}
}

// scalar is a YAML scalar as JSON: by its resolved tag.
func scalar(n *yaml.Node) string {
	switch n.Tag {
	case "!!null":
		return "null"
	case "!!bool":
		return n.Value
	case "!!int":
		if i, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, 64); err == nil {
			return strconv.FormatInt(i, 10)
		}
		if json.Valid([]byte(n.Value)) {
			return n.Value // a big integer: JSON holds it
		}
	case "!!float":
		if f, err := strconv.ParseFloat(n.Value, 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
			if json.Valid([]byte(n.Value)) {
				return n.Value
			}
			return strconv.FormatFloat(f, 'g', -1, 64)
		}
	}
	var b bytes.Buffer
	writeString(&b, n.Value)
	return b.String()
}

// writeString writes s as a JSON string, without HTML escaping.
func writeString(b *bytes.Buffer, s string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	b.Truncate(b.Len() - 1) // the newline Encode adds
}

// nullableEnum is an enum with null added, unless it has it.
func (s *schemas) nullableEnum(v *yaml.Node) string {
	vals := items(v)
	out := make([]string, 0, len(vals)+1)
	for _, c := range vals {
		if c.Kind == yaml.ScalarNode && c.Tag == "!!null" {
			return s.value(v, 0)
		}
		out = append(out, s.value(c, 1))
	}
	return "[" + strings.Join(append(out, "null"), ",") + "]"
}

// required writes the required properties that the direction has: a
// readOnly property is not sent in a request, a writeOnly one not
// returned in a response.
func (s *schemas) required(b *bytes.Buffer, n, v *yaml.Node) {
	skip := "readOnly"
	if s.output {
		skip = "writeOnly"
	}
	var names []string
	for _, c := range items(v) {
		if !truth(get(get(get(n, "properties"), str(c)), skip)) {
			names = append(names, str(c))
		}
	}
	data, _ := json.Marshal(append([]string{}, names...))
	b.Write(data)
}
