// Package jsontext decodes JSON strings from the bytes of valid JSON, in
// one pass into one allocation: encoding/json checks a text again before
// it decodes it, unquotes it into a buffer and copies that into a string,
// three passes over a 10 MB tool result (issue 18). The sandbox makes a
// tool result's strings with it, and package tools the text of a result
// that is JSON.
//
//	s := jsontext.Unquote([]byte(`a\nb \u00e9`)) // "a\nb é"
//
// # What it guarantees
//
// For the body of a valid JSON string (between its quotes), the result is
// exactly encoding/json's: invalid UTF-8 and lone surrogates become
// U+FFFD. Anything else is not checked: the caller has checked the text
// (json.Valid, or a decoder that did).
package jsontext

import (
	"bytes"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// Unquote returns the string of body, the inside of a valid JSON string.
func Unquote(body []byte) string {
	var sb strings.Builder
	sb.Grow(len(body))
	unquoteTo(&sb, body)
	return sb.String()
}

// AppendUnquote appends the string of body to dst.
func AppendUnquote(dst, body []byte) []byte {
	b := bytes.NewBuffer(dst)
	b.Grow(len(body))
	unquoteTo(b, body)
	return b.Bytes()
}

// writer is what strings.Builder and bytes.Buffer both have.
type writer interface {
	Write([]byte) (int, error)
	WriteByte(byte) error
	WriteRune(rune) (int, error)
}

func unquoteTo(w writer, raw []byte) {
	start := 0
	for i := 0; i < len(raw); {
		switch c := raw[i]; {
		case c == '\\':
			w.Write(raw[start:i])
			i = len(raw) - len(unescape(w, raw[i:]))
			start = i
		case c < utf8.RuneSelf:
			i++
		default:
			r, size := utf8.DecodeRune(raw[i:])
			if r == utf8.RuneError && size == 1 {
				w.Write(raw[start:i])
				w.WriteRune(utf8.RuneError)
				start = i + 1
			}
			i += size
		}
	}
	w.Write(raw[start:])
}

// unescape writes the escape at the start of raw and returns what follows.
func unescape(w writer, raw []byte) []byte {
	if len(raw) < 2 {
		return nil
	}
	switch c := raw[1]; c {
	case 'b':
		w.WriteByte('\b')
	case 'f':
		w.WriteByte('\f')
	case 'n':
		w.WriteByte('\n')
	case 'r':
		w.WriteByte('\r')
	case 't':
		w.WriteByte('\t')
	case 'u':
		r, n := unescapeU(raw)
		w.WriteRune(r)
		return raw[n:]
	default: // " \\ /
		w.WriteByte(c)
	}
	return raw[2:]
}

// unescapeU decodes the \uXXXX at the start of raw, with the low half of
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
