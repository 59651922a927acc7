package hosted

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"

	"github.com/mcp-codemode/mcp-codemode/tools"
)

// restore tells mcp-go of a session another replica opened, before the
// first request of it that this replica serves: mcp-go keeps what a
// session's initialize and logging/setLevel said (the negotiated version,
// the client's capabilities, whether it can be asked for approvals, its
// log level) in objects of its own, which exist only where those requests
// were posted. So they are posted here again, from the session's shared
// state, as the client sent them; their answers go nowhere.
func (h *Handler) restore(ctx context.Context, s *session) {
	ctx = tools.WithSubject(context.WithoutCancel(ctx), s.subject)
	init := map[string]any{"jsonrpc": mcp.JSONRPC_VERSION, "id": "codemode-restore", "method": mcp.MethodInitialize,
		"params": s.state.Initialize}
	if len(s.state.Initialize) == 0 {
		init["params"] = map[string]any{"protocolVersion": s.state.Version}
	}
	h.post(context.WithValue(ctx, reservationKey{}, &reservation{id: s.id}), "", "", init)
	if s.state.LogLevel != "" {
		h.post(ctx, s.id, s.state.Version, map[string]any{"jsonrpc": mcp.JSONRPC_VERSION, "id": "codemode-restore",
			"method": mcp.MethodSetLogLevel, "params": map[string]any{"level": s.state.LogLevel}})
	}
}

// post makes mcp-go serve msg as if a client had posted it on session id.
func (h *Handler) post(ctx context.Context, session, version string, msg any) {
	b, err := json.Marshal(msg)
	if err != nil {
		return
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "/mcp", bytes.NewReader(b))
	if err != nil {
		return
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if session != "" {
		req.Header.Set(mcpserver.HeaderKeySessionID, session)
	}
	if version != "" {
		req.Header.Set(mcp.HeaderProtocolVersion, version)
	}
	h.mcp.ServeHTTP(&discard{header: http.Header{}}, req)
}

// levels mcp-go accepts in logging/setLevel.
var levels = map[string]bool{"debug": true, "info": true, "notice": true, "warning": true, "error": true,
	"critical": true, "alert": true, "emergency": true}

// keepLevel records the level a session's logging/setLevel asks for, so
// that another replica restores it.
func (h *Handler) keepLevel(r *http.Request, m message) {
	var in struct {
		Params struct {
			Level string `json:"level"`
		} `json:"params"`
	}
	id := r.Header.Get(mcpserver.HeaderKeySessionID)
	if id == "" || json.Unmarshal(m.raw, &in) != nil || !levels[in.Params.Level] {
		return
	}
	if err := h.sessions.update(r.Context(), id, func(st *sessionState) { st.LogLevel = in.Params.Level }); err != nil {
		h.log.WarnContext(r.Context(), "keeping the session's log level", "err", err)
	}
}
