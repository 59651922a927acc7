package redact

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
)

// rewriteJSON re-encodes data token by token, scrubbing every string (keys
// included) after decoding it, and every number holding a secret (as the
// string "[redacted]"); key order, other numbers and literals are kept.
func (r *Redactor) rewriteJSON(data []byte) (json.RawMessage, error) {
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
	r         *Redactor
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
		if w.r.Contains(t.String()) { // a secret of digits: the number becomes the placeholder string
			w.string(t.String())
		} else {
			w.buf.WriteString(t.String())
		}
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
