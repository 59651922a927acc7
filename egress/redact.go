package egress

import (
	"bytes"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
)

// Redacted replaces every injected header value and configured secret in
// what the script sees.
const Redacted = "[redacted]"

// minSecretLen is the shortest value scrubbed, as in package tools:
// replacing every "1" of a response would destroy it.
const minSecretLen = 4

// redactor scrubs secrets from responses, errors and the audit. Besides the
// value itself it scrubs the forms in which an echoing server most often
// returns it: JSON-escaped (with or without HTML escaping or "\/") and
// percent-encoded. A server that transforms a credential otherwise (base64,
// a hash, a part of it) defeats redaction: inject credentials only for APIs
// that do not do that.
type redactor struct {
	forms    [][]byte
	replacer *strings.Replacer
}

func newRedactor(secrets []string) *redactor {
	var forms []string
	for _, s := range secrets {
		if len(s) < minSecretLen {
			continue
		}
		for _, f := range encodings(s) {
			if !slices.Contains(forms, f) {
				forms = append(forms, f)
			}
		}
	}
	// Longest first: a secret containing another is replaced whole.
	slices.SortFunc(forms, func(a, b string) int { return len(b) - len(a) })
	r := &redactor{}
	pairs := make([]string, 0, 2*len(forms))
	for _, f := range forms {
		r.forms = append(r.forms, []byte(f))
		pairs = append(pairs, f, Redacted)
	}
	if len(pairs) > 0 {
		r.replacer = strings.NewReplacer(pairs...)
	}
	return r
}

// encodings are the forms of s that redaction looks for.
func encodings(s string) []string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	plain := strings.TrimSuffix(b.String(), "\n")
	plain = plain[1 : len(plain)-1]
	html, _ := json.Marshal(s)
	return []string{s, plain, string(html[1 : len(html)-1]), strings.ReplaceAll(plain, "/", `\/`),
		url.QueryEscape(s), url.PathEscape(s)}
}

func (r *redactor) string(s string) string {
	if r.replacer == nil {
		return s
	}
	return r.replacer.Replace(s)
}

// bytes scrubs b, returning b itself when it holds no secret.
func (r *redactor) bytes(b []byte) []byte {
	for _, f := range r.forms {
		if bytes.Contains(b, f) {
			return []byte(r.replacer.Replace(string(b)))
		}
	}
	return b
}
