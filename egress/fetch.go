package egress

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"time"

	"go.opentelemetry.io/otel/propagation"
)

// maxRedirects is how many redirects one fetch follows, as in Go's client.
const maxRedirects = 10

// follow sends req and each redirect it leads to, checking every hop
// against the policy; it returns the final response for the shim.
func (s *Session) follow(ctx context.Context, req *request) (json.RawMessage, error) {
	origin, from := req.target.origin(), ""
	for hop := 0; ; hop++ {
		start := time.Now()
		r, why := s.c.policy.match(req.method, req.target)
		if r == nil {
			err := denied(req.method, req.target, why)
			if hop > 0 {
				err = typeError("%s was redirected to %s, which is not allowed: %s", from, req.target, why)
			}
			s.record(ctx, req, nil, 0, 0, start, err)
			return nil, err
		}
		resp, err := s.send(ctx, r, req)
		if err != nil {
			err = s.c.sendError(ctx, req, r, err)
			s.record(ctx, req, r, 0, 0, start, err)
			return nil, err
		}
		next, err := s.redirect(req, resp, hop)
		if err != nil || next == nil {
			return s.respond(ctx, req, r, resp, hop > 0, start, err)
		}
		drain(resp.Body)
		s.record(ctx, req, r, resp.StatusCode, 0, start, nil)
		if next.target.origin() != origin {
			dropCredentials(next.header)
		}
		from, req = req.method+" "+req.target.String(), next
	}
}

// send makes one HTTP request: the script's headers, the trace context,
// then the rule's, which override them. Only this function ever sees
// injected values.
func (s *Session) send(ctx context.Context, r *rule, req *request) (*http.Response, error) {
	var body io.Reader = http.NoBody
	if req.body != nil {
		body = bytes.NewReader(req.body)
	}
	hr, err := http.NewRequestWithContext(ctx, req.method, req.target.String(), body)
	if err != nil {
		return nil, err
	}
	hr.URL = req.target.url()
	hr.Header = req.header.Clone()
	if hr.Header.Get("User-Agent") == "" {
		hr.Header.Set("User-Agent", "mcp-codemode")
	}
	if hr.Header.Get("Accept") == "" {
		hr.Header.Set("Accept", "*/*")
	}
	// The trace context of the fetch's span (tracing on): it replaces a
	// traceparent the script set, and a rule's inject_headers replace it.
	propagation.TraceContext{}.Inject(ctx, propagation.HeaderCarrier(hr.Header))
	for _, h := range r.inject {
		hr.Header.Set(h[0], h[1])
	}
	return s.c.transport(r).RoundTrip(hr)
}

// respond reads the final response's body within the size limit and
// encodes it for the shim.
func (s *Session) respond(ctx context.Context, req *request, r *rule, resp *http.Response, redirected bool, start time.Time, err error) (json.RawMessage, error) {
	defer resp.Body.Close()
	var body []byte
	if err == nil {
		body, err = s.readBody(req, resp)
	}
	s.record(ctx, req, r, resp.StatusCode, int64(len(body)), start, err)
	if err != nil {
		return nil, err
	}
	return s.c.encodeResponse(resp, req.target, redirected, body), nil
}

func (s *Session) readBody(req *request, resp *http.Response) ([]byte, error) {
	limit := s.c.limits.MaxResponseBytes
	tooLarge := rangeError("the response to %s %s is larger than the limit of %s (codemode.network.max_response_bytes)",
		req.method, req.target, sizeText(limit))
	if resp.ContentLength > limit {
		return nil, tooLarge
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, s.c.sendError(resp.Request.Context(), req, nil, err)
	}
	if int64(len(body)) > limit {
		return nil, tooLarge
	}
	return body, nil
}

// redirect returns the request a redirect response leads to, nil when the
// response is final (not a redirect, no Location, or redirect "manual").
func (s *Session) redirect(req *request, resp *http.Response, hop int) (*request, error) {
	loc := resp.Header.Get("Location")
	switch resp.StatusCode {
	case 301, 302, 303, 307, 308:
	default:
		return nil, nil
	}
	if loc == "" || req.redirect == "manual" {
		return nil, nil
	}
	if req.redirect == "error" {
		return nil, typeError("%s %s redirected (status %d) and redirect is \"error\"", req.method, req.target, resp.StatusCode)
	}
	if hop == maxRedirects {
		return nil, typeError("%s %s: stopped after %d redirects", req.method, req.target, maxRedirects)
	}
	u, err := req.target.url().Parse(loc)
	if err != nil {
		return nil, typeError("%s %s redirected to %q, which is not a valid URL", req.method, req.target, loc)
	}
	t, err := parseTarget(u.String())
	if err != nil {
		return nil, err
	}
	next := &request{method: req.method, target: t, header: req.header.Clone(), body: req.body, redirect: req.redirect}
	if resp.StatusCode == 303 && req.method != "HEAD" || (resp.StatusCode == 301 || resp.StatusCode == 302) && req.method == "POST" {
		next.method, next.body = "GET", nil
		for _, h := range []string{"Content-Encoding", "Content-Language", "Content-Location", "Content-Type"} {
			next.header.Del(h)
		}
	}
	return next, nil
}

// dropCredentials removes the script's own credentials when a redirect
// leaves the origin they were written for. (Injected headers are never
// carried over: each hop gets those of the rule that allows it.)
func dropCredentials(h http.Header) {
	for _, name := range []string{"Authorization", "Cookie", "Proxy-Authorization"} {
		h.Del(name)
	}
}

// drain reads a little of a body so the connection can be reused.
func drain(body io.ReadCloser) {
	_, _ = io.Copy(io.Discard, io.LimitReader(body, 64<<10))
	body.Close()
}

// sendError turns a transport error into what the script sees.
func (c *Client) sendError(ctx context.Context, req *request, r *rule, err error) error {
	var blocked *blockedError
	switch {
	case errors.As(err, &blocked):
		msg := blocked.Error()
		if r != nil {
			msg += "; " + r.String() + ` does not set "allow_private": true`
		}
		return denied(req.method, req.target, msg)
	case errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded):
		return timeoutError("%s %s did not complete within %s (codemode.network.timeout)", req.method, req.target, c.limits.Timeout)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return typeError("%s %s failed: %v", req.method, req.target, err)
}
