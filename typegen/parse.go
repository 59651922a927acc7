package typegen

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"unicode/utf8"
)

// errInvalidJSON is what parse returns for input that is not JSON.
var errInvalidJSON = errors.New("invalid JSON")

// maxNesting is the deepest nesting of objects and arrays parse accepts,
// the same as encoding/json's.
const maxNesting = 10000

// parser decodes JSON into values that keep object member order, which
// encoding/json cannot do except through Decoder.Token, at a cost greater
// than everything else typegen does. It validates as it goes, accepting
// exactly what json.Valid accepts (FuzzParse checks), leaves unescaping to
// encoding/json, allocates values in slabs and collects members on a shared
// stack, so that a schema costs a few allocations rather than several per
// node.
type parser struct {
	data  []byte
	pos   int
	bad   bool // the input is not JSON
	depth int
	slab  []value
	keys  []string // members of the objects being read, innermost last
	vals  []*value // their values; also the elements of arrays being read
	ids   int      // "$id" and "id" keys read: whether $ref scopes may change
}

// parse decodes one JSON document, reusing p's scratch space. Empty input
// decodes as nil.
func (p *parser) parse(data []byte) (*value, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, nil
	}
	// Size the first slab from the members (one ':' each) plus a guess at
	// array elements; newValue adds slabs when the guess is short.
	n := 1 + bytes.Count(data, []byte{':'}) + 2*bytes.Count(data, []byte{'['})
	p.data, p.pos, p.bad, p.depth, p.slab = data, 0, false, 0, make([]value, 0, n)
	p.keys, p.vals, p.ids = p.keys[:0], p.vals[:0], 0
	v := p.value()
	p.skipSpace()
	if p.bad || p.pos != len(p.data) {
		return nil, errInvalidJSON
	}
	return v, nil
}

// fail marks the input invalid; every reader returns at once after it.
func (p *parser) fail() *value {
	p.bad = true
	p.pos = len(p.data)
	return nil
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

// next returns the next byte after white space, or 0 at the end.
func (p *parser) next() byte {
	p.skipSpace()
	if p.pos >= len(p.data) {
		return 0
	}
	return p.data[p.pos]
}

func (p *parser) value() *value {
	switch c := p.next(); c {
	case '{':
		return p.object()
	case '[':
		return p.array()
	case '"':
		v := p.newValue(kString)
		v.str = p.string()
		return v
	case 't':
		return p.literal("true", kBool, true)
	case 'f':
		return p.literal("false", kBool, false)
	case 'n':
		return p.literal("null", kNull, false)
	default:
		if c == '-' || c >= '0' && c <= '9' {
			return p.number()
		}
		return p.fail()
	}
}

func (p *parser) literal(word string, k kind, b bool) *value {
	if !bytes.HasPrefix(p.data[p.pos:], []byte(word)) {
		return p.fail()
	}
	p.pos += len(word)
	v := p.newValue(k)
	v.b = b
	return v
}

// number reads -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?, keeping
// its text.
func (p *parser) number() *value {
	start := p.pos
	p.skip('-')
	switch {
	case p.skip('0'):
	case p.digits() == 0:
		return p.fail()
	}
	if p.skip('.') && p.digits() == 0 {
		return p.fail()
	}
	if p.skip('e') || p.skip('E') {
		if !p.skip('+') {
			p.skip('-')
		}
		if p.digits() == 0 {
			return p.fail()
		}
	}
	v := p.newValue(kNumber)
	v.str = string(p.data[start:p.pos])
	return v
}

// skip consumes c if it is the next byte.
func (p *parser) skip(c byte) bool {
	if p.pos < len(p.data) && p.data[p.pos] == c {
		p.pos++
		return true
	}
	return false
}

// digits consumes decimal digits and returns how many.
func (p *parser) digits() int {
	start := p.pos
	for p.pos < len(p.data) && p.data[p.pos] >= '0' && p.data[p.pos] <= '9' {
		p.pos++
	}
	return p.pos - start
}

// enter counts one level of nesting, failing beyond maxNesting.
func (p *parser) enter() bool {
	p.depth++
	if p.depth > maxNesting {
		p.fail()
		return false
	}
	p.pos++ // { or [
	return true
}

func (p *parser) array() *value {
	if !p.enter() {
		return nil
	}
	v := p.newValue(kArray)
	base := len(p.vals)
	if p.next() == ']' {
		p.pos++
	} else {
		for !p.bad {
			p.vals = append(p.vals, p.value())
			if c := p.next(); c == ']' {
				p.pos++
				break
			} else if c != ',' {
				p.fail()
			}
			p.pos++
		}
	}
	v.vals = slices.Clone(p.vals[base:])
	p.vals = p.vals[:base]
	p.depth--
	return v
}

func (p *parser) object() *value {
	if !p.enter() {
		return nil
	}
	v := p.newValue(kObject)
	kbase, vbase := len(p.keys), len(p.vals)
	if p.next() == '}' {
		p.pos++
	} else {
		for !p.bad {
			p.member()
			if c := p.next(); c == '}' {
				p.pos++
				break
			} else if c != ',' {
				p.fail()
			}
			p.pos++
		}
	}
	v.keys = slices.Clone(p.keys[kbase:])
	v.vals = slices.Clone(p.vals[vbase:])
	p.keys, p.vals = p.keys[:kbase], p.vals[:vbase]
	p.depth--
	return v
}

// member reads "key": value onto the member stack.
func (p *parser) member() {
	if p.next() != '"' {
		p.fail()
		return
	}
	key := p.string()
	if key == "$id" || key == "id" {
		p.ids++
	}
	if p.next() != ':' {
		p.fail()
		return
	}
	p.pos++
	val := p.value()
	p.keys = append(p.keys, key)
	p.vals = append(p.vals, val)
}

// string reads a string literal. Plain ones are sliced; ones with escapes or
// non-ASCII bytes go through encoding/json, which also replaces invalid
// UTF-8, as it does for json.Unmarshal.
func (p *parser) string() string {
	start := p.pos
	p.pos++ // "
	plain := true
	for {
		if p.pos >= len(p.data) {
			p.fail()
			return ""
		}
		c := p.data[p.pos]
		switch {
		case c == '"':
			p.pos++
			return p.stringValue(p.data[start:p.pos], plain)
		case c < ' ':
			p.fail()
			return ""
		case c == '\\':
			if !p.escape() {
				p.fail()
				return ""
			}
			plain = false
			continue
		case c >= utf8.RuneSelf:
			plain = false
		}
		p.pos++
	}
}

// escape consumes one escape sequence, reporting whether it is valid.
func (p *parser) escape() bool {
	p.pos++ // backslash
	if p.pos >= len(p.data) {
		return false
	}
	switch p.data[p.pos] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		p.pos++
		return true
	case 'u':
		if p.pos+4 >= len(p.data) {
			return false
		}
		for _, h := range p.data[p.pos+1 : p.pos+5] {
			if !isHex(h) {
				return false
			}
		}
		p.pos += 5
		return true
	}
	return false
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// stringValue returns the contents of a valid string literal raw.
func (p *parser) stringValue(raw []byte, plain bool) string {
	if plain {
		if k, ok := keywords[string(raw[1:len(raw)-1])]; ok {
			return k
		}
		return string(raw[1 : len(raw)-1])
	}
	var s string
	_ = json.Unmarshal(raw, &s) // valid: checked above
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
