package egress

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mcp-codemode/mcp-codemode/sandbox"
)

// Session is the network state of one execution: how many requests it
// started, how many run at once, and what it sent. Create one per
// execution with Client.Session; Fetch may be called concurrently.
type Session struct {
	c       *Client
	slots   chan struct{}
	started atomic.Int64

	mu      sync.Mutex
	records []Record
}

// Session starts the network state of one execution.
func (c *Client) Session() *Session {
	return &Session{c: c, slots: make(chan struct{}, c.limits.MaxConcurrent)}
}

// Record is one request in the audit: sent, or refused before sending.
type Record struct {
	Method     string  `json:"method"`
	URL        string  `json:"url"` // secret-looking query values replaced by REDACTED
	Rule       string  `json:"rule,omitempty"`
	Status     int     `json:"status,omitempty"`
	Bytes      int64   `json:"bytes"` // response body bytes read
	DurationMS float64 `json:"duration_ms"`
	Error      string  `json:"error,omitempty"`
}

// Records returns the audit of the session so far, in the order the
// requests ended; nil for a nil Session.
func (s *Session) Records() []Record {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Record(nil), s.records...)
}

// Fetch is the sandbox binding: args is the shim's request, the result the
// response it builds a Response from. Errors are *Error (they carry the JS
// error name) or, once the execution has ended, its context's error.
func (s *Session) Fetch(ctx context.Context, args json.RawMessage) (json.RawMessage, error) {
	req, err := decodeRequest(args, s.c.limits.MaxResponseBytes)
	if err != nil {
		return nil, s.c.scrub(err)
	}
	if n := s.started.Add(1); n > int64(s.c.limits.MaxRequests) {
		err := rangeError("too many requests: the limit is %d per execution (codemode.network.max_requests)", s.c.limits.MaxRequests)
		s.record(ctx, req, nil, 0, 0, time.Now(), err)
		return nil, err
	}
	select {
	case s.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-s.slots }()
	rctx, cancel := context.WithTimeout(ctx, s.c.limits.Timeout)
	defer cancel()
	res, err := s.follow(rctx, req)
	if err != nil && ctx.Err() != nil {
		return nil, ctx.Err() // the execution ended; nobody reads this
	}
	return res, s.c.scrub(err)
}

// record adds one request to the audit and the log. The error's text gets
// the audit's form of the URL too, so the log holds no query secret.
func (s *Session) record(ctx context.Context, req *request, r *rule, status int, n int64, start time.Time, err error) {
	u := req.target.auditURL()
	rec := Record{Method: req.method, URL: s.c.red.string(u), Status: status, Bytes: n,
		DurationMS: float64(time.Since(start).Microseconds()) / 1000}
	attrs := []any{"method", rec.Method, "url", rec.URL}
	if r != nil {
		rec.Rule = r.key
		attrs = append(attrs, "rule", rec.Rule)
	}
	attrs = append(attrs, "status", rec.Status, "bytes", rec.Bytes, "duration_ms", rec.DurationMS)
	if err != nil {
		rec.Error = s.c.red.string(strings.ReplaceAll(err.Error(), req.target.String(), u))
		attrs = append(attrs, "error", rec.Error)
	}
	s.mu.Lock()
	s.records = append(s.records, rec)
	s.mu.Unlock()
	s.c.log.InfoContext(ctx, "fetch", attrs...)
}

// scrub removes secrets from an error's message, keeping its JS name.
func (c *Client) scrub(err error) error {
	if err == nil {
		return nil
	}
	e, ok := err.(*Error)
	if !ok {
		e = &Error{Name: sandbox.NameType, Msg: err.Error()}
	}
	return &Error{Name: e.Name, Msg: c.red.string(e.Msg)}
}
