package typegen

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
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
	arr  []*value // array elements
	keys []string // object member names, in order
	vals []*value // object member values, parallel to keys
}

// get returns the object member named key, or nil. Schemas have few keys, so
// a linear scan beats building a map.
func (v *value) get(key string) *value {
	if v == nil || v.kind != kObject {
		return nil
	}
	for i, k := range v.keys {
		if k == key {
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

// parse decodes one JSON document. Empty input decodes as nil.
func parse(data []byte) (*value, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := decode(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("trailing data after JSON value")
	}
	return v, nil
}

// decode reads one value from dec's token stream.
func decode(dec *json.Decoder) (*value, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		if t == '[' {
			return decodeArray(dec)
		}
		return decodeObject(dec)
	case string:
		return &value{kind: kString, str: t}, nil
	case json.Number:
		return &value{kind: kNumber, str: string(t)}, nil
	case bool:
		return &value{kind: kBool, b: t}, nil
	default:
		return &value{kind: kNull}, nil
	}
}

func decodeArray(dec *json.Decoder) (*value, error) {
	v := &value{kind: kArray}
	for dec.More() {
		e, err := decode(dec)
		if err != nil {
			return nil, err
		}
		v.arr = append(v.arr, e)
	}
	_, err := dec.Token() // ']'
	return v, err
}

func decodeObject(dec *json.Decoder) (*value, error) {
	v := &value{kind: kObject}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, _ := tok.(string)
		e, err := decode(dec)
		if err != nil {
			return nil, err
		}
		v.keys = append(v.keys, key)
		v.vals = append(v.vals, e)
	}
	_, err := dec.Token() // '}'
	return v, err
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
		for i, e := range v.arr {
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
