package hosted

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"
)

// JSON-RPC batches are part of MCP 2025-03-26 only: receivers MUST accept
// them there, and 2025-06-18 took them out. mcp-go has no batches, so a
// batch on a 2025-03-26 session is split here, and each message goes
// through the same handling as one posted alone: the guards of
// mcpEndpoint (draining), then the transport's (cancels, SSE's unanswered
// cap, mcp-go's session checks), then the server's (admission, per-subject
// budgets). The whole body passed the body cap and the held-bytes budgets
// when it was read, and is held until the last answer is in.

// maxBatch bounds the messages of one batch: each request runs on a
// goroutine of its own, as separate POSTs would, and a client would
// otherwise start thousands with one body.
const maxBatch = 64

// batchVersion is the one protocol version that has batches.
const batchVersion = mcp.ProtocolVersion20250326

// isBatch says whether body is a JSON array (leading white space allowed).
func isBatch(body []byte) bool {
	b := bytes.TrimLeft(body, " \t\r\n")
	return len(b) > 0 && b[0] == '['
}

// serveBatch answers a posted batch. A body that is not a valid array is
// left to next, which answers it the way it answers any unparsable body.
func (h *Handler) serveBatch(w http.ResponseWriter, r *http.Request, body []byte, next http.Handler) {
	var items []json.RawMessage
	if json.Unmarshal(body, &items) != nil {
		h.dispatch(w, r, message{raw: body}, next)
		return
	}
	if v := h.versionOf(r, items); v != batchVersion {
		h.refuse(w, r, http.StatusBadRequest, fmt.Sprintf("JSON-RPC batches are not part of MCP %s, the protocol "+
			"version of this session (only %s has them): post each message on its own", v, batchVersion))
		return
	}
	switch {
	case len(items) == 0:
		h.refuse(w, r, http.StatusBadRequest, "the JSON-RPC batch is empty: a batch holds at least one message")
		return
	case len(items) > maxBatch:
		h.refuse(w, r, http.StatusBadRequest, fmt.Sprintf("the JSON-RPC batch has %d messages, over the %d this "+
			"server accepts in one: send it as several batches", len(items), maxBatch))
		return
	}
	answers := h.runBatch(r, items, next)
	if h.opts.Transport == SSE {
		h.answerSSEBatch(w, r, answers)
		return
	}
	h.answerBatch(w, r, answers)
}

// answer is what one message of a batch got: its id, and the status, type
// and body of the response its own POST would have had.
type answer struct {
	id     json.RawMessage
	status int
	header http.Header
	body   []byte
}

// runBatch handles each message in the order of the batch: notifications
// and responses before the next message starts, requests each on its own
// goroutine (as separate POSTs would run at once). It returns once every
// request is answered (on SSE, once each is started: its answer goes to
// the stream).
func (h *Handler) runBatch(r *http.Request, items []json.RawMessage, next http.Handler) []*answer {
	answers := make([]*answer, len(items))
	var wg sync.WaitGroup
	for i, raw := range items {
		m := parseMessage(raw)
		a := &answer{id: idOf(raw), header: http.Header{}}
		answers[i] = a
		switch {
		case !isObject(raw):
			a.fail(http.StatusBadRequest, mcp.INVALID_REQUEST, "Invalid Request: a batch member is not a JSON-RPC message")
		case m.method == string(mcp.MethodInitialize):
			a.fail(http.StatusBadRequest, mcp.INVALID_REQUEST,
				"initialize must not be part of a JSON-RPC batch (MCP 2025-03-26): post it on its own")
		case m.isRequest() && h.opts.Transport != SSE: // SSE's Conn starts it and returns
			wg.Go(func() { h.dispatch(a, subRequest(r, m), m, next) })
		default:
			h.dispatch(a, subRequest(r, m), m, next)
		}
	}
	wg.Wait()
	return answers
}

// subRequest is r carrying one message of its batch. It accepts only JSON:
// the batch is answered as one JSON array, with no room for the
// notifications an SSE stream would carry.
// Each has its own copy of the request's log info, which handlers set.
func subRequest(r *http.Request, m message) *http.Request {
	ctx := r.Context()
	if ri, ok := ctx.Value(reqInfoKey{}).(*reqInfo); ok {
		own := *ri
		ctx = context.WithValue(ctx, reqInfoKey{}, &own)
	}
	sub := r.Clone(ctx)
	sub.Body = io.NopCloser(bytes.NewReader(m.raw))
	sub.ContentLength = int64(len(m.raw))
	sub.Header.Set("Accept", "application/json")
	return sub
}

// answerBatch writes the responses as one JSON array in the order of their
// requests (200), or nothing when no message asked for one (202).
func (h *Handler) answerBatch(w http.ResponseWriter, r *http.Request, answers []*answer) {
	var out []json.RawMessage
	for _, a := range answers {
		if resp := a.response(); resp != nil {
			out = append(out, resp)
		}
	}
	if len(out) == 0 {
		w.WriteHeader(http.StatusAccepted)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	if err := json.NewEncoder(w).Encode(out); err != nil {
		h.log.DebugContext(r.Context(), "writing a batch answer", "err", err)
	}
}

// answerSSEBatch answers a batch posted to an SSE session: what the
// session accepted is answered on its stream, as each message alone would
// be, and the POST gets 202; what a guard refused (the session's cap of
// unanswered requests, shutdown) is answered on the POST, as a JSON array
// with the status of the first refusal.
func (h *Handler) answerSSEBatch(w http.ResponseWriter, r *http.Request, answers []*answer) {
	status := http.StatusAccepted
	var out []json.RawMessage
	for _, a := range answers {
		if a.status == http.StatusAccepted {
			continue
		}
		if status == http.StatusAccepted {
			status = a.status
		}
		if resp := a.response(); resp != nil {
			out = append(out, resp)
		}
	}
	if status == http.StatusAccepted {
		w.WriteHeader(status)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(out); err != nil {
		h.log.DebugContext(r.Context(), "writing a batch answer", "err", err)
	}
}

// dispatch sends one message on: a request is refused while the server
// shuts down; the rest is the transport's.
func (h *Handler) dispatch(w http.ResponseWriter, r *http.Request, m message, next http.Handler) {
	if h.draining.Load() && m.isRequest() {
		w.Header().Set("Retry-After", "1")
		h.refuse(w, r, http.StatusServiceUnavailable, "the server is shutting down; retry on another")
		return
	}
	next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), messageKey{}, m)))
}

// versionOf is the protocol version of a batch: the one a member declares
// in its _meta (2026-07-28 and later have no sessions), else the one the
// session's initialize negotiated, else the MCP-Protocol-Version header,
// else 2025-03-26, which the spec says to assume when nothing tells.
func (h *Handler) versionOf(r *http.Request, items []json.RawMessage) string {
	for _, raw := range items {
		if v := declaredVersion(raw); mcp.IsModernProtocol(v) {
			return v
		}
	}
	id := r.Header.Get(mcpserver.HeaderKeySessionID)
	if h.opts.Transport == SSE {
		id = r.URL.Query().Get("sessionId")
	}
	if v := h.sessions.version(id, subjectOf(r)); v != "" {
		return v
	}
	if v := r.Header.Get(mcp.HeaderProtocolVersion); v != "" {
		return v
	}
	return batchVersion
}

// negotiated is the protocol version an initialize body agrees on: the
// client's, if this server speaks it, else the latest with sessions.
func negotiated(initialize []byte) string {
	var in struct {
		Params struct {
			ProtocolVersion string `json:"protocolVersion"`
		} `json:"params"`
	}
	_ = json.Unmarshal(initialize, &in)
	return mcp.NegotiateLegacyVersion(in.Params.ProtocolVersion)
}

// declaredVersion is the protocol version a message's params._meta names.
func declaredVersion(raw json.RawMessage) string {
	var m struct {
		Params struct {
			Meta *mcp.Meta `json:"_meta"`
		} `json:"params"`
	}
	if json.Unmarshal(raw, &m) != nil {
		return ""
	}
	return m.Params.Meta.ProtocolVersion()
}

func isObject(raw json.RawMessage) bool {
	b := bytes.TrimLeft(raw, " \t\r\n")
	return len(b) > 0 && b[0] == '{'
}

// idOf is a message's id, null if it has none.
func idOf(raw json.RawMessage) json.RawMessage {
	var m struct {
		ID json.RawMessage `json:"id"`
	}
	if json.Unmarshal(raw, &m) != nil || len(m.ID) == 0 {
		return json.RawMessage("null")
	}
	return m.ID
}

func (a *answer) Header() http.Header { return a.header }

func (a *answer) WriteHeader(code int) {
	if a.status == 0 {
		a.status = code
	}
}

func (a *answer) Write(b []byte) (int, error) {
	a.WriteHeader(http.StatusOK)
	a.body = append(a.body, b...)
	return len(b), nil
}

// fail records a JSON-RPC error answer of the message's own.
func (a *answer) fail(status, code int, msg string) {
	a.status = status
	a.header.Set("Content-Type", "application/json")
	a.body, _ = json.Marshal(mcp.NewJSONRPCError(mcp.NewRequestId(nil), code, msg, nil))
}

// response is the JSON-RPC response a message's answer carries, with the
// message's id, or nil when it carries none (a notification's 202, a
// cancelled request's empty stream). A refusal that is not JSON-RPC (a
// plain-text 404 of mcp-go's) becomes an error saying the HTTP status.
func (a *answer) response() json.RawMessage {
	body := bytes.TrimSpace(a.body)
	if isSSE(a.header) {
		body = lastResponse(body)
	}
	if len(body) == 0 {
		if a.status < 400 {
			return nil
		}
		body = []byte(http.StatusText(a.status))
	}
	var resp map[string]json.RawMessage
	if json.Unmarshal(body, &resp) != nil || (resp["result"] == nil && resp["error"] == nil) {
		msg, _ := json.Marshal(fmt.Sprintf("HTTP %d: %s", a.status, body))
		resp = map[string]json.RawMessage{"jsonrpc": json.RawMessage(`"2.0"`),
			"error": json.RawMessage(fmt.Sprintf(`{"code":%d,"message":%s}`, mcp.INVALID_REQUEST, msg))}
	}
	resp["id"] = a.id
	out, err := json.Marshal(resp)
	if err != nil {
		return nil
	}
	return out
}

// lastResponse is the data of the last event of an SSE body that is a
// JSON-RPC response, or nil.
func lastResponse(stream []byte) []byte {
	var last []byte
	sc := bufio.NewScanner(bytes.NewReader(stream))
	sc.Buffer(nil, len(stream)+1)
	for sc.Scan() {
		data, ok := bytes.CutPrefix(sc.Bytes(), []byte("data:"))
		if !ok {
			continue
		}
		if m := parseMessage(bytes.TrimSpace(data)); m.method == "" && m.id != "" {
			last = append([]byte(nil), bytes.TrimSpace(data)...)
		}
	}
	return last
}
