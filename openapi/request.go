package openapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/url"
	"slices"
	"strings"
)

// Request is one call as it goes on the wire, before the entry's headers
// are added (in Go, past the script: package egress).
type Request struct {
	Method string
	URL    string
	Header [][2]string
	Body   []byte // nil: none
}

// Request builds the HTTP request for args, the call's arguments (already
// valid against Input): path parameters percent-encoded, query, header and
// cookie parameters in their style, the body in its media type.
func (op *Operation) Request(args json.RawMessage) (Request, error) {
	var in map[string]json.RawMessage
	if err := json.Unmarshal(args, &in); err != nil {
		return Request{}, &ArgumentError{Msg: fmt.Sprintf("the arguments are not an object: %v", err)}
	}
	req := Request{Method: op.Method}
	path, query, cookies := op.Path, []string{}, []string{}
	for _, p := range op.params {
		raw, ok := in[p.prop]
		if !ok || string(raw) == "null" {
			continue
		}
		v, err := decode(raw)
		if err != nil {
			return Request{}, err
		}
		switch p.in {
		case "path":
			if dotted(v) {
				return Request{}, &ArgumentError{Msg: fmt.Sprintf("%s: %q is not a path parameter this API can be sent: "+
					`"." and ".." segments would change which operation is called`, p.prop, text(v))}
			}
			path = strings.ReplaceAll(path, "{"+p.name+"}", pathValue(p, v))
		case "query":
			query = append(query, queryValue(p, v)...)
		case "header":
			req.Header = append(req.Header, [2]string{p.name, simple(v, p.explode, plain)})
		case "cookie":
			cookies = append(cookies, p.name+"="+simple(v, p.explode, escape))
		}
	}
	if len(cookies) > 0 {
		req.Header = append(req.Header, [2]string{"Cookie", strings.Join(cookies, "; ")})
	}
	u := *op.base
	req.URL = strings.TrimSuffix(u.String(), "/") + path
	if len(query) > 0 {
		req.URL += "?" + strings.Join(query, "&")
	}
	if op.accept != "" {
		req.Header = append(req.Header, [2]string{"Accept", op.accept})
	}
	return req, op.encodeBody(&req, in["body"])
}

// decode reads a JSON value keeping numbers as they were written.
func decode(raw json.RawMessage) (any, error) {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, &ArgumentError{Msg: fmt.Sprintf("invalid JSON in the arguments: %v", err)}
	}
	return v, nil
}

// text is a scalar as a parameter carries it; an object or array nested
// where the style has no form for it is its JSON.
func text(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	case bool:
		if v {
			return "true"
		}
		return "false"
	case nil:
		return ""
	}
	data, _ := json.Marshal(v)
	return string(data)
}

// escape percent-encodes everything but the unreserved characters, as
// encodeURIComponent does less its !'()*: a path segment or query value
// can hold no character that changes what the URL says.
func escape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

// reservedOK is escape leaving RFC 3986's reserved characters
// (allowReserved), but those that would end the value or the query (&, =,
// #) or change it (+ is a space to many servers): a value never adds a
// parameter the schema did not check.
func reservedOK(s string) string {
	out := escape(s)
	for _, c := range ":/?[]@!$'()*,;" {
		out = strings.ReplaceAll(out, fmt.Sprintf("%%%02X", c), string(c))
	}
	return out
}

func plain(s string) string { return s }

// simple is the simple style: a,b,c for an array; k,v,k2,v2 for an object,
// k=v,k2=v2 exploded.
func simple(v any, explode bool, enc func(string) string) string {
	switch v := v.(type) {
	case []any:
		parts := make([]string, len(v))
		for i, e := range v {
			parts[i] = enc(text(e))
		}
		return strings.Join(parts, ",")
	case map[string]any:
		var parts []string
		for _, k := range sortedKeys(v) {
			if explode {
				parts = append(parts, enc(k)+"="+enc(text(v[k])))
			} else {
				parts = append(parts, enc(k), enc(text(v[k])))
			}
		}
		return strings.Join(parts, ",")
	}
	return enc(text(v))
}

// pathValue is a path parameter in its style (simple, label or matrix),
// every value percent-encoded: a "/" in a value stays inside its segment.
func pathValue(p param, v any) string {
	switch p.style {
	case "label":
		sep := ","
		if p.explode {
			sep = "."
		}
		return "." + strings.ReplaceAll(simple(v, p.explode, escape), ",", sep)
	case "matrix":
		if arr, ok := v.([]any); ok && p.explode {
			var b strings.Builder
			for _, e := range arr {
				b.WriteString(";" + p.name + "=" + escape(text(e)))
			}
			return b.String()
		}
		return ";" + p.name + "=" + simple(v, p.explode, escape)
	}
	return simple(v, p.explode, escape)
}

// queryValue is a query parameter as name=value pairs, in its style.
func queryValue(p param, v any) []string {
	enc := escape
	if p.reserved {
		enc = reservedOK
	}
	name := enc(p.name)
	switch v := v.(type) {
	case []any:
		if p.explode && (p.style == "form" || p.style == "") {
			out := make([]string, len(v))
			for i, e := range v {
				out[i] = name + "=" + enc(text(e))
			}
			return out
		}
		sep := map[string]string{"spaceDelimited": "%20", "pipeDelimited": "|", "tabDelimited": "%09"}[p.style]
		if sep == "" {
			sep = ","
		}
		parts := make([]string, len(v))
		for i, e := range v {
			parts[i] = enc(text(e))
		}
		return []string{name + "=" + strings.Join(parts, sep)}
	case map[string]any:
		var out []string
		for _, k := range sortedKeys(v) {
			switch {
			case p.style == "deepObject":
				out = append(out, name+"%5B"+enc(k)+"%5D="+enc(text(v[k])))
			case p.explode:
				out = append(out, enc(k)+"="+enc(text(v[k])))
			}
		}
		if p.style != "deepObject" && !p.explode {
			out = []string{name + "=" + simple(v, false, enc)}
		}
		return out
	}
	return []string{name + "=" + enc(text(v))}
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// encodeBody sets the body in the operation's media type: JSON as given,
// a form or multipart form from an object, anything else a string as is.
func (op *Operation) encodeBody(req *Request, raw json.RawMessage) error {
	if op.body == nil || raw == nil || string(raw) == "null" {
		return nil
	}
	mt := op.body.mediaType
	switch {
	case isJSON(mt):
		req.Body = raw
		if mediaType(mt) == "*/*" || mediaType(mt) == "application/*" {
			mt = "application/json"
		}
	case isForm(mt):
		form, err := formValues(raw)
		if err != nil {
			return err
		}
		req.Body = []byte(form.Encode())
	case isMultipart(mt):
		data, boundary, err := multipartBody(raw)
		if err != nil {
			return err
		}
		req.Body, mt = data, "multipart/form-data; boundary="+boundary
	default:
		v, err := decode(raw)
		if err != nil {
			return err
		}
		req.Body = []byte(text(v))
	}
	req.Header = append(req.Header, [2]string{"Content-Type", mt})
	return nil
}

// fields is a form body's object: each member a field, an array's
// elements repeated, anything nested as JSON.
func fields(raw json.RawMessage) ([][2]string, error) {
	v, err := decode(raw)
	if err != nil {
		return nil, err
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, &ArgumentError{Msg: "body: a form body is an object of fields"}
	}
	var out [][2]string
	for _, k := range sortedKeys(obj) {
		if arr, ok := obj[k].([]any); ok {
			for _, e := range arr {
				out = append(out, [2]string{k, text(e)})
			}
			continue
		}
		out = append(out, [2]string{k, text(obj[k])})
	}
	return out, nil
}

func formValues(raw json.RawMessage) (url.Values, error) {
	fs, err := fields(raw)
	form := url.Values{}
	for _, f := range fs {
		form.Add(f[0], f[1])
	}
	return form, err
}

func multipartBody(raw json.RawMessage) ([]byte, string, error) {
	fs, err := fields(raw)
	if err != nil {
		return nil, "", err
	}
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for _, f := range fs {
		if err := mw.WriteField(f[0], f[1]); err != nil {
			return nil, "", err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, "", err
	}
	return b.Bytes(), mw.Boundary(), nil
}

// dotted reports whether a path parameter's value has a "." or ".."
// segment (between slashes or backslashes, encoded or not): resolved by
// the client or the server, it would reach another path than the
// operation's, past the entry's "operations".
func dotted(v any) bool {
	var values []any
	switch v := v.(type) {
	case []any:
		values = v
	case map[string]any:
		for k, e := range v {
			values = append(values, k, e)
		}
	default:
		values = []any{v}
	}
	for _, e := range values {
		s := strings.ToLower(text(e))
		s = strings.NewReplacer("%2e", ".", "%2f", "/", "%5c", "/", "\\", "/").Replace(s)
		for seg := range strings.SplitSeq(s, "/") {
			if seg == "." || seg == ".." {
				return true
			}
		}
	}
	return false
}
