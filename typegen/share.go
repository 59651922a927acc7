package typegen

import (
	"crypto/sha256"
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
	sum := sha256.Sum256([]byte(jsonText(t.node)))
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
