package sandbox

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"

	"github.com/dop251/goja"

	"github.com/mcp-codemode/mcp-codemode/internal/jsontext"
)

// A tool's result becomes the script's value here. goja's JSON.parse reads
// through encoding/json's Decoder.Token, an allocation per token: half of
// an execution receiving a 1 MB array of objects (issue 18). jsonValue
// builds the same values from the bytes directly; whatever it does not
// take (a number out of float64's range) goes through JSON.parse, so the
// values and errors are JSON.parse's.

// parseResult returns the value of the JSON text res.
func (x *execution) parseResult(res []byte) (goja.Value, error) {
	if json.Valid(res) {
		b := jsonBuilder{rt: x.rt, data: res}
		if v, ok := b.value(); ok {
			return v, nil
		}
	}
	h, err := x.help()
	if err != nil {
		return nil, err
	}
	return h.parse(goja.Undefined(), x.rt.ToValue(string(res)))
}

// jsonBuilder makes goja values of valid JSON text, as JSON.parse does:
// objects of the runtime's Object.prototype with own data properties in
// the text's order (a repeated key keeps its place and takes the last
// value; "__proto__" is a property like any other), arrays, numbers as
// float64, strings with encoding/json's decoding of escapes and invalid
// UTF-8.
type jsonBuilder struct {
	rt   *goja.Runtime
	data []byte
	i    int
	// stack holds the elements of the arrays being read, so that an
	// array's are not a slice of their own grown one by one; keys are the
	// object keys read so far, each made a string once (an array of
	// 15,000 objects has five keys, not 75,000).
	stack []any
	keys  map[string]string
}

// maxKeys bounds the keys a jsonBuilder keeps.
const maxKeys = 1024

// value reads the value at b.i; ok is false where JSON.parse must decide.
func (b *jsonBuilder) value() (goja.Value, bool) {
	b.space()
	switch c := b.data[b.i]; c {
	case '{':
		return b.object()
	case '[':
		return b.array()
	case '"':
		s, ok := b.str()
		return b.rt.ToValue(s), ok
	case 't':
		b.i += 4
		return b.rt.ToValue(true), true
	case 'f':
		b.i += 5
		return b.rt.ToValue(false), true
	case 'n':
		b.i += 4
		return goja.Null(), true
	}
	return b.number()
}

func (b *jsonBuilder) object() (goja.Value, bool) {
	obj := b.rt.NewObject()
	b.i++ // {
	for {
		b.space()
		if b.data[b.i] == '}' {
			b.i++
			return obj, true
		}
		if b.data[b.i] == ',' {
			b.i++
			b.space()
		}
		key := b.key()
		b.space()
		b.i++ // :
		v, ok := b.value()
		if !ok || !obj.CreateDataProperty(key, v) {
			return nil, false
		}
	}
}

func (b *jsonBuilder) array() (goja.Value, bool) {
	start := len(b.stack)
	defer func() {
		clear(b.stack[start:])
		b.stack = b.stack[:start]
	}()
	b.i++ // [
	for {
		b.space()
		switch b.data[b.i] {
		case ']':
			b.i++
			return b.rt.NewArray(b.stack[start:]...), true
		case ',':
			b.i++
		}
		v, ok := b.value()
		if !ok {
			return nil, false
		}
		b.stack = append(b.stack, v)
	}
}

// str reads the string at b.i: as it is when it has no escape and is
// valid UTF-8, else decoded by jsontext.Unquote, as JSON.parse does (in one
// pass, where encoding/json made three).
func (b *jsonBuilder) str() (string, bool) {
	raw, plain := b.rawString()
	if plain {
		return string(raw), true
	}
	return jsontext.Unquote(raw), true
}

// key reads the object key at b.i, the same string for the same key.
func (b *jsonBuilder) key() string {
	raw, plain := b.rawString()
	if !plain {
		return jsontext.Unquote(raw)
	}
	if k, ok := b.keys[string(raw)]; ok {
		return k
	}
	k := string(raw)
	if b.keys == nil {
		b.keys = map[string]string{}
	}
	if len(b.keys) < maxKeys {
		b.keys[k] = k
	}
	return k
}

// rawString returns the body of the string at b.i, and whether it can be
// taken as it is: no escape, valid UTF-8.
func (b *jsonBuilder) rawString() ([]byte, bool) {
	start, plain := b.i, true
	b.i++ // "
	for {
		switch c := b.data[b.i]; {
		case c == '"':
			b.i++
			raw := b.data[start+1 : b.i-1]
			return raw, plain && utf8.Valid(raw)
		case c == '\\':
			plain = false
			b.i += 2
		default:
			b.i++
		}
	}
}

func (b *jsonBuilder) number() (goja.Value, bool) {
	start := b.i
	for b.i < len(b.data) && isNumberByte(b.data[b.i]) {
		b.i++
	}
	f, err := strconv.ParseFloat(string(b.data[start:b.i]), 64)
	return b.rt.ToValue(f), err == nil
}

func isNumberByte(c byte) bool {
	return c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E'
}

// space skips white space.
func (b *jsonBuilder) space() {
	for b.i < len(b.data) {
		switch b.data[b.i] {
		case ' ', '\t', '\n', '\r':
			b.i++
		default:
			return
		}
	}
}
