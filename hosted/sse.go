package hosted

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcp-codemode/mcp-codemode/server"
)

// sseTransport is the HTTP+SSE transport of MCP 2024-11-05: a client opens
// a stream with GET /sse, is told where to post with an "endpoint" event,
// and posts each message to /message?sessionId=ID; every answer comes back
// on the stream. Each stream is a server.Conn, which sends a request's
// notifications before its response and drops the response of a cancelled
// request.
type sseTransport struct {
	h *Handler

	// writeTimeout bounds each write to a stream; sseWriteTimeout unless a
	// test sets it.
	writeTimeout time.Duration

	mu    sync.Mutex
	conns map[string]*sseConn // by session id
}

// sseConn is one session's Conn and the stream it answers on.
type sseConn struct {
	conn *server.Conn
	out  *sseWriter
}

// keepAlive is how often an idle stream gets a comment line, so that
// proxies do not close it.
const keepAlive = 25 * time.Second

// sseWriteTimeout is how long a write to a stream may wait for a client
// that does not read. Past it the session ends: what its requests would
// answer is not left to pile up in the server for a client that stopped
// reading.
const sseWriteTimeout = 30 * time.Second

func newSSETransport(h *Handler) *sseTransport {
	return &sseTransport{h: h, conns: map[string]*sseConn{}, writeTimeout: sseWriteTimeout}
}

// stream serves GET /sse: one session, for as long as the client listens,
// the session stays used, and the server is not shutting down.
func (t *sseTransport) stream(w http.ResponseWriter, r *http.Request) {
	if t.h.draining.Load() {
		t.h.refuse(w, r, http.StatusServiceUnavailable, "the server is shutting down; retry on another")
		return
	}
	ended := make(chan struct{})
	end := sync.OnceFunc(func() { close(ended) })
	var state sessionState
	if t.h.rep != nil {
		state.Stream = t.h.rep.id
	}
	sess, err := t.h.sessions.create(r.Context(), subjectOf(r), state, end)
	if err != nil {
		t.h.tooManySessions(w, r, err)
		return
	}
	setSession(r, sess.id)
	out := &sseWriter{w: w, rc: http.NewResponseController(w), timeout: t.writeTimeout, stuck: end,
		unanswered: map[string]struct{}{}}
	defer func() { _ = out.rc.SetWriteDeadline(time.Time{}) }() // the connection may serve another request
	conn, err := t.h.opts.Server.NewConn(sess.id, out.event)
	if err != nil {
		_ = t.h.sessions.remove(r.Context(), sess.id)
		t.h.refuse(w, r, http.StatusInternalServerError, err.Error())
		return
	}
	t.add(sess.id, &sseConn{conn, out})
	defer t.close(sess.id, conn, out)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	out.write(fmt.Sprintf("event: endpoint\ndata: /message?sessionId=%s\n\n", sess.id))
	t.wait(r.Context(), ended, out)
}

// wait keeps the stream open until the client leaves or the session ends.
func (t *sseTransport) wait(ctx context.Context, ended <-chan struct{}, out *sseWriter) {
	tick := time.NewTicker(keepAlive)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			out.write(": keep-alive\n\n")
		case <-ctx.Done():
			return
		case <-ended:
			return
		}
	}
}

func (t *sseTransport) add(id string, c *sseConn) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.conns[id] = c
}

// close ends a session: its requests are cancelled and nothing more is
// written to the stream, which ends when stream returns.
func (t *sseTransport) close(id string, c *server.Conn, out *sseWriter) {
	t.mu.Lock()
	delete(t.conns, id)
	t.mu.Unlock()
	if err := t.h.sessions.remove(context.Background(), id); err != nil {
		t.h.log.Warn("ending the session", "session", shortID(id), "err", err)
	}
	c.Close()
	out.stop()
}

// message serves POST /message?sessionId=ID: the message goes to the
// session's Conn and is answered on its stream; the POST gets 202. A
// request over maxUnanswered gets 429: the POST returns before the answer
// exists, so without this a client that posts faster than it reads would
// make answers pile up in the server.
func (t *sseTransport) message(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("sessionId")
	if !t.h.useSession(w, r, id) {
		return
	}
	c := t.conn(id)
	switch {
	case c == nil && t.h.rep != nil && t.h.rep.forwardSSE(r, id):
		w.WriteHeader(http.StatusAccepted) // to the replica holding the stream
	case c == nil:
		t.h.refuse(w, r, http.StatusNotFound, errNoSession.Error())
	default:
		if err := t.handle(r.Context(), id, c, messageFrom(r)); err != nil {
			w.Header().Set("Retry-After", "1")
			t.h.refuse(w, r, http.StatusTooManyRequests, err.Error())
			return
		}
		w.WriteHeader(http.StatusAccepted)
	}
}

func (t *sseTransport) conn(id string) *sseConn {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.conns[id]
}

// handle gives session id's Conn a message posted for it, here or to
// another replica (which forwarded it).
func (t *sseTransport) handle(ctx context.Context, id string, c *sseConn, m message) error {
	switch {
	case m.isRequest() && !c.out.expect(m.id):
		return fmt.Errorf("this session has %d requests unanswered, the most "+
			"an SSE session may have: read their answers from its /sse stream before posting more", maxUnanswered)
	case m.isCancel():
		c.out.answered(m.cancelID) // a cancelled request gets no answer
	}
	if m.method == string(mcp.MethodInitialize) {
		_ = t.h.sessions.setVersion(ctx, id, negotiated(m.raw))
	}
	c.conn.Handle(ctx, m.raw)
	return nil
}

// forwarded handles a message that another replica received for a
// session whose stream is here. Over the cap of unanswered requests, the
// request is answered on the stream with the error its POST would have had.
func (t *sseTransport) forwarded(ctx context.Context, subject, id string, raw []byte) {
	c := t.conn(id)
	if c == nil || !t.h.sessions.owns(id, subject) {
		return
	}
	m := parseMessage(raw)
	if err := t.handle(ctx, id, c, m); err != nil {
		b, _ := json.Marshal(mcp.NewJSONRPCError(mcp.NewRequestId(json.RawMessage(m.id)), mcp.INVALID_REQUEST, err.Error(), nil))
		_ = c.out.event(b)
	}
}

// each returns the open Conns.
func (t *sseTransport) each() []*server.Conn {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]*server.Conn, 0, len(t.conns))
	for _, c := range t.conns {
		out = append(out, c.conn)
	}
	return out
}

var errStreamClosed = errors.New("the SSE stream is closed")

// sseWriter writes events to one stream, one at a time, until stopped. A
// write that cannot finish within timeout (the client stopped reading)
// calls stuck, which ends the session.
type sseWriter struct {
	mu      sync.Mutex
	w       http.ResponseWriter
	rc      *http.ResponseController
	timeout time.Duration
	stuck   func()
	stopped bool

	umu        sync.Mutex          // not mu: a POST must not wait for a blocked write
	unanswered map[string]struct{} // ids of the requests posted and not yet answered
}

// maxUnanswered bounds the requests of an SSE session whose answers have
// not been written to its stream yet.
const maxUnanswered = 64

// expect records a posted request id, unless maxUnanswered are waiting.
func (s *sseWriter) expect(id string) bool {
	id = idKey(id)
	s.umu.Lock()
	defer s.umu.Unlock()
	if _, dup := s.unanswered[id]; !dup && len(s.unanswered) >= maxUnanswered {
		return false
	}
	s.unanswered[id] = struct{}{}
	return true
}

// answered forgets a request id: its answer is out, or it was cancelled.
func (s *sseWriter) answered(id string) {
	id = idKey(id)
	s.umu.Lock()
	defer s.umu.Unlock()
	delete(s.unanswered, id)
}

// idKey is a JSON-RPC id as the answer writes it: "\u0041" and "A", or
// 1.0 and 1, are one id.
func idKey(id string) string {
	var v any
	if json.Unmarshal([]byte(id), &v) != nil {
		return id
	}
	b, err := json.Marshal(v)
	if err != nil {
		return id
	}
	return string(b)
}

func (s *sseWriter) event(msg []byte) error {
	err := s.write("event: message\ndata: " + string(msg) + "\n\n")
	if m := parseMessage(msg); m.method == "" && m.id != "" {
		s.answered(m.id)
	}
	return err
}

func (s *sseWriter) write(text string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return errStreamClosed
	}
	_ = s.rc.SetWriteDeadline(time.Now().Add(s.timeout))
	_, err := s.w.Write([]byte(text))
	if err == nil {
		err = s.rc.Flush()
	}
	if err != nil {
		s.stopped = true
		s.stuck()
	}
	return err
}

// stop makes later writes fail: the handler that owns w is returning.
func (s *sseWriter) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopped = true
}
