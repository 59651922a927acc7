package hosted

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"

	"github.com/mcp-codemode/mcp-codemode/server"
)

// streamable builds mcp-go's streamable HTTP transport: sessions from this
// package's table (or none, stateless), Host checks left to the guard
// (which knows allowed_hosts: mcp-go's own would refuse a proxy's Host).
func (h *Handler) streamable() http.Handler {
	opts := []mcpserver.StreamableHTTPOption{
		mcpserver.WithEndpointPath("/mcp"),
		mcpserver.WithDisableLocalhostProtection(true),
		mcpserver.WithStreamableHTTPLogger(h.log),
	}
	if h.opts.Config.Stateless {
		opts = append(opts, mcpserver.WithStateLess(true))
	} else {
		opts = append(opts, mcpserver.WithSessionIdManagerResolver(h.sessions),
			mcpserver.WithSessionIdleTTL(h.sessions.idle))
	}
	return mcpserver.NewStreamableHTTPServer(h.opts.Server.MCP(), opts...)
}

// serveStreamable serves /mcp. A posted request gets its own Stream and a
// cancel registered under (subject, session, id); notifications/cancelled
// is answered here. GET streams end when shutdown begins.
func (h *Handler) serveStreamable(w http.ResponseWriter, r *http.Request) {
	m := messageFrom(r)
	switch {
	case r.Method == http.MethodGet:
		h.serveGet(w, r)
	case m.isCancel():
		h.cancel(r, m.cancelID)
		w.WriteHeader(http.StatusAccepted)
	case m.isRequest():
		h.serveRequest(w, r, m)
	case m.isResponse() && h.rep != nil:
		h.rep.answer(w, r, m)
	default:
		h.mcp.ServeHTTP(w, r)
	}
}

// serveGet serves a standalone GET stream, one per session at a time (409
// for another). One without a session id makes mcp-go open a session for
// as long as the stream lasts: it counts against the caps, and is
// forgotten when the stream ends (its id was never told).
func (h *Handler) serveGet(w http.ResponseWriter, r *http.Request) {
	ctx, stop := mergeCancel(r.Context(), h.streams)
	defer stop()
	r = r.WithContext(ctx)
	id := r.Header.Get(mcpserver.HeaderKeySessionID)
	switch {
	case !h.stateful():
	case id == "":
		var release func(bool)
		if r, release = h.reserveSession(w, r); release == nil {
			return
		}
		defer release(false)
	default:
		done, err := h.sessions.listen(id)
		if err != nil {
			status := http.StatusConflict
			if errors.Is(err, errNoSession) {
				status = http.StatusNotFound
			}
			h.refuse(w, r, status, err.Error())
			return
		}
		defer done()
	}
	if h.rep != nil {
		st := h.rep.out.stream(r)
		defer st.end()
		w = &rewriter{ResponseWriter: w, st: st}
	}
	h.mcp.ServeHTTP(w, r)
}

// rewriter gives the server requests on a GET stream ids of this replica
// (outbound.go).
type rewriter struct {
	http.ResponseWriter
	st *stream
}

func (w *rewriter) Write(b []byte) (int, error) {
	if _, err := w.ResponseWriter.Write(w.st.rewrite(b)); err != nil {
		return 0, err
	}
	return len(b), nil
}

func (w *rewriter) Flush() { flush(w.ResponseWriter) }

func (w *rewriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (h *Handler) stateful() bool { return h.opts.Transport == HTTP && !h.opts.Config.Stateless }

// reserveSession opens a session for a request that makes mcp-go open one,
// or answers 429 over a cap (release is then nil).
func (h *Handler) reserveSession(w http.ResponseWriter, r *http.Request) (*http.Request, func(keep bool)) {
	r, release, err := h.sessions.reserve(r)
	if err != nil {
		h.tooManySessions(w, r, err)
		return r, nil
	}
	return r, release
}

// serveRequest serves one posted JSON-RPC request. Up to protocol version
// 2025-11-25 a dropped connection does not cancel the request (the spec
// asks clients to send notifications/cancelled, and a tool call half done
// should not be cut short by a network blip); from 2026-07-28 on, closing
// the stream is how a client cancels.
func (h *Handler) serveRequest(w http.ResponseWriter, r *http.Request, m message) {
	if h.opensSession(r, m) {
		var release func(bool)
		if r, release = h.reserveSession(w, r); release == nil {
			return
		}
		defer release(true)
	}
	base := r.Context()
	if !mcp.IsModernProtocol(r.Header.Get(mcp.HeaderProtocolVersion)) {
		base = context.WithoutCancel(base)
	}
	ctx, cancel := context.WithCancel(base)
	defer cancel()
	key := cancelKey(r, m.id)
	p := h.cancels.add(key, cancel)
	defer h.cancels.remove(key, p)
	sw := newStreamWriter(w, acceptsSSE(r), p.wasCancelled)
	if h.rep != nil {
		sw.out = h.rep.out.stream(r)
	}
	h.mcp.ServeHTTP(sw, r.WithContext(server.WithStream(ctx, sw)))
	sw.finish(p.wasCancelled())
	if m.method == string(mcp.MethodSetLogLevel) {
		h.keepLevel(r, m)
	}
}

// cancel interrupts the request a notifications/cancelled names, here or,
// when it does not run here, on the replica that runs it.
func (h *Handler) cancel(r *http.Request, id string) {
	if h.cancels.cancel(cancelKey(r, id)) || h.rep == nil {
		return
	}
	h.rep.publish(r.Context(), chanCancel, forwarded{Subject: subjectOf(r),
		Session: r.Header.Get(mcpserver.HeaderKeySessionID), ID: id})
}

// opensSession says whether mcp-go will open a session for m: an
// initialize of a protocol version that has sessions, on a stateful server.
func (h *Handler) opensSession(r *http.Request, m message) bool {
	return m.method == string(mcp.MethodInitialize) && h.stateful() && !m.modern &&
		!mcp.IsModernProtocol(r.Header.Get(mcp.HeaderProtocolVersion))
}

func acceptsSSE(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "text/event-stream")
}

// cancelKey names a request for notifications/cancelled: only the subject
// and session that sent it can cancel it.
func cancelKey(r *http.Request, id string) string {
	return subjectOf(r) + "\x00" + r.Header.Get(mcpserver.HeaderKeySessionID) + "\x00" + id
}

// mergeCancel returns ctx, also cancelled when other is.
func mergeCancel(ctx, other context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(other, cancel)
	return ctx, func() { stop(); cancel() }
}

// cancels holds the cancel of every posted request in flight.
type cancels struct {
	mu sync.Mutex
	m  map[string]*inflightReq
}

type inflightReq struct {
	cancel    context.CancelFunc
	mu        sync.Mutex
	cancelled bool
}

func (p *inflightReq) wasCancelled() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cancelled
}

func newCancels() *cancels { return &cancels{m: map[string]*inflightReq{}} }

func (c *cancels) add(key string, cancel context.CancelFunc) *inflightReq {
	p := &inflightReq{cancel: cancel}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m[key] = p
	return p
}

func (c *cancels) remove(key string, p *inflightReq) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m[key] == p {
		delete(c.m, key)
	}
}

// cancel interrupts the request under key, if it is in flight here.
func (c *cancels) cancel(key string) bool {
	c.mu.Lock()
	p := c.m[key]
	c.mu.Unlock()
	if p == nil {
		return false
	}
	p.mu.Lock()
	p.cancelled = true
	p.mu.Unlock()
	p.cancel()
	return true
}
