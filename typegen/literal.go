package typegen

import "strings"

// literal renders a JSON value (from const or enum) as a literal type.
func literal(v *value) tsType {
	switch v.kind {
	case kNull:
		return primary("null")
	case kBool:
		if v.b {
			return primary("true")
		}
		return primary("false")
	case kNumber:
		return primary(v.str)
	case kString:
		return primary(quote(v.str))
	case kArray:
		parts := make([]string, len(v.vals))
		for i, e := range v.vals {
			parts[i] = literal(e).text
		}
		return primary("[" + strings.Join(parts, ", ") + "]")
	}
	return literalObject(v)
}

// literalObject renders an object value as a one-line object type.
func literalObject(v *value) tsType {
	if len(v.keys) == 0 {
		return primary("{ [k: string]: never }")
	}
	var b strings.Builder
	b.WriteString("{ ")
	seen := make(map[string]bool, len(v.keys))
	for i, k := range v.keys {
		if seen[k] {
			continue
		}
		seen[k] = true
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(propertyName(k))
		b.WriteString(": ")
		b.WriteString(literal(v.vals[i]).text)
	}
	b.WriteString(" }")
	return primary(b.String())
}

// literalUnion renders enum values as a union of literal types.
func literalUnion(vs []*value) tsType {
	ts := make([]tsType, len(vs))
	for i, v := range vs {
		ts[i] = literal(v)
	}
	return union(ts)
}

// propertyName returns name as written in an object type: bare when it is an
// identifier, else a JSON string literal.
func propertyName(name string) string {
	if isIdentifier(name) {
		return name
	}
	return quote(name)
}
