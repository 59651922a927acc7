package typegen

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

// Tool is one function to declare.
type Tool struct {
	Name         string          // final method identifier (made unique by the caller with MethodNames)
	Original     string          // the tool's own name, shown when it differs from Name
	Description  string          // shown as JSDoc above the method
	InputSchema  json.RawMessage // JSON Schema of the arguments object; nil or empty: no arguments
	OutputSchema json.RawMessage // JSON Schema of the result; nil or empty: Promise<unknown>
	// Observed is how many results OutputSchema was learned from (package
	// learn) when the server declared none; 0 means the server declared it.
	// The JSDoc says so, so that the model takes the type for what it is.
	Observed int64
}

// Namespace is one global object whose methods are tools.
type Namespace struct {
	Name        string // final global identifier (made unique by the caller with NamespaceNames)
	Original    string // the server's name, shown when it differs from Name
	Description string // optional; shown as JSDoc above the declaration
	Tools       []Tool
}

// Options tunes Declarations.
type Options struct {
	// MaxDescription is the most characters (runes) of one description
	// before it is cut with "…". Zero or negative means 500.
	MaxDescription int
}

// Declarations renders a global TypeScript script declaring every namespace:
// one `declare const NAME: { ... };` each, with one method per tool, preceded
// by the type aliases its recursive or much-reused schemas need. The output
// is deterministic: the same input gives byte-identical text.
func Declarations(ns []Namespace, opts Options) string {
	g := newGen(opts)
	var b strings.Builder
	b.Grow(estimateSize(ns))
	for i, n := range ns {
		if i > 0 {
			b.WriteByte('\n')
		}
		g.namespace(&b, n)
	}
	return b.String()
}

// TypeOf renders one schema as a TypeScript type, preceded by the type
// aliases (named T_...) that recursive or much-reused parts need.
func TypeOf(schema json.RawMessage) string {
	defs, t := typeOf(schema)
	return defs + t
}

// typeOf renders one schema: the type aliases it needs, and the type.
func typeOf(schema json.RawMessage) (defs, typ string) {
	g := newGen(Options{})
	g.prefix = "T_"
	d, err := g.parseDoc(schema, "T_root")
	if d != nil {
		d.countShapes(d.root, "root", true, 0)
	}
	t := renderOutput(d, err, 0)
	var b strings.Builder
	g.writeDefs(&b)
	return b.String(), t.text
}

// estimateSize guesses the output size, to allocate it once: declarations
// run at about a third of the size of the schemas they come from.
func estimateSize(ns []Namespace) int {
	n := 0
	for _, s := range ns {
		for _, t := range s.Tools {
			n += 64 + len(t.Description) + len(t.InputSchema)/3 + len(t.OutputSchema)/3
		}
	}
	return n
}

// gen is the state of one Declarations call. Helper type names are unique
// across all namespaces because they share one global scope.
type gen struct {
	maxDesc int
	prefix  string             // namespace prefix of helper names, "memory_"
	used    map[string]bool    // helper names taken
	shared  map[string]*shared // $ref targets of the namespace, by closureKey
	defs    []helper           // definitions not yet written
	body    bytes.Buffer       // a namespace's declaration, while its helpers are collected
	parser  parser             // reused for every schema
	said    map[said]bool      // property descriptions written in this namespace
	shapes  map[shapeHash]*target
	shapeOf map[*value]*target // inline object schemas of the namespace, by node (shape.go)
}

// helper is a type alias definition.
type helper struct {
	name, doc, body string
}

func newGen(opts Options) *gen {
	max := opts.MaxDescription
	if max <= 0 {
		max = defaultMaxDescription
	}
	return &gen{maxDesc: max, used: make(map[string]bool), shared: make(map[string]*shared), said: make(map[said]bool),
		shapes: make(map[shapeHash]*target), shapeOf: make(map[*value]*target)}
}

// alloc returns base, or base_2, base_3, ... when taken.
func (g *gen) alloc(base string) string {
	name := base
	for n := 2; g.used[name]; n++ {
		name = base + "_" + strconv.Itoa(n)
	}
	g.used[name] = true
	return name
}

// namespace writes one namespace, after the helper types its tools need.
// All schemas are parsed before any is rendered, so that definitions the
// tools share are known to be shared (see share.go).
func (g *gen) namespace(b *strings.Builder, n Namespace) {
	name := Identifier(n.Name)
	g.prefix = name + "_"
	clear(g.shared)
	clear(g.said)
	clear(g.shapes)
	clear(g.shapeOf)
	tools := make([]prepared, len(n.Tools))
	for i, t := range n.Tools {
		tools[i] = g.prepare(t)
	}
	for _, p := range tools {
		p.countShapes()
	}
	body := &g.body
	body.Reset()
	jsdoc(body, joinDoc(cleanText(n.Description, g.maxDesc), renamed("server", n.Original, name)), 0)
	body.WriteString("declare const " + name + ": {")
	if len(n.Tools) > 0 {
		body.WriteByte('\n')
	}
	for _, p := range tools {
		method(body, p, g.maxDesc)
	}
	body.WriteString("};\n")
	g.writeDefs(b)
	b.Write(body.Bytes())
}

// prepared is a tool with its schemas parsed.
type prepared struct {
	tool          Tool
	in, out       *doc // nil when the schema is absent
	inErr, outErr error
}

func (g *gen) prepare(t Tool) prepared {
	base := g.prefix + Identifier(t.Name)
	p := prepared{tool: t}
	p.in, p.inErr = g.parseDoc(t.InputSchema, base+"_args")
	p.out, p.outErr = g.parseDoc(t.OutputSchema, base+"_result")
	if p.out != nil {
		p.out.output = true
	}
	return p
}

// countShapes counts the inline object shapes of both schemas. The
// arguments and the result themselves are never shared: a method's
// parameters and result are read where the method is, and a result named
// after the first tool returning it would mislead at the others.
func (p prepared) countShapes() {
	if p.in != nil {
		p.in.countShapes(p.in.root, p.tool.Name+"_args", true, 0)
	}
	if p.out != nil {
		p.out.countShapes(p.out.root, p.tool.Name+"_result", true, 0)
	}
}

// parseDoc parses a schema document; nil when it is absent.
func (g *gen) parseDoc(schema json.RawMessage, rootBase string) (*doc, error) {
	root, err := g.parser.parse(schema)
	if err != nil || root == nil {
		return nil, err
	}
	return newDoc(g, root, rootBase, g.parser.ids), nil
}

// method writes one tool as a method signature.
func method(b writer, p prepared, maxDesc int) {
	in, optional := renderInput(p.in, p.inErr)
	out := renderOutput(p.out, p.outErr, 0)
	jsdoc(b, joinDoc(cleanText(p.tool.Description, maxDesc), renamed("tool", p.tool.Original, p.tool.Name), observed(p)), 0)
	b.WriteString(methodName(p.tool.Name))
	b.WriteString("(args")
	if optional {
		b.WriteByte('?')
	}
	b.WriteString(": ")
	b.WriteString(in.text)
	b.WriteString("): Promise<")
	b.WriteString(out.text)
	b.WriteString(">;\n")
}

// observed is the JSDoc of a learned result type.
func observed(p prepared) string {
	switch {
	case p.tool.Observed <= 0 || p.out == nil:
		return ""
	case p.tool.Observed == 1:
		return "@returns observed in 1 result, not declared by the server"
	}
	return "@returns observed in " + strconv.FormatInt(p.tool.Observed, 10) + " results, not declared by the server"
}

// methodName returns name as written before a method's parameters. In a type
// literal `new(...)` declares a construct signature, not a method, so "new"
// is quoted; every other word works bare.
func methodName(name string) string {
	if name == "new" {
		return `"new"`
	}
	return propertyName(name)
}

// renderInput renders a tool's arguments type, and whether the argument may
// be left out: when nothing in it is required.
func renderInput(d *doc, err error) (tsType, bool) {
	switch {
	case err != nil:
		return unknownBecause("invalid schema"), true
	case d == nil || noArgs(d.root):
		return typed("{}", jObject), true
	}
	return d.renderRoot(0), optionalArgs(d.root)
}

// renderOutput renders a whole schema document; absent is unknown.
func renderOutput(d *doc, err error, indent int) tsType {
	switch {
	case err != nil:
		return unknownBecause("invalid schema")
	case d == nil:
		return tUnknown
	}
	return d.renderRoot(indent)
}

// noArgs reports whether an input schema declares no arguments at all.
func noArgs(s *value) bool {
	switch {
	case s == nil || s.kind == kNull || s.kind == kBool && s.b:
		return true
	case s.kind != kObject:
		return false
	}
	if t := s.get("type"); t != nil && !(t.kind == kString && t.str == "object") {
		return false
	}
	if ap := s.get("additionalProperties"); ap != nil && ap.kind == kObject {
		return false
	}
	for _, k := range [...]string{"properties", "required", "patternProperties", "allOf", "anyOf", "oneOf", "enum", "const"} {
		if v := s.get(k); v != nil && !(v.kind == kObject && len(v.keys) == 0) && !(v.kind == kArray && len(v.vals) == 0) {
			return false
		}
	}
	_, isRef := refOf(s)
	return !isRef
}

// optionalArgs reports whether an object input schema requires nothing, so
// that a call may omit the argument.
func optionalArgs(s *value) bool {
	if s.kind != kObject || len(s.get("required").elems()) > 0 {
		return false
	}
	if _, isRef := refOf(s); isRef {
		return false
	}
	for _, k := range [...]string{"allOf", "anyOf", "oneOf"} {
		if s.get(k) != nil {
			return false
		}
	}
	t := s.get("type")
	return t == nil || t.kind == kString && t.str == "object"
}

// writeDefs writes and forgets the pending helper type definitions.
func (g *gen) writeDefs(b *strings.Builder) {
	for _, h := range g.defs {
		jsdoc(b, h.doc, 0)
		b.WriteString("type ")
		b.WriteString(h.name)
		b.WriteString(" = ")
		b.WriteString(h.body)
		b.WriteString(";\n")
	}
	g.defs = g.defs[:0]
}

// renamed names what a server or tool is called upstream when its
// identifier differs ("(server \"my-srv\")"): the model and the user
// read both, and two names that sanitise alike are told apart.
func renamed(what, original, name string) string {
	if original == "" || original == name {
		return ""
	}
	return cleanText("("+what+" "+strconv.Quote(original)+")", 0)
}
