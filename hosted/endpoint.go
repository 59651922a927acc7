package hosted

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"
)

// message is the head of a JSON-RPC message posted to an MCP endpoint.
type message struct {
	raw      []byte
	id       string // the id's JSON, compacted; "" for a notification
	method   string // "" for a response
	cancelID string // params.requestId of notifications/cancelled, compacted
	modern   bool   // params._meta names protocol version 2026-07-28 or later
}

func (m message) isRequest() bool { return m.id != "" && m.method != "" }

// isResponse says whether m is a client's answer to a server request.
func (m message) isResponse() bool { return m.id != "" && m.method == "" }

func (m message) isCancel() bool { return m.method == string(mcp.MethodNotificationCancelled) }

type messageKey struct{}

// mcpEndpoint checks what every MCP request must pass before a transport
// sees it: not shutting down (503), a body within the cap (413), a
// supported MCP-Protocol-Version (400) and, on streamable HTTP, a session
// id of this subject's (404). A POST's body is read here, once; the
// transport finds it with messageFrom. A batch is split by serveBatch,
// each of its messages handled as if posted alone.
func (h *Handler) mcpEndpoint(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if v := r.Header.Get(mcp.HeaderProtocolVersion); v != "" && !mcp.IsValidProtocolVersion(v) {
			h.refuse(w, r, http.StatusBadRequest, fmt.Sprintf("unsupported MCP-Protocol-Version %q; this server speaks %s",
				v, strings.Join(mcp.ValidProtocolVersions, ", ")))
			return
		}
		if id := r.Header.Get(mcpserver.HeaderKeySessionID); id != "" && h.opts.Transport == HTTP && !h.opts.Config.Stateless {
			if !h.useSession(w, r, id) {
				return
			}
		}
		if r.Method != http.MethodPost {
			next.ServeHTTP(w, r)
			return
		}
		m, release, ok := h.readMessage(w, r)
		defer release()
		if !ok {
			return
		}
		if isBatch(m.raw) {
			h.serveBatch(w, r, m.raw, next)
			return
		}
		h.dispatch(w, r, m, next)
	})
}

// useSession checks that session id is open and the subject's. A session
// another replica opened is restored into mcp-go first (restore.go).
func (h *Handler) useSession(w http.ResponseWriter, r *http.Request, id string) bool {
	sess, err := h.sessions.use(r.Context(), id, subjectOf(r))
	switch {
	case errors.Is(err, errOtherSubject):
		h.log.WarnContext(r.Context(), "session id presented by another subject", "session", shortID(id))
		fallthrough
	case errors.Is(err, errNoSession):
		h.refuse(w, r, http.StatusNotFound, errNoSession.Error())
		return false
	case err != nil:
		h.log.WarnContext(r.Context(), "session lookup failed", "err", err)
		w.Header().Set("Retry-After", "1")
		h.refuse(w, r, http.StatusServiceUnavailable, "looking up the session: "+err.Error())
		return false
	}
	if sess.remote && h.opts.Transport == HTTP {
		sess.restore.Do(func() { h.restore(r.Context(), sess) })
	}
	setSession(r, sess.id)
	return true
}

// bodyTimeout bounds the reading of a request body, against clients that
// trickle one in to hold a connection.
const bodyTimeout = 30 * time.Second

// readMessage reads a POST body within the cap and parses its head. The
// body counts against the subject's and the server's budgets of bytes held
// by requests in flight until release is called (429 when one is spent).
func (h *Handler) readMessage(w http.ResponseWriter, r *http.Request) (_ message, release func(), _ bool) {
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Now().Add(bodyTimeout))
	held := &heldBody{r: http.MaxBytesReader(w, r.Body, h.opts.MaxBodyBytes), b: h.bodies, subject: subjectOf(r)}
	body, err := io.ReadAll(held)
	_ = rc.SetReadDeadline(time.Time{})
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		h.refuse(w, r, http.StatusRequestEntityTooLarge, fmt.Sprintf(
			"the request body is over %d bytes, the most this server accepts", h.opts.MaxBodyBytes))
		return message{}, held.release, false
	case errors.Is(err, errSubjectBodies) || errors.Is(err, errAllBodies):
		h.tooManyBytes(w, r, err)
		return message{}, held.release, false
	case err != nil:
		h.refuse(w, r, http.StatusBadRequest, "reading the request body: "+err.Error())
		return message{}, held.release, false
	}
	m := parseMessage(body)
	if m.method == string(mcp.MethodInitialize) {
		if len(body) > maxInitializeBytes {
			h.refuse(w, r, http.StatusRequestEntityTooLarge, fmt.Sprintf("the initialize request is %d bytes, over the "+
				"%d this server accepts for one: a client's name, version and capabilities take a few hundred", len(body), maxInitializeBytes))
			return message{}, held.release, false
		}
		body = slimInitialize(body)
		m.raw = body
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	return m, held.release, true
}

// tooManyBytes answers 429 to a request whose body would pass a budget of
// bytes held by requests in flight.
func (h *Handler) tooManyBytes(w http.ResponseWriter, r *http.Request, err error) {
	limit, whose := h.bodies.perSubject, "one subject"
	if errors.Is(err, errAllBodies) {
		limit, whose = h.bodies.total, "all subjects"
	}
	h.log.WarnContext(r.Context(), "request body refused", "why", err)
	w.Header().Set("Retry-After", "1")
	h.refuse(w, r, http.StatusTooManyRequests, fmt.Sprintf("%v: the bodies of requests in flight may take %d bytes "+
		"for %s (%d times the body cap); retry once some have finished", err, limit, whose, limit/h.opts.MaxBodyBytes))
}

// maxInitializeBytes caps the body of an initialize, well below the cap of
// other requests: what a client says of itself is a few hundred bytes.
const maxInitializeBytes = 64 << 10

// maxClientField bounds each string of clientInfo a session keeps.
const maxClientField = 256

// slimInitialize rewrites an initialize to what a session keeps and this
// server uses: the protocol version, clientInfo's name, version and title
// (each cut to maxClientField bytes) and the standard capabilities, without
// experimental and extensions, which nothing here reads. The transport
// parses the rewritten message, so a session cannot keep more than that
// for its idle timeout. A message this cannot parse is left as it is: the
// transport cannot parse it either, and answers the error.
func slimInitialize(body []byte) []byte {
	var in struct {
		ID     json.RawMessage `json:"id"`
		Params struct {
			ProtocolVersion string                 `json:"protocolVersion"`
			Capabilities    mcp.ClientCapabilities `json:"capabilities"`
			ClientInfo      mcp.Implementation     `json:"clientInfo"`
		} `json:"params"`
	}
	if json.Unmarshal(body, &in) != nil {
		return body
	}
	p := in.Params
	p.Capabilities.Experimental, p.Capabilities.Extensions = nil, nil
	p.ClientInfo = mcp.Implementation{Name: cut(p.ClientInfo.Name), Version: cut(p.ClientInfo.Version),
		Title: cut(p.ClientInfo.Title)}
	p.ProtocolVersion = cut(p.ProtocolVersion)
	out, err := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": in.ID, "method": mcp.MethodInitialize, "params": p})
	if err != nil {
		return body
	}
	return out
}

// cut shortens s to maxClientField bytes, on a rune boundary.
func cut(s string) string {
	if len(s) <= maxClientField {
		return s
	}
	return strings.ToValidUTF8(s[:maxClientField], "")
}

// parseMessage reads what routing needs from a message; anything it cannot
// read is left for the transport to answer.
func parseMessage(body []byte) message {
	var head struct {
		ID     json.RawMessage `json:"id"`
		Method string          `json:"method"`
		Params struct {
			RequestID json.RawMessage `json:"requestId"`
			Meta      *mcp.Meta       `json:"_meta"`
		} `json:"params"`
	}
	m := message{raw: body}
	if json.Unmarshal(body, &head) != nil {
		return m
	}
	m.id, m.method, m.cancelID = compact(head.ID), head.Method, compact(head.Params.RequestID)
	m.modern = mcp.IsModernProtocol(head.Params.Meta.ProtocolVersion())
	return m
}

func compact(raw json.RawMessage) string {
	var b bytes.Buffer
	if len(raw) == 0 || json.Compact(&b, raw) != nil || b.String() == "null" {
		return ""
	}
	return b.String()
}

func messageFrom(r *http.Request) message {
	m, _ := r.Context().Value(messageKey{}).(message)
	return m
}

// tooManySessions answers 429 to a request that would open a session over
// a cap, saying which and how to free one. Retry-After is when the least
// recently used session the cap counts expires, if it stays idle.
func (h *Handler) tooManySessions(w http.ResponseWriter, r *http.Request, err error) {
	var tm *tooManySessions
	if !errors.As(err, &tm) { // the shared rows: the database does not answer
		h.log.WarnContext(r.Context(), "session refused", "err", err)
		w.Header().Set("Retry-After", "1")
		h.refuse(w, r, http.StatusServiceUnavailable, "opening a session: "+err.Error())
		return
	}
	h.log.WarnContext(r.Context(), "session refused", "cap", tm.key, "limit", tm.limit)
	free := "end one (DELETE /mcp with its Mcp-Session-Id header)"
	if h.opts.Transport == SSE {
		free = "end one (close its /sse stream)"
	}
	w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(tm.retryAfter.Seconds()))))
	h.refuse(w, r, http.StatusTooManyRequests, fmt.Sprintf("%v; %s, or wait until one has been idle for %v "+
		"(codemode.session_idle_timeout), or raise %s", tm, free, tm.idle, tm.key))
}

func shortID(id string) string {
	if len(id) > 8 {
		return id[:8] + "…"
	}
	return id
}
