package redact

import (
	"bytes"
	"unicode/utf16"
	"unicode/utf8"
)

// maxLayers bounds how many times the view is decoded again when a layer
// produced a character that starts another encoding ("%255C" -> "\" ...).
// Each unit already undoes its own repetitions (%2525.., \\\\u, &amp;amp;),
// so a layer is needed only for a mix of encodings.
const maxLayers = 4

// unit kinds: what one unit of the text decodes to.
const (
	literal  = iota // the byte itself
	decByte         // one byte, from %XX
	decRune         // a character, written as UTF-8
	dropped         // nothing: a NUL (UTF-16), or backslashes before a plain character
	verbatim        // its bytes as they are: an encoding of a character no secret holds
)

// decoder decodes a unit only into a character that some secret holds, or
// that starts another unit: another unit is left as it is, so that its
// characters stay visible. ("%" right before a secret starting with two hex
// digits, "%CA%4E...", would otherwise be read as one byte 0xCA, and the
// rest of the secret would no longer match.)
type decoder struct {
	all   bool          // decode every unit
	bytes [256]bool     // bytes of the secrets' UTF-8, for %XX
	runes map[rune]bool // characters of the secrets
}

// decodeAll decodes every unit: the view of a secret itself.
var decodeAll = &decoder{all: true}

func newDecoder() *decoder {
	d := &decoder{runes: map[rune]bool{}}
	for _, c := range []byte("%\\&\x00") {
		d.bytes[c], d.runes[rune(c)] = true, true
	}
	return d
}

// add makes d decode every character of s.
func (d *decoder) add(s []byte) {
	for _, c := range s {
		d.bytes[c] = true
	}
	for _, r := range string(s) {
		d.runes[r] = true
	}
}

// unit is unitAt, but an encoding of a character no secret holds is read as
// its first byte (a run of backslashes as the run), not decoded.
func (d *decoder) unit(in []byte, i int) (kind int, v rune, n int) {
	kind, v, n = unitAt(in, i)
	if d.all || kind == decByte && d.bytes[byte(v)] || kind == decRune && d.runes[v] || kind == literal || kind == dropped {
		return kind, v, n
	}
	if in[i] != '\\' {
		return literal, 0, 1
	}
	j := i
	for j < len(in) && in[j] == '\\' {
		j++
	}
	return verbatim, 0, j - i
}

// starts reports whether a text may hold an encoded unit at all.
func starts(b []byte) bool { return bytes.ContainsAny(b, "%\\&\x00") }

// decodeLayer decodes every unit of in once. more reports whether a decoded
// character starts a unit of the output, so that another layer would
// decode more. Runs of plain bytes are copied whole.
func (d *decoder) decodeLayer(in []byte) (out []byte, more bool) {
	out = make([]byte, 0, len(in))
	var decodedStarts []int // where in out a decoded '%', '\', '&' or NUL is
	for i := 0; i < len(in); {
		if !isStart(in[i]) {
			j := i + 1
			for j < len(in) && !isStart(in[j]) {
				j++
			}
			out, i = append(out, in[i:j]...), j
			continue
		}
		kind, v, n := d.unit(in, i)
		if (kind == decByte || kind == decRune) && v < utf8.RuneSelf && isStart(byte(v)) {
			decodedStarts = append(decodedStarts, len(out))
		}
		out = appendUnit(out, kind, v, in[i:i+n])
		i += n
	}
	for _, p := range decodedStarts {
		if kind, _, _ := d.unit(out, p); kind != literal && kind != verbatim {
			return out, true
		}
	}
	return out, false
}

func isStart(c byte) bool { return c == '%' || c == '\\' || c == '&' || c == 0 }

func appendUnit(out []byte, kind int, v rune, unit []byte) []byte {
	switch kind {
	case literal, verbatim:
		return append(out, unit...)
	case decByte:
		return append(out, byte(v))
	case decRune:
		return utf8.AppendRune(out, v)
	}
	return out
}

// view is text decoded until no layer finds anything more to decode, at
// most maxLayers times; decoded is false when text is its own view. With
// keep, layers holds each layer's input, to map matches back.
func (d *decoder) view(text []byte, keep bool) (v []byte, decoded bool, layers [][]byte) {
	v = text
	for range maxLayers {
		if !starts(v) {
			break
		}
		if keep {
			layers = append(layers, v)
		}
		var more bool
		v, more = d.decodeLayer(v)
		decoded = true
		if !more {
			break
		}
	}
	return v, decoded, layers
}

// mapSpans maps spans of decodeLayer(in) to spans of in: each covers the
// whole units its bytes were decoded from.
func (d *decoder) mapSpans(in []byte, spans []span) []span {
	out := make([]span, 0, len(spans))
	k, pos, from := 0, 0, -1
	for i := 0; i < len(in) && k < len(spans); {
		kind, v, n := d.unit(in, i)
		m := outLen(kind, v, n)
		for m > 0 && k < len(spans) {
			s := spans[k]
			if from < 0 {
				if s.start >= pos+m {
					break
				}
				from = i
			}
			if s.end > pos+m {
				break
			}
			out = addSpan(out, span{from, i + n})
			from, k = -1, k+1
		}
		pos, i = pos+m, i+n
	}
	return out
}

// outLen is how many bytes a unit decodes to.
func outLen(kind int, v rune, n int) int {
	switch kind {
	case literal, decByte:
		return 1
	case verbatim:
		return n
	case decRune:
		if n := utf8.RuneLen(v); n > 0 {
			return n
		}
		return 3 // utf8.RuneError
	}
	return 0
}

// unitAt decodes the unit starting at in[i]: what it is, its value and its
// length in bytes (at least 1).
func unitAt(in []byte, i int) (kind int, v rune, n int) {
	switch in[i] {
	case 0:
		return dropped, 0, 1
	case '%':
		return percent(in, i)
	case '\\':
		return backslash(in, i)
	case '&':
		return entityAt(in, i)
	}
	return literal, 0, 1
}

// percent decodes %XX, its double encodings %25XX, %2525XX.., and %uXXXX.
func percent(in []byte, i int) (int, rune, int) {
	j := i + 1
	for bytes.HasPrefix(in[j:], []byte("25")) && isHex(in[j+2:], 2) {
		j += 2
	}
	if isHex(in[j:], 2) {
		return decByte, hexVal(in[j : j+2]), j + 2 - i
	}
	if j == i+1 && len(in) > j && (in[j] == 'u' || in[j] == 'U') && isHex(in[j+1:], 4) {
		return decRune, hexVal(in[j+1 : j+5]), 6
	}
	return literal, 0, 1
}

// backslash decodes a JavaScript escape after any number of backslashes
// (each layer of JSON doubles them): \uXXXX (a surrogate pair as one
// character), \u{X..}, \xXX, \n \r \t \b \f. Backslashes before anything
// else are dropped and the character read as the next unit.
func backslash(in []byte, i int) (int, rune, int) {
	j := i
	for j < len(in) && in[j] == '\\' {
		j++
	}
	if j == len(in) {
		return dropped, 0, j - i
	}
	switch in[j] {
	case 'u':
		return unicodeEscape(in, i, j)
	case 'x':
		if isHex(in[j+1:], 2) {
			return decRune, hexVal(in[j+1 : j+3]), j + 3 - i
		}
	case 'n':
		return decRune, '\n', j + 1 - i
	case 'r':
		return decRune, '\r', j + 1 - i
	case 't':
		return decRune, '\t', j + 1 - i
	case 'b':
		return decRune, '\b', j + 1 - i
	case 'f':
		return decRune, '\f', j + 1 - i
	}
	return dropped, 0, j - i
}

// unicodeEscape decodes \uXXXX or \u{X..} at in[j] ('u'), the backslashes
// starting at in[i].
func unicodeEscape(in []byte, i, j int) (int, rune, int) {
	if len(in) > j+1 && in[j+1] == '{' {
		k := j + 2
		for k < len(in) && k-j-2 < 6 && isHex(in[k:], 1) {
			k++
		}
		if k > j+2 && k < len(in) && in[k] == '}' {
			if r := hexVal(in[j+2 : k]); r <= utf8.MaxRune {
				return decRune, r, k + 1 - i
			}
		}
		return dropped, 0, j - i
	}
	if !isHex(in[j+1:], 4) {
		return dropped, 0, j - i
	}
	r, end := hexVal(in[j+1:j+5]), j+5
	if utf16.IsSurrogate(r) {
		if k, lo, ok := lowSurrogate(in, end); ok {
			if pair := utf16.DecodeRune(r, lo); pair != utf8.RuneError {
				return decRune, pair, k - i
			}
		}
	}
	return decRune, r, end - i
}

// lowSurrogate reads the \uXXXX after a high surrogate, with any number of
// backslashes; k is where it ends.
func lowSurrogate(in []byte, at int) (k int, lo rune, ok bool) {
	k = at
	for k < len(in) && in[k] == '\\' {
		k++
	}
	if k == at || k >= len(in) || in[k] != 'u' || !isHex(in[k+1:], 4) {
		return 0, 0, false
	}
	return k + 5, hexVal(in[k+1 : k+5]), true
}

// entityAt decodes an HTML character reference, also one whose "&" was
// itself escaped as "&amp;" once or more.
func entityAt(in []byte, i int) (int, rune, int) {
	j := i + 1
	for bytes.HasPrefix(in[j:], []byte("amp;")) {
		if _, m := entity(in[j+4:]); m == 0 {
			break
		}
		j += 4
	}
	r, m := entity(in[j:])
	if m == 0 {
		return literal, 0, 1
	}
	return decRune, r, j + m - i
}

// entity decodes the reference after an "&": #DDD, #xHH (the semicolon
// optional, as browsers read them) or a named one; m is 0 when there is none.
func entity(b []byte) (r rune, m int) {
	if len(b) > 1 && b[0] == '#' {
		return numericEntity(b)
	}
	k := 0
	for k < len(b) && k < 16 && isAlnum(b[k]) {
		k++
	}
	if k == 0 || k == len(b) || b[k] != ';' {
		return 0, 0
	}
	if r, ok := namedEntities[string(b[:k])]; ok {
		return r, k + 1
	}
	return 0, 0
}

func numericEntity(b []byte) (rune, int) {
	k, base := 1, rune(10)
	if b[1] == 'x' || b[1] == 'X' {
		k, base = 2, 16
	}
	start := k
	var v rune
	for k < len(b) && k-start < 8 && (base == 16 && isHex(b[k:], 1) || b[k] >= '0' && b[k] <= '9') {
		v = v*base + hexVal(b[k:k+1])
		k++
	}
	if k == start || v > utf8.MaxRune {
		return 0, 0
	}
	if k < len(b) && b[k] == ';' {
		k++
	}
	return v, k
}

// namedEntities are the HTML named references of ASCII characters, the
// ones an escaper may use for a character of a token.
var namedEntities = map[string]rune{
	"amp": '&', "AMP": '&', "lt": '<', "LT": '<', "gt": '>', "GT": '>', "quot": '"', "QUOT": '"',
	"apos": '\'', "excl": '!', "num": '#', "dollar": '$', "percnt": '%', "lpar": '(', "rpar": ')',
	"ast": '*', "midast": '*', "plus": '+', "comma": ',', "period": '.', "sol": '/', "colon": ':',
	"semi": ';', "equals": '=', "quest": '?', "commat": '@', "lsqb": '[', "lbrack": '[', "bsol": '\\',
	"rsqb": ']', "rbrack": ']', "Hat": '^', "lowbar": '_', "UnderBar": '_', "grave": '`',
	"DiacriticalGrave": '`', "lcub": '{', "lbrace": '{', "verbar": '|', "vert": '|', "VerticalLine": '|',
	"rcub": '}', "rbrace": '}', "Tab": '\t', "NewLine": '\n', "nbsp": '\u00a0', "NonBreakingSpace": '\u00a0',
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// isHex reports whether b starts with n hex digits.
func isHex(b []byte, n int) bool {
	if len(b) < n {
		return false
	}
	for _, c := range b[:n] {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// hexVal is the value of hex (or decimal) digits already checked.
func hexVal(b []byte) rune {
	var v rune
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			v = v*16 + rune(c-'0')
		case c >= 'a' && c <= 'f':
			v = v*16 + rune(c-'a'+10)
		default:
			v = v*16 + rune(c-'A'+10)
		}
	}
	return v
}
