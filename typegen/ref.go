package typegen

import (
	"net/url"
	"strconv"
	"strings"
)

// doc converts one schema document: a tool's input or output schema, which
// is the scope its local $refs resolve in.
type doc struct {
	g          *gen
	root       *value
	rootBase   string // helper name for the root, should "#" be recursive
	rootTarget target
	targets    map[*value]*target  // by resolved node, except the root
	order      []*target           // targets in the order they were found
	resolved   map[string]resolved // by $ref string
	depth      int                 // render nesting, bounded by maxDepth
	guard      int                 // object members and array elements entered; see cycle
	inlined    int                 // $ref expansions, bounded by maxInlined
	output     bool                // a result type: see propertyDoc
	uri        string              // base URI of the root: its $id
	scopes     *scopes             // nil unless a subschema has a $id (scope.go)
}

// target is a schema some $ref points to. A target is written inline where
// it is used, unless it is recursive (a type alias is the only way to write
// it) or used more than once with a body too long to repeat.
type target struct {
	node       *value
	base       string // helper name to start from
	inProgress bool   // being rendered now: a $ref to it is a cycle
	guard      int    // d.guard when rendering started
	recursive  bool
	shape      bool      // a repeated inline shape (shape.go), not a $ref target
	*shared              // what equal targets in other tools of the namespace share
	refs       []*target // targets its schema refers to, once known
	hash       []byte    // of its schema's text, once known
}

// shared is the state of a target that equal targets share: the same $defs
// entry, with the same content, in several tools of one namespace.
type shared struct {
	uses  int       // $ref occurrences that reach it
	name  string    // helper type name, once it has one
	types jsonTypes // what the named type admits, once it has a name
	memo  *tsType   // short body of a reused target, inlined at each use
}

const (
	maxInlineRef = 60    // longest body of a reused target that is repeated inline
	maxInlined   = 10000 // $ref expansions per document, against exponential schemas
)

func newDoc(g *gen, root *value, rootBase string, ids int) *doc {
	d := &doc{g: g, root: root, rootBase: rootBase, rootTarget: target{node: root, base: rootBase, shared: &shared{}}}
	d.index(ids)
	d.countRefs(root, make(map[*value]bool))
	d.share()
	return d
}

// renderRoot renders the document's root, which a "#" $ref may make recursive.
func (d *doc) renderRoot(indent int) tsType {
	t := d.targetAt(d.root, d.rootBase)
	return d.inline(t, indent)
}

// ref renders a $ref to a target.
func (d *doc) ref(s *value, ref string, indent int) tsType {
	t, why := d.resolve(s, ref)
	switch {
	case t == nil:
		return unknownBecause(why)
	case t.inProgress:
		return d.cycle(t)
	case t.name != "":
		return typed(t.name, t.types)
	case t.memo != nil:
		return *t.memo
	case t.uses >= 2:
		return d.reused(t)
	}
	return d.inline(t, indent)
}

// cycle handles a $ref back to a target being rendered. TypeScript accepts a
// type alias that refers to itself only from inside an object member, array
// or tuple element; a cycle without one (A = A & B, A = B, B = A) adds
// nothing to what the schema already says, so it renders as unknown.
func (d *doc) cycle(t *target) tsType {
	if d.guard == t.guard {
		return tUnknown
	}
	if t.name == "" {
		t.recursive = true
		t.name = d.g.alloc(t.base)
		t.types = d.typesOf(t.node, 0)
	}
	return typed(t.name, t.types)
}

// enter renders t's schema with t marked as in progress.
func (d *doc) enter(t *target, indent int) tsType {
	t.inProgress, t.guard = true, d.guard
	ty := d.render(t.node, indent)
	t.inProgress = false
	return ty
}

// inline renders a target at its (first) use. If rendering it found it to be
// recursive, it becomes a named type, rendered again at the top level.
func (d *doc) inline(t *target, indent int) tsType {
	if d.inlined++; d.inlined > maxInlined {
		return unknownBecause("schema too large")
	}
	ty := d.enter(t, indent)
	if !t.recursive {
		return ty
	}
	if indent != 0 {
		ty = d.enter(t, 0)
	}
	return d.define(t, ty)
}

// reused renders a target used more than once: short bodies are repeated,
// longer ones are written once as a named type.
func (d *doc) reused(t *target) tsType {
	body := d.enter(t, 0)
	if !t.recursive && len(body.text) <= maxInlineRef && !strings.Contains(body.text, "\n") {
		t.memo = &body
		return body
	}
	return d.define(t, body)
}

// define records the type alias of a named target, and returns its name.
func (d *doc) define(t *target, body tsType) tsType {
	if t.name == "" {
		t.name = d.g.alloc(t.base)
	}
	t.types = body.types
	comment := ""
	if !t.shape { // a shape's description belongs to each property using it
		comment = cleanText(t.node.getString("description"), d.g.maxDesc)
	}
	d.g.defs = append(d.g.defs, helper{name: t.name, doc: comment, body: body.text})
	return typed(t.name, t.types)
}

// typesOf returns the JSON types a schema admits, read from its keywords
// without rendering it: the type of a $ref cycle is not rendered yet when
// the cycle is met.
func (d *doc) typesOf(s *value, depth int) jsonTypes {
	switch {
	case s == nil || depth > 8:
		return jAny
	case s.kind == kBool:
		if s.b {
			return jAny
		}
		return 0
	case s.kind != kObject:
		return jAny
	}
	types := ownTypes(s)
	if ref, ok := refOf(s); ok {
		if t, _ := d.resolve(s, ref); t != nil {
			types &= d.typesOf(t.node, depth+1)
		}
	}
	for _, m := range s.get("allOf").elems() {
		types &= d.typesOf(m, depth+1)
	}
	for _, k := range [...]string{"anyOf", "oneOf"} {
		if alts := s.get(k); alts != nil && alts.kind == kArray {
			var any jsonTypes
			for _, a := range alts.vals {
				any |= d.typesOf(a, depth+1)
			}
			types &= any
		}
	}
	return types
}

// ownTypes returns the JSON types s's own keywords admit: const, enum, type,
// or a type its keywords imply.
func ownTypes(s *value) jsonTypes {
	if c := s.get("const"); c != nil {
		return literal(c).types
	}
	if e := s.get("enum"); e != nil && e.kind == kArray {
		var types jsonTypes
		for _, v := range e.vals {
			types |= literal(v).types
		}
		return types
	}
	if s.get("type") != nil {
		types, _ := declaredTypes(s)
		return types
	}
	return jAny
}

// refOf returns the reference of s: $ref, or the 2019-09/2020-12 dynamic
// forms, which resolve like $ref within one document.
func refOf(s *value) (string, bool) {
	for _, k := range [...]string{"$ref", "$recursiveRef", "$dynamicRef"} {
		if r := s.get(k); r != nil && r.kind == kString {
			return r.str, true
		}
	}
	return "", false
}

// resolved is the outcome of resolving one $ref string.
type resolved struct {
	t   *target
	why string
}

// resolve finds the target of the reference ref held by schema s, or says
// why it cannot. Outcomes are cached: an anchor lookup walks the whole
// document.
func (d *doc) resolve(s *value, ref string) (*target, string) {
	base := d.baseOf(s)
	key := base + "\x00" + ref
	if r, ok := d.resolved[key]; ok {
		return r.t, r.why
	}
	t, why := d.find(base, ref)
	if d.resolved == nil {
		d.resolved = make(map[string]resolved)
	}
	d.resolved[key] = resolved{t, why}
	return t, why
}

// find resolves ref against base to a schema in this document: a resource
// (the root, or a subschema with its own $id), then a JSON pointer or anchor
// inside it.
func (d *doc) find(base, ref string) (*target, string) {
	uri, frag := resolveURI(base, ref)
	res := d.resource(uri)
	if res == nil {
		return nil, "external $ref " + ref
	}
	if f, err := url.PathUnescape(frag); err == nil {
		frag = f
	}
	node, name := res, d.rootBase
	switch {
	case frag == "" && res != d.root:
		name = d.g.prefix + Identifier(resourceName(uri))
	case frag == "":
	case frag[0] == '/':
		node, name = d.pointer(res, frag)
	default:
		node, name = d.anchor(res, frag, 0), d.g.prefix+Identifier(frag)
	}
	if node == nil || node.kind != kObject && node.kind != kBool {
		return nil, "unresolved $ref " + ref
	}
	return d.targetAt(node, name), ""
}

// targetAt returns the target for node, creating it with a helper name base.
func (d *doc) targetAt(node *value, base string) *target {
	if node == d.root {
		return &d.rootTarget
	}
	t := d.targets[node]
	if t == nil {
		if d.targets == nil {
			d.targets = make(map[*value]*target)
		}
		t = &target{node: node, base: base, shared: &shared{}}
		d.targets[node] = t
		d.order = append(d.order, t)
	}
	return t
}

// pointer follows a JSON pointer (RFC 6901) from a resource. The helper
// name comes from the last segment: #/$defs/Entity names memory_Entity.
func (d *doc) pointer(res *value, p string) (*value, string) {
	v, last := res, ""
	for _, seg := range strings.Split(p[1:], "/") {
		seg = strings.ReplaceAll(strings.ReplaceAll(seg, "~1", "/"), "~0", "~")
		switch {
		case v == nil:
			return nil, ""
		case v.kind == kObject:
			v = v.get(seg)
		case v.kind == kArray:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(v.vals) {
				return nil, ""
			}
			v = v.vals[i]
		default:
			return nil, ""
		}
		last = seg
	}
	return v, d.g.prefix + Identifier(last)
}

// anchor finds the subschema that declares a plain-name fragment: $anchor,
// $dynamicAnchor, or a draft-07 "$id": "#name".
func (d *doc) anchor(v *value, name string, depth int) *value {
	if v == nil || depth > maxDepth {
		return nil
	}
	if v.kind == kObject && (v.getString("$anchor") == name || v.getString("$dynamicAnchor") == name ||
		v.getString("$id") == "#"+name || v.getString("id") == "#"+name) {
		return v
	}
	for _, c := range v.vals {
		if found := d.anchor(c, name, depth+1); found != nil {
			return found
		}
	}
	return nil
}

// countRefs counts, for every target, the $refs that reach it through the
// keywords render follows, walking each target once. $defs are only walked
// through the $refs that use them, so unused definitions cost nothing.
func (d *doc) countRefs(s *value, seen map[*value]bool) {
	if s == nil || s.kind != kObject {
		return
	}
	if ref, ok := refOf(s); ok {
		if t, _ := d.resolve(s, ref); t != nil {
			t.uses++
			if !seen[t.node] {
				seen[t.node] = true
				d.countRefs(t.node, seen)
			}
		}
	}
	for _, k := range [...]string{"properties", "patternProperties"} {
		if m := s.get(k); m != nil && m.kind == kObject {
			for _, c := range m.vals {
				d.countRefs(c, seen)
			}
		}
	}
	for _, k := range [...]string{"additionalProperties", "items", "additionalItems"} {
		d.countRefs(s.get(k), seen)
	}
	for _, k := range [...]string{"allOf", "anyOf", "oneOf", "prefixItems", "items"} {
		for _, c := range s.get(k).elems() {
			d.countRefs(c, seen)
		}
	}
}
