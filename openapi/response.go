package openapi

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// Response is an HTTP answer, its secrets already scrubbed (package egress).
type Response struct {
	Status     int
	StatusText string
	Header     [][2]string // lower-case names
	Body       []byte
}

// Result is what a call returns: the body of a 2xx answer as JSON (the
// parsed document; text as a string; other bytes as {contentType, base64};
// nothing as null), or a *StatusError for any other status.
func (op *Operation) Result(r Response) (json.RawMessage, error) {
	if r.Status < 200 || r.Status > 299 {
		return nil, &StatusError{Operation: op.Label(), Status: r.Status, StatusText: r.StatusText, Excerpt: excerpt(r.Body)}
	}
	if len(strings.TrimSpace(string(r.Body))) == 0 {
		return json.RawMessage("null"), nil
	}
	if json.Valid(r.Body) {
		return r.Body, nil
	}
	if utf8.Valid(r.Body) {
		data, _ := json.Marshal(string(r.Body))
		return data, nil
	}
	data, _ := json.Marshal(map[string]string{"contentType": header(r.Header, "content-type"), "base64": base64.StdEncoding.EncodeToString(r.Body)})
	return data, nil
}

func header(h [][2]string, name string) string {
	for _, kv := range h {
		if strings.EqualFold(kv[0], name) {
			return kv[1]
		}
	}
	return ""
}

// excerpt is the start of a body, cut at a character, one line.
func excerpt(body []byte) string {
	s := string(body)
	if !utf8.ValidString(s) {
		return ""
	}
	if len(s) > maxExcerpt {
		cut := maxExcerpt
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return strings.Join(strings.Fields(s), " ")
}
