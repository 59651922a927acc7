package typegen

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// kind is the JSON type of a value.
type kind uint8

const (
	kNull kind = iota
	kBool
	kNumber
	kString
	kArray
	kObject
)

// value is a decoded JSON value that keeps object members in document order,
// which encoding/json's maps cannot: property order is what the model reads.
type value struct {
	kind kind
	b    bool
	str  string   // string contents, or the literal text of a number
	keys []string // object member names, in order
	vals []*value // object member values, parallel to keys; or array elements
}

// get returns the object member named key, or nil. Schemas have few keys, so
// a linear scan beats building a map. Of duplicate keys the last counts, as
// in JSON.parse and every validator.
func (v *value) get(key string) *value {
	if v == nil || v.kind != kObject {
		return nil
	}
	for i := len(v.keys) - 1; i >= 0; i-- {
		if v.keys[i] == key {
			return v.vals[i]
		}
	}
	return nil
}

// getString returns the string member named key, or "".
func (v *value) getString(key string) string {
	if m := v.get(key); m != nil && m.kind == kString {
		return m.str
	}
	return ""
}

// isTrue reports whether the member named key is the boolean true.
func (v *value) isTrue(key string) bool {
	m := v.get(key)
	return m != nil && m.kind == kBool && m.b
}

// quote returns s as a JSON string literal, which is also a valid TypeScript
// string literal. Unlike json.Marshal it leaves <, > and & readable.
func quote(s string) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // encoding a string cannot fail
	return string(bytes.TrimRight(buf.Bytes(), "\n"))
}

// jsonText re-encodes v compactly, for @default tags.
func jsonText(v *value) string {
	switch v.kind {
	case kNull:
		return "null"
	case kBool:
		return strconv.FormatBool(v.b)
	case kNumber:
		return v.str
	case kString:
		return quote(v.str)
	case kArray:
		var b bytes.Buffer
		b.WriteByte('[')
		for i, e := range v.vals {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(jsonText(e))
		}
		b.WriteByte(']')
		return b.String()
	}
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range v.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(quote(k))
		b.WriteByte(':')
		b.WriteString(jsonText(v.vals[i]))
	}
	b.WriteByte('}')
	return b.String()
}
