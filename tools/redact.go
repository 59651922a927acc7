package tools

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"strconv"
	"strings"
)

// Redacted replaces every secret value in results, errors and forwarded logs.
const Redacted = "[redacted]"

// minSecretLen is the shortest value treated as a secret. Shorter values
// carry no secrecy worth the damage of scrubbing every occurrence of, say,
// "1" or "on" from every result.
const minSecretLen = 4

// redactor scrubs secret values from text and JSON. The zero value and a
// redactor without secrets pass everything through unchanged.
type redactor struct {
	secrets  []string
	replacer *strings.Replacer
}

func newRedactor(secrets []string) *redactor {
	var keep []string
	for _, s := range secrets {
		if len(s) >= minSecretLen && !slices.Contains(keep, s) {
			keep = append(keep, s)
		}
	}
	if len(keep) == 0 {
		return &redactor{}
	}
	// Longest first: strings.Replacer prefers earlier arguments at the same
	// position, so a secret that contains another is replaced whole.
	slices.SortFunc(keep, func(a, b string) int { return len(b) - len(a) })
	pairs := make([]string, 0, 2*len(keep))
	for _, s := range keep {
		pairs = append(pairs, s, Redacted)
	}
	return &redactor{secrets: keep, replacer: strings.NewReplacer(pairs...)}
}

// String scrubs plain text.
func (r *redactor) String(s string) string {
	if r == nil || r.replacer == nil {
		return s
	}
	return r.replacer.Replace(s)
}

// Error returns err with its text scrubbed, keeping it unwrappable; nil
// stays nil.
func (r *redactor) Error(err error) error {
	if err == nil {
		return nil
	}
	msg := r.String(err.Error())
	if msg == err.Error() {
		return err
	}
	return &messageError{msg: msg, err: err}
}

// JSON scrubs a JSON document. Secrets are matched in the decoded strings
// (keys and values), so an escaped occurrence ("se\"cret", "\u0073ecret")
// is found too, and the output stays valid JSON with key order kept.
// Invalid JSON is scrubbed as text.
func (r *redactor) JSON(data json.RawMessage) json.RawMessage {
	if r == nil || r.replacer == nil || !r.mayContain(data) {
		return data
	}
	if !json.Valid(data) {
		return json.RawMessage(r.String(string(data)))
	}
	out, err := r.rewriteJSON(data)
	if err != nil {
		return json.RawMessage(r.String(string(data)))
	}
	return out
}

// mayContain is a fast check: without a backslash no string can hide a
// secret behind an escape, so a plain search decides.
func (r *redactor) mayContain(data []byte) bool {
	if bytes.IndexByte(data, '\\') >= 0 {
		return true
	}
	for _, s := range r.secrets {
		if bytes.Contains(data, []byte(s)) {
			return true
		}
	}
	return false
}

// rewriteJSON re-encodes data token by token, scrubbing every string.
func (r *redactor) rewriteJSON(data []byte) (json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	w := jsonWriter{r: r}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		w.token(tok, dec.More())
	}
	if w.depth != 0 || w.buf.Len() == 0 {
		return nil, errors.New("truncated JSON")
	}
	return w.buf.Bytes(), nil
}

// jsonWriter re-emits decoder tokens with separators. In an object,
// strings alternate between key and value; expectKey tracks which.
type jsonWriter struct {
	r         *redactor
	buf       bytes.Buffer
	depth     int
	inObject  []bool
	expectKey bool
}

func (w *jsonWriter) token(tok json.Token, more bool) {
	switch t := tok.(type) {
	case json.Delim:
		w.delim(t, more)
		return
	case string:
		w.string(t)
		if w.expectKey {
			w.buf.WriteByte(':')
			w.expectKey = false
			return
		}
	case json.Number:
		w.buf.WriteString(t.String())
	case bool:
		w.buf.WriteString(strconv.FormatBool(t))
	case nil:
		w.buf.WriteString("null")
	}
	w.afterValue(more)
}

func (w *jsonWriter) string(s string) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(w.r.String(s))
	w.buf.Write(bytes.TrimRight(b.Bytes(), "\n"))
}

// afterValue writes the comma between elements and, in an object, expects
// a key next.
func (w *jsonWriter) afterValue(more bool) {
	if w.depth == 0 || !more {
		return
	}
	w.buf.WriteByte(',')
	w.expectKey = w.inObject[w.depth-1]
}

func (w *jsonWriter) delim(d json.Delim, more bool) {
	w.buf.WriteByte(byte(d))
	switch d {
	case '{', '[':
		w.depth++
		w.inObject = append(w.inObject, d == '{')
		w.expectKey = d == '{'
	default:
		w.depth--
		w.inObject = w.inObject[:w.depth]
		w.expectKey = false
		w.afterValue(more)
	}
}
