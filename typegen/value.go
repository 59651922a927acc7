package typegen

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
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

// parse decodes one JSON document, reusing p's scratch space. Empty input
// decodes as nil.
//
// encoding/json cannot keep object member order except through
// Decoder.Token, which costs more than everything else typegen does, so
// parse checks the input with json.Valid and then walks the known-good bytes
// itself, leaving string unescaping to encoding/json.
func (p *parser) parse(data []byte) (*value, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, nil
	}
	if !json.Valid(data) {
		return nil, errors.New("invalid JSON")
	}
	// Size the first slab from the members (one ':' each) plus a guess at
	// array elements; newValue adds slabs when the guess is short.
	n := 1 + bytes.Count(data, []byte{':'}) + 2*bytes.Count(data, []byte{'['})
	p.data, p.pos, p.slab = data, 0, make([]value, 0, n)
	p.keys, p.vals, p.ids = p.keys[:0], p.vals[:0], 0
	return p.value(), nil
}

// parser walks JSON that json.Valid accepted. It allocates values in slabs
// and collects members on a shared stack, so that a schema costs a few
// allocations rather than several per node.
type parser struct {
	data []byte
	pos  int
	slab []value
	keys []string // members of the objects being read, innermost last
	vals []*value // their values; also the elements of arrays being read
	ids  int      // "$id" and "id" keys read: whether $ref scopes may change
}

func (p *parser) newValue(k kind) *value {
	if len(p.slab) == cap(p.slab) {
		p.slab = make([]value, 0, 32)
	}
	p.slab = append(p.slab, value{kind: k})
	return &p.slab[len(p.slab)-1]
}

func (p *parser) skipSpace() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *parser) value() *value {
	p.skipSpace()
	switch p.data[p.pos] {
	case '{':
		return p.object()
	case '[':
		return p.array()
	case '"':
		v := p.newValue(kString)
		v.str = p.string()
		return v
	case 't':
		p.pos += len("true")
		v := p.newValue(kBool)
		v.b = true
		return v
	case 'f':
		p.pos += len("false")
		return p.newValue(kBool)
	case 'n':
		p.pos += len("null")
		return p.newValue(kNull)
	}
	start := p.pos
	for p.pos < len(p.data) && strings.IndexByte("+-.0123456789eE", p.data[p.pos]) >= 0 {
		p.pos++
	}
	v := p.newValue(kNumber)
	v.str = string(p.data[start:p.pos])
	return v
}

func (p *parser) array() *value {
	v := p.newValue(kArray)
	base := len(p.vals)
	p.pos++ // [
	for {
		p.skipSpace()
		switch p.data[p.pos] {
		case ']':
			p.pos++
			v.vals = slices.Clone(p.vals[base:])
			p.vals = p.vals[:base]
			return v
		case ',':
			p.pos++
		}
		p.vals = append(p.vals, p.value())
	}
}

func (p *parser) object() *value {
	v := p.newValue(kObject)
	base := len(p.keys)
	p.pos++ // {
	for {
		p.skipSpace()
		switch p.data[p.pos] {
		case '}':
			p.pos++
			v.keys = slices.Clone(p.keys[base:])
			v.vals = slices.Clone(p.vals[len(p.vals)-len(v.keys):])
			p.keys = p.keys[:base]
			p.vals = p.vals[:len(p.vals)-len(v.keys)]
			return v
		case ',':
			p.pos++
			p.skipSpace()
		}
		key := p.string()
		if key == "$id" || key == "id" {
			p.ids++
		}
		p.skipSpace()
		p.pos++ // :
		val := p.value()
		p.keys = append(p.keys, key)
		p.vals = append(p.vals, val)
	}
}

// string reads a string literal. Plain ones are sliced; ones with escapes or
// non-UTF-8 bytes go through encoding/json, which also replaces bad bytes.
func (p *parser) string() string {
	start := p.pos
	p.pos++ // "
	plain := true
	for c := p.data[p.pos]; c != '"'; c = p.data[p.pos] {
		if c == '\\' {
			plain = false
			p.pos++
		} else if c >= utf8.RuneSelf {
			plain = false
		}
		p.pos++
	}
	p.pos++
	raw := p.data[start:p.pos]
	if plain {
		if k, ok := keywords[string(raw[1:len(raw)-1])]; ok {
			return k
		}
		return string(raw[1 : len(raw)-1])
	}
	var s string
	_ = json.Unmarshal(raw, &s) // valid by json.Valid
	return s
}

// keywords are strings that occur in nearly every schema; reading them
// returns one shared copy instead of allocating a new one each time.
var keywords = func() map[string]string {
	m := make(map[string]string)
	for _, k := range strings.Fields(`type properties required description items enum const
		default format title additionalProperties $schema $ref $defs definitions anyOf oneOf allOf
		minimum maximum minLength maxLength minItems maxItems pattern string number integer
		boolean object array null`) {
		m[k] = k
	}
	return m
}()

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
