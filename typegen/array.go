package typegen

import (
	"strconv"
	"strings"
)

// array renders an array schema: T[] for a homogeneous array, a tuple for
// prefixItems (2020-12) or array-form items (draft-07).
func (d *doc) array(s *value, indent int) tsType {
	d.guard++
	defer func() { d.guard-- }()
	items := s.get("items")
	switch {
	case s.get("prefixItems") != nil:
		return d.tuple(s, s.get("prefixItems").elems(), items, indent)
	case items != nil && items.kind == kArray:
		return d.tuple(s, items.vals, s.get("additionalItems"), indent)
	case items != nil && items.kind == kBool && !items.b:
		return typed("[]", jArray)
	}
	it := d.render(items, indent)
	if it.top && it.text == tUnknown.text {
		return bare("unknown[]", jArray)
	}
	return typed(paren(it, precPrimary)+"[]", jArray)
}

// tuple renders a tuple. Elements at or beyond minItems are optional; rest is
// the schema of further elements (nil: any, false: none), and maxItems can
// close the tuple too.
func (d *doc) tuple(s *value, prefix []*value, rest *value, indent int) tsType {
	minItems, maxItems := count(s, "minItems", 0), count(s, "maxItems", -1)
	closedTuple := rest != nil && rest.kind == kBool && !rest.b
	if maxItems >= 0 && maxItems <= len(prefix) {
		prefix, closedTuple = prefix[:maxItems], true
	}
	parts := make([]string, 0, len(prefix)+1)
	for i, p := range prefix {
		t := d.render(p, indent)
		if i < minItems {
			parts = append(parts, t.text)
		} else {
			parts = append(parts, paren(t, precPrimary)+"?")
		}
	}
	if !closedTuple {
		parts = append(parts, "..."+paren(d.render(rest, indent), precPrimary)+"[]")
	}
	return typed("["+strings.Join(parts, ", ")+"]", jArray)
}

// count returns the non-negative integer keyword key of s, or def.
func count(s *value, key string, def int) int {
	v := s.get(key)
	if v == nil || v.kind != kNumber {
		return def
	}
	f, err := strconv.ParseFloat(v.str, 64)
	if err != nil || f < 0 {
		return def
	}
	return int(min(f, 1<<20))
}
