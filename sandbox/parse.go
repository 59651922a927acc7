package sandbox

import (
	"encoding/json"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/dop251/goja"
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
	return x.helpers.parse(goja.Undefined(), x.rt.ToValue(string(res)))
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
		if !ok || obj.DefineDataProperty(key, v, goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_TRUE) != nil {
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
// valid UTF-8, else decoded by unquote, as JSON.parse does.
func (b *jsonBuilder) str() (string, bool) {
	raw, plain := b.rawString()
	if plain {
		return string(raw), true
	}
	return unquote(raw), true
}

// key reads the object key at b.i, the same string for the same key.
func (b *jsonBuilder) key() string {
	raw, plain := b.rawString()
	if !plain {
		return unquote(raw)
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

// unquote decodes the body of a valid JSON string as encoding/json does
// (invalid UTF-8 and lone surrogates become U+FFFD), in one pass into one
// allocation: encoding/json checked the text again, unquoted it into a
// buffer and copied that into a string, three passes over a 10 MB text
// (issue 18).
func unquote(raw []byte) string {
	var sb strings.Builder
	sb.Grow(len(raw))
	start := 0
	for i := 0; i < len(raw); {
		switch c := raw[i]; {
		case c == '\\':
			sb.Write(raw[start:i])
			i = len(raw) - len(unescape(&sb, raw[i:]))
			start = i
		case c < utf8.RuneSelf:
			i++
		default:
			r, size := utf8.DecodeRune(raw[i:])
			if r == utf8.RuneError && size == 1 {
				sb.Write(raw[start:i])
				sb.WriteRune(utf8.RuneError)
				start = i + 1
			}
			i += size
		}
	}
	sb.Write(raw[start:])
	return sb.String()
}

// unescape writes the escape at the start of raw and returns what follows.
func unescape(sb *strings.Builder, raw []byte) []byte {
	if len(raw) < 2 {
		return nil
	}
	switch c := raw[1]; c {
	case 'b':
		sb.WriteByte('\b')
	case 'f':
		sb.WriteByte('\f')
	case 'n':
		sb.WriteByte('\n')
	case 'r':
		sb.WriteByte('\r')
	case 't':
		sb.WriteByte('\t')
	case 'u':
		r, n := unescapeU(raw)
		sb.WriteRune(r)
		return raw[n:]
	default: // " \\ /
		sb.WriteByte(c)
	}
	return raw[2:]
}

// unescapeU decodes the \\uXXXX at the start of raw, with the low half of
// a surrogate pair when it follows, and says how many bytes it took.
func unescapeU(raw []byte) (rune, int) {
	r := hex4(raw[2:])
	if r < 0 {
		return utf8.RuneError, min(len(raw), 6)
	}
	if !utf16.IsSurrogate(r) {
		return r, 6
	}
	if len(raw) >= 12 && raw[6] == '\\' && raw[7] == 'u' {
		if pair := utf16.DecodeRune(r, hex4(raw[8:])); pair != unicode.ReplacementChar {
			return pair, 12
		}
	}
	return unicode.ReplacementChar, 6
}

// hex4 is the value of four hex digits, or -1.
func hex4(b []byte) rune {
	if len(b) < 4 {
		return -1
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r*16 + rune(c)
	}
	return r
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
