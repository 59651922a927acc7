package typegen

import (
	"math"
	"strconv"
	"strings"
)

// literal renders a JSON value (from const or enum) as a literal type.
func literal(v *value) tsType {
	switch v.kind {
	case kNull:
		return typed("null", jNull)
	case kBool:
		if v.b {
			return typed("true", jBoolean)
		}
		return typed("false", jBoolean)
	case kNumber:
		return typed(v.str, jNumber)
	case kString:
		return typed(quote(v.str), jString)
	case kArray:
		parts := make([]string, len(v.vals))
		for i, e := range v.vals {
			parts[i] = literal(e).text
		}
		return typed("["+strings.Join(parts, ", ")+"]", jArray)
	}
	return literalObject(v)
}

// literalObject renders an object value as a one-line object type.
func literalObject(v *value) tsType {
	if len(v.keys) == 0 {
		return typed("{ [k: string]: never }", jObject)
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
		b.WriteString(literal(v.get(k)).text) // a duplicate key's last value, at its first position
	}
	b.WriteString(" }")
	return typed(b.String(), jObject)
}

// literalUnion renders enum values as a union of literal types, leaving out
// those the schema's type excludes: {type: "integer", enum: [1, 1.5, "a"]}
// admits only 1.
func literalUnion(vs []*value, types jsonTypes, integer bool) tsType {
	ts := make([]tsType, 0, len(vs))
	for _, v := range vs {
		if t := literal(v); t.types&types != 0 && (!integer || v.kind != kNumber || isInteger(v.str)) {
			ts = append(ts, t)
		}
	}
	return union(ts)
}

// isInteger reports whether a JSON number is a whole number (1, 1.0, 1e3).
func isInteger(num string) bool {
	f, err := strconv.ParseFloat(num, 64)
	return err == nil && f == math.Trunc(f)
}

// propertyName returns name as written in an object type: bare when it is an
// identifier, else a JSON string literal.
func propertyName(name string) string {
	if isIdentifier(name) {
		return name
	}
	return quote(name)
}
