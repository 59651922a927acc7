package hosted

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
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
}

func (m message) isRequest() bool { return m.id != "" && m.method != "" }

func (m message) isCancel() bool { return m.method == string(mcp.MethodNotificationCancelled) }

type messageKey struct{}

// mcpEndpoint checks what every MCP request must pass before a transport
// sees it: not shutting down (503), a body within the cap (413), a
// supported MCP-Protocol-Version (400) and, on streamable HTTP, a session
// id of this subject's (404). A POST's body is read here, once; the
// transport finds it with messageFrom.
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
		m, ok := h.readMessage(w, r)
		if !ok {
			return
		}
		if h.draining.Load() && m.isRequest() {
			w.Header().Set("Retry-After", "1")
			h.refuse(w, r, http.StatusServiceUnavailable, "the server is shutting down; retry on another")
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), messageKey{}, m)))
	})
}

// useSession checks that session id is open and the subject's.
func (h *Handler) useSession(w http.ResponseWriter, r *http.Request, id string) bool {
	sess, err := h.sessions.use(id, subjectOf(r))
	if err != nil {
		if errors.Is(err, errOtherSubject) {
			h.log.WarnContext(r.Context(), "session id presented by another subject", "session", shortID(id))
		}
		h.refuse(w, r, http.StatusNotFound, errNoSession.Error())
		return false
	}
	setSession(r, sess.id)
	return true
}

// bodyTimeout bounds the reading of a request body, against clients that
// trickle one in to hold a connection.
const bodyTimeout = 30 * time.Second

// readMessage reads a POST body within the cap and parses its head.
func (h *Handler) readMessage(w http.ResponseWriter, r *http.Request) (message, bool) {
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Now().Add(bodyTimeout))
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.opts.MaxBodyBytes))
	_ = rc.SetReadDeadline(time.Time{})
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		h.refuse(w, r, http.StatusRequestEntityTooLarge, fmt.Sprintf(
			"the request body is over %d bytes, the most this server accepts", h.opts.MaxBodyBytes))
		return message{}, false
	case err != nil:
		h.refuse(w, r, http.StatusBadRequest, "reading the request body: "+err.Error())
		return message{}, false
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	return parseMessage(body), true
}

// parseMessage reads what routing needs from a message; anything it cannot
// read is left for the transport to answer.
func parseMessage(body []byte) message {
	var head struct {
		ID     json.RawMessage `json:"id"`
		Method string          `json:"method"`
		Params struct {
			RequestID json.RawMessage `json:"requestId"`
		} `json:"params"`
	}
	m := message{raw: body}
	if json.Unmarshal(body, &head) != nil {
		return m
	}
	m.id, m.method, m.cancelID = compact(head.ID), head.Method, compact(head.Params.RequestID)
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

func shortID(id string) string {
	if len(id) > 8 {
		return id[:8] + "…"
	}
	return id
}
