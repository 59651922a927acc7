package redact

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strings"
)

// Redacted replaces every secret.
const Redacted = "[redacted]"

// MinSecretLen is the shortest value treated as a secret. Shorter values
// carry no secrecy worth the damage of scrubbing every occurrence of, say,
// "1" or "on" from every result.
const MinSecretLen = 4

// minBase64Len is the shortest base64 form searched: shorter ones would
// match by chance in any base64 text.
const minBase64Len = 8

// Redactor scrubs secrets from text, bytes, JSON, errors and log records.
// A nil Redactor, and one without secrets, pass everything through. It is
// safe for concurrent use.
type Redactor struct {
	raw  *matcher // the secrets as they are, searched in the text itself
	view *matcher // their decoded forms, searched in the text's view
	dec  *decoder
}

// New returns a Redactor of secrets; values shorter than MinSecretLen are
// ignored.
func New(secrets []string) *Redactor {
	var keep []string
	dec := newDecoder()
	for _, s := range secrets {
		if len(s) >= MinSecretLen {
			keep = append(keep, s)
			full, _, _ := decodeAll.view([]byte(s), false)
			dec.add([]byte(s))
			dec.add(full)
		}
	}
	if len(keep) == 0 {
		return &Redactor{}
	}
	var raw, decoded [][]byte
	for _, s := range keep {
		b64 := base64Forms(s)
		raw = append(append(raw, []byte(s)), b64...)
		decoded = append(append(decoded, dec.decodedForms(s)...), b64...)
	}
	return &Redactor{raw: newMatcher(raw), view: newMatcher(decoded), dec: dec}
}

// Empty reports whether r scrubs nothing.
func (r *Redactor) Empty() bool { return r == nil || r.raw == nil }

// decodedForms are what s looks like in a view: s decoded as any text is
// (so s itself matches however it is written), and with "+" for spaces
// (form encoding).
func (d *decoder) decodedForms(s string) [][]byte {
	var out [][]byte
	forms := []string{s}
	if strings.Contains(s, " ") {
		forms = append(forms, strings.ReplaceAll(s, " ", "+"))
	}
	for _, f := range forms {
		if v, _, _ := d.view([]byte(f), false); len(v) >= MinSecretLen {
			out = append(out, v)
		}
	}
	return out
}

// base64Forms are the parts of the base64 (standard and URL alphabets) of
// any text containing s that depend on s alone: one per alignment of s in
// the 3-byte groups.
func base64Forms(s string) [][]byte {
	var out [][]byte
	for k := range 3 {
		padded := []byte(strings.Repeat("\x00", k) + s)
		for _, enc := range []*base64.Encoding{base64.RawStdEncoding, base64.RawURLEncoding} {
			e := enc.EncodeToString(padded)
			from, to := []int{0, 2, 3}[k], len(e)
			if len(padded)%3 != 0 {
				to-- // its last character mixes in what follows s
			}
			if to-from >= minBase64Len {
				out = append(out, []byte(e[from:to]))
			}
		}
	}
	return out
}

// spans are the byte ranges of text to replace, sorted and disjoint; nil
// when text holds no secret.
func (r *Redactor) spans(text []byte) []span {
	v, decoded, _ := r.dec.view(text, false)
	found := r.view.find(v)
	if !decoded {
		return found // text is its view, and every raw secret is a view form
	}
	raw := r.raw.find(text)
	if len(found) == 0 {
		return raw
	}
	_, _, layers := r.dec.view(text, true)
	for i := len(layers) - 1; i >= 0; i-- {
		found = r.dec.mapSpans(layers[i], found)
	}
	return merge(found, raw)
}

// Bytes scrubs b, returning b itself when it holds no secret.
func (r *Redactor) Bytes(b []byte) []byte {
	if r.Empty() {
		return b
	}
	if sp := r.spans(b); sp != nil {
		return replace(b, sp)
	}
	return b
}

// String scrubs plain text.
func (r *Redactor) String(s string) string {
	if r.Empty() || len(s) < 2 {
		return s
	}
	if sp := r.spans([]byte(s)); sp != nil {
		return string(replace([]byte(s), sp))
	}
	return s
}

// Contains reports whether s holds a secret in any form.
func (r *Redactor) Contains(s string) bool {
	return !r.Empty() && r.spans([]byte(s)) != nil
}

// Error returns err with its text scrubbed, keeping it unwrappable; nil
// stays nil, and an error without a secret is returned as it is.
func (r *Redactor) Error(err error) error {
	if err == nil {
		return nil
	}
	msg := r.String(err.Error())
	if msg == err.Error() {
		return err
	}
	return &scrubbed{msg: msg, err: err}
}

// scrubbed is an error under its redacted message.
type scrubbed struct {
	msg string
	err error
}

func (e *scrubbed) Error() string { return e.msg }
func (e *scrubbed) Unwrap() error { return e.err }

// JSON scrubs a JSON document, keeping it valid: the replacement is made in
// the text, and when a secret holding a quote matched across the syntax,
// in the decoded strings instead. Invalid JSON is scrubbed as text.
func (r *Redactor) JSON(data json.RawMessage) json.RawMessage {
	if r.Empty() {
		return data
	}
	sp := r.spans(data)
	if sp == nil {
		return data
	}
	out := replace(data, sp)
	if json.Valid(out) || !json.Valid(data) {
		return out
	}
	if w, err := r.rewriteJSON(data); err == nil {
		return w
	}
	return out
}

// replace writes text with each span replaced by Redacted. A span holding
// NULs is UTF-16 text: the replacement is written the same way, between
// the span's leading and trailing NULs, so the text keeps its alignment.
func replace(text []byte, spans []span) []byte {
	out := make([]byte, 0, len(text))
	prev := 0
	for _, s := range spans {
		out = append(out, text[prev:s.start]...)
		out = appendRedacted(out, text[s.start:s.end])
		prev = s.end
	}
	return append(out, text[prev:]...)
}

func appendRedacted(out, seg []byte) []byte {
	if bytes.IndexByte(seg, 0) < 0 {
		return append(out, Redacted...)
	}
	inner := bytes.Trim(seg, "\x00")
	lead := len(seg) - len(bytes.TrimLeft(seg, "\x00"))
	out = append(out, seg[:lead]...)
	for i := range len(Redacted) {
		if i > 0 {
			out = append(out, 0)
		}
		out = append(out, Redacted[i])
	}
	return append(out, seg[lead+len(inner):]...)
}
