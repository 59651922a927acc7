package typegen

import (
	"net/url"
	"path"
	"strings"
)

// A subschema with its own $id is a resource of its own: $refs inside it
// resolve against its URI ("#/$defs/B" means its own $defs, "b.json" a
// sibling resource), and other parts of the document may refer to it by
// that URI. Most tool schemas have no $id below the root, so the index of
// resources and bases is built only for documents that do.

// scopes indexes a document with $ids below its root.
type scopes struct {
	resources map[string]*value // by absolute URI, without fragment
	bases     map[*value]string // base URI of every schema holding a $ref
}

// ownID returns the $id (or draft-04 id) that makes s a resource, or "".
// One starting with "#" is a draft-07 anchor, not a resource.
func ownID(s *value) string {
	id := s.getString("$id")
	if id == "" {
		if id = s.getString("id"); id != "" && s.get("id").kind != kString {
			id = ""
		}
	}
	if strings.HasPrefix(id, "#") {
		return ""
	}
	return id
}

// index finds the document's base URI, and builds its scopes when ids, the
// number of "$id" and "id" keys the parser met, says it may have a $id
// below the root.
func (d *doc) index(ids int) {
	d.uri, _ = resolveURI("", ownID(d.root))
	if ids == 0 || ids == 1 && d.uri != "" {
		return
	}
	d.scopes = &scopes{resources: make(map[string]*value), bases: make(map[*value]string)}
	d.walkScopes(d.root, "", 0)
}

func (d *doc) walkScopes(v *value, base string, depth int) {
	if v == nil || depth > maxDepth {
		return
	}
	if v.kind == kObject {
		if id := ownID(v); id != "" {
			base, _ = resolveURI(base, id)
			if _, taken := d.scopes.resources[base]; !taken {
				d.scopes.resources[base] = v
			}
		}
		if _, isRef := refOf(v); isRef {
			d.scopes.bases[v] = base
		}
	}
	for _, c := range v.vals {
		d.walkScopes(c, base, depth+1)
	}
}

// baseOf returns the base URI that the $ref of schema s resolves against.
func (d *doc) baseOf(s *value) string {
	if d.scopes != nil {
		if b, ok := d.scopes.bases[s]; ok {
			return b
		}
	}
	return d.uri
}

// resource returns the schema identified by an absolute URI without
// fragment: the root ("" or its own $id) or a subschema with that $id.
func (d *doc) resource(uri string) *value {
	if uri == "" || uri == d.uri {
		return d.root
	}
	if d.scopes != nil {
		return d.scopes.resources[uri]
	}
	return nil
}

// resolveURI resolves ref against base (RFC 3986) and splits off the
// fragment, left as written. A URI that does not parse is taken as is.
func resolveURI(base, ref string) (uri, frag string) {
	r, frag, _ := strings.Cut(ref, "#")
	b, _, _ := strings.Cut(base, "#")
	if r == "" {
		return b, frag
	}
	bu, err := url.Parse(b)
	if err != nil {
		return r, frag
	}
	ru, err := url.Parse(r)
	if err != nil {
		return r, frag
	}
	return bu.ResolveReference(ru).String(), frag
}

// resourceName names the helper type of a whole resource after its URI's
// last path segment, without extension: https://x/y/address.json → address.
func resourceName(uri string) string {
	name := path.Base(strings.TrimRight(uri, "/"))
	if ext := path.Ext(name); ext != "" && len(ext) < len(name) {
		name = strings.TrimSuffix(name, ext)
	}
	return name
}
