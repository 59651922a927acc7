package hosted

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"regexp"
	"time"

	"github.com/mcp-codemode/mcp-codemode/tools"
)

// reqInfo is what the log line of a request tells, filled in as the
// request goes through the handlers.
type reqInfo struct {
	id, subject, session string
}

type reqInfoKey struct{}

// RequestID returns the id of the HTTP request ctx belongs to, or "".
func RequestID(ctx context.Context) string {
	if ri, ok := ctx.Value(reqInfoKey{}).(*reqInfo); ok {
		return ri.id
	}
	return ""
}

// goodRequestID is what an X-Request-Id from the client must look like to
// be kept (a proxy's id ties our logs to its own); others are replaced.
var goodRequestID = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,64}$`)

// logged gives each request an id (X-Request-Id, echoed in the response)
// and logs it when it ends: failures at info, the rest at debug.
func (h *Handler) logged(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ri := &reqInfo{id: r.Header.Get("X-Request-Id")}
		if ri.id == "" || !goodRequestID.MatchString(ri.id) {
			ri.id = newRequestID()
		}
		w.Header().Set("X-Request-Id", ri.id)
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		ctx := context.WithValue(r.Context(), reqInfoKey{}, ri)
		next.ServeHTTP(sw, r.WithContext(ctx))
		level := slog.LevelDebug
		if sw.status >= 400 {
			level = slog.LevelInfo
		}
		if !h.log.Enabled(ctx, level) {
			return // building the attributes costs more than the request's other logging
		}
		h.log.Log(ctx, level, "http", "method", r.Method, "path", r.URL.Path, "status", sw.status,
			"duration", time.Since(start), "subject", ri.subject, "session", shortID(ri.session))
	})
}

// newRequestID is 16 hex digits, random: an id for logs, not a secret, so
// it comes from math/rand (no system call per request).
func newRequestID() string {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], rand.Uint64())
	return hex.EncodeToString(b[:])
}

func setSubject(r *http.Request, subject string) {
	if ri, ok := r.Context().Value(reqInfoKey{}).(*reqInfo); ok {
		ri.subject = subject
	}
}

func setSession(r *http.Request, id string) {
	if ri, ok := r.Context().Value(reqInfoKey{}).(*reqInfo); ok {
		ri.session = id
	}
}

func subjectOf(r *http.Request) string { return tools.Subject(r.Context()) }

// refuse answers a request the server will not serve, with a JSON-RPC
// error body that MCP clients show as it is.
func (h *Handler) refuse(w http.ResponseWriter, r *http.Request, status int, msg string) {
	h.log.DebugContext(r.Context(), "refused", "status", status, "why", msg)
	h.metrics.refused(status)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"jsonrpc": "2.0", "id": nil,
		"error": map[string]any{"code": -32600, "message": msg},
	})
}

// statusWriter remembers the status of a response. It passes Flush on
// (streams need it) and unwraps for http.ResponseController.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// LogHandler wraps a slog.Handler so that records logged with a context
// (InfoContext and the like) carry the request_id of the HTTP request the
// context belongs to: an execution's log line names the request that ran it.
func LogHandler(next slog.Handler) slog.Handler { return ctxHandler{next} }

type ctxHandler struct{ slog.Handler }

func (c ctxHandler) Handle(ctx context.Context, rec slog.Record) error {
	if id := RequestID(ctx); id != "" {
		rec.AddAttrs(slog.String("request_id", id))
	}
	return c.Handler.Handle(ctx, rec)
}

func (c ctxHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return ctxHandler{c.Handler.WithAttrs(attrs)}
}

func (c ctxHandler) WithGroup(name string) slog.Handler { return ctxHandler{c.Handler.WithGroup(name)} }
