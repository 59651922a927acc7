package egress

import (
	"context"
	"encoding/base64"
	"encoding/json"
)

// Request is a request made in Go on a script's behalf (an OpenAPI
// operation's call): checked, sent, bounded, scrubbed and audited exactly
// as the script's own fetch of the same request would be.
type Request struct {
	Method string
	URL    string
	Header [][2]string
	Body   []byte // nil: none
}

// Response is what Do answers: the status, the headers (lower-case names)
// and the body, every secret replaced by "[redacted]".
type Response struct {
	Status     int
	StatusText string
	Header     [][2]string
	Body       []byte
}

// Do sends r through Fetch, so that no request of ours takes a path a
// script's could not: same policy, guards, limits, redaction and audit.
// Redirects are followed (each hop checked). Errors are *Error, as Fetch's.
func (s *Session) Do(ctx context.Context, r Request) (*Response, error) {
	w := wireRequest{URL: r.URL, Method: r.Method, Headers: r.Header, Redirect: "follow"}
	if w.Headers == nil {
		w.Headers = [][2]string{}
	}
	if r.Body != nil {
		b := base64.StdEncoding.EncodeToString(r.Body)
		w.BodyBase64 = &b
	}
	args, err := json.Marshal(w)
	if err != nil {
		return nil, err
	}
	out, err := s.Fetch(ctx, args)
	if err != nil {
		return nil, err
	}
	var wr wireResponse
	if err := json.Unmarshal(out, &wr); err != nil {
		return nil, err
	}
	resp := &Response{Status: wr.Status, StatusText: wr.StatusText, Header: wr.Headers, Body: []byte(wr.Body)}
	if wr.BodyBase64 != "" {
		if resp.Body, err = base64.StdEncoding.DecodeString(wr.BodyBase64); err != nil {
			return nil, err
		}
	}
	return resp, nil
}
