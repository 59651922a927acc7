package egress

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// wireRequest is what the shim sends: the Request, flattened.
type wireRequest struct {
	URL        string      `json:"url"`
	Method     string      `json:"method"`
	Headers    [][2]string `json:"headers"`
	Body       *string     `json:"body"`        // text, sent as UTF-8
	BodyBase64 *string     `json:"body_base64"` // bytes
	Redirect   string      `json:"redirect"`    // "follow" (default), "manual" or "error"
}

// wireResponse is what the shim gets back. Body is set when the response is
// valid UTF-8, BodyBase64 otherwise.
type wireResponse struct {
	Status     int         `json:"status"`
	StatusText string      `json:"statusText"`
	URL        string      `json:"url"`
	Redirected bool        `json:"redirected"`
	Headers    [][2]string `json:"headers"`
	Body       string      `json:"body,omitempty"`
	BodyBase64 string      `json:"body_base64,omitempty"`
}

// request is one fetch, checked: method, URL, headers and body as they go
// on the wire (before the rule's headers are injected).
type request struct {
	method   string
	target   *target
	header   http.Header
	body     []byte // nil: no body
	redirect string
}

func decodeRequest(args json.RawMessage, maxBody int64) (*request, error) {
	var w wireRequest
	if err := json.Unmarshal(args, &w); err != nil {
		return nil, typeError("invalid request: %v", err)
	}
	r := &request{method: normalizeMethod(w.Method), redirect: w.Redirect}
	if !isToken(r.method) || forbiddenMethod(r.method) {
		return nil, typeError("%q is not a method fetch can send", w.Method)
	}
	var err error
	if r.target, err = parseTarget(w.URL); err != nil {
		return nil, err
	}
	if r.header, err = requestHeader(w.Headers); err != nil {
		return nil, err
	}
	if r.body, err = requestBody(w, maxBody); err != nil {
		return nil, err
	}
	if r.body != nil && (r.method == "GET" || r.method == "HEAD") {
		return nil, typeError("a %s request cannot have a body", r.method)
	}
	switch r.redirect {
	case "":
		r.redirect = "follow"
	case "follow", "manual", "error":
	default:
		return nil, typeError(`redirect is %q; use "follow", "manual" or "error"`, w.Redirect)
	}
	return r, nil
}

// normalizeMethod upper-cases the standard methods, as fetch does (and
// PATCH too, which fetch leaves alone, to servers' surprise).
func normalizeMethod(m string) string {
	if m == "" {
		return "GET"
	}
	switch u := strings.ToUpper(m); u {
	case "DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "CONNECT", "TRACE", "TRACK":
		return u
	}
	return m
}

// forbiddenHeaders are request headers the transport owns; like browsers,
// fetch drops them silently. (Host would let a script address another
// virtual host than the one the policy allowed.)
var forbiddenHeaders = []string{"Accept-Encoding", "Connection", "Content-Length", "Expect", "Host",
	"Keep-Alive", "Te", "Trailer", "Transfer-Encoding", "Upgrade"}

func requestHeader(pairs [][2]string) (http.Header, error) {
	h := http.Header{}
	for _, p := range pairs {
		name, value := http.CanonicalHeaderKey(p[0]), strings.Trim(p[1], " \t")
		if !isToken(p[0]) {
			return nil, typeError("%q is not a valid header name", p[0])
		}
		if strings.ContainsAny(value, "\r\n\x00") {
			return nil, typeError("the value of header %s contains a line break or NUL", name)
		}
		if slices.Contains(forbiddenHeaders, name) || strings.HasPrefix(name, "Proxy-") {
			continue
		}
		h.Add(name, value)
	}
	return h, nil
}

func requestBody(w wireRequest, max int64) ([]byte, error) {
	var b []byte
	switch {
	case w.BodyBase64 != nil:
		var err error
		if b, err = base64.StdEncoding.DecodeString(*w.BodyBase64); err != nil {
			return nil, typeError("invalid request body: %v", err)
		}
	case w.Body != nil:
		b = []byte(*w.Body)
	default:
		return nil, nil
	}
	if int64(len(b)) > max {
		return nil, rangeError("the request body has %d bytes; the limit is %s (codemode.network.max_response_bytes)", len(b), sizeText(max))
	}
	return b, nil
}

// encodeResponse builds what the shim reads; every header value, the URL
// and the body are scrubbed of secrets.
func (c *Client) encodeResponse(resp *http.Response, t *target, redirected bool, body []byte) json.RawMessage {
	w := wireResponse{
		Status:     resp.StatusCode,
		StatusText: c.red.string(strings.TrimPrefix(resp.Status, strconv.Itoa(resp.StatusCode)+" ")),
		URL:        c.red.string(t.String()),
		Redirected: redirected,
		Headers:    [][2]string{},
	}
	names := make([]string, 0, len(resp.Header))
	for name := range resp.Header {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		for _, v := range resp.Header[name] {
			w.Headers = append(w.Headers, [2]string{strings.ToLower(name), c.red.string(v)})
		}
	}
	body = c.red.bytes(body)
	if utf8.Valid(body) {
		w.Body = string(body)
	} else {
		w.BodyBase64 = base64.StdEncoding.EncodeToString(body)
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(w) // strings and ints only
	return bytes.TrimSuffix(out.Bytes(), []byte("\n"))
}
