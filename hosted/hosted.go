package hosted

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync/atomic"

	"github.com/mcp-codemode/mcp-codemode/config"
	"github.com/mcp-codemode/mcp-codemode/server"
	"github.com/mcp-codemode/mcp-codemode/store"
	"github.com/mcp-codemode/mcp-codemode/tools"
)

// Transports Handler serves.
const (
	HTTP = "http" // streamable HTTP at /mcp
	SSE  = "sse"  // SSE at /sse, messages posted to /message
)

// DefaultMaxBodyBytes caps a request body when Options.MaxBodyBytes is 0:
// room for the largest code execute accepts (256 KiB) however it is escaped.
const DefaultMaxBodyBytes = 4 << 20

// Options configure a Handler.
type Options struct {
	// Server is the code-mode server to expose. Required.
	Server *server.Server
	// Registry is asked for upstream health by /readyz and /metrics; nil
	// means there are no upstreams.
	Registry *tools.Registry
	// Started are the statuses of connecting the upstreams at start: one
	// that failed keeps /readyz at 503.
	Started []tools.Status
	// Transport is HTTP or SSE; "" means HTTP.
	Transport string
	// Config holds auth, allowed_origins, allowed_hosts, stateless,
	// session_idle_timeout, max_sessions and max_sessions_per_subject; the
	// zero value means no authentication and the defaults.
	Config config.Codemode
	// Loopback says the listener is on a loopback address: with no
	// allowed_hosts and allowed_origins, only loopback names are then
	// accepted in Host and Origin (against DNS rebinding).
	Loopback bool
	// Metrics receives what /metrics shows; nil means a new NewMetrics().
	// Pass the same Metrics as the Server's Observer.
	Metrics *Metrics
	// Logger receives access and error logs; nil means slog.Default().
	Logger *slog.Logger
	// MaxBodyBytes caps a request body; 0 means DefaultMaxBodyBytes. The
	// bodies that one subject's requests in flight hold are capped at 4
	// times it, all subjects' at 32 times.
	MaxBodyBytes int64
	// HTTPClient fetches the JWKS of auth.jwt; nil means a client with a
	// 10 s timeout.
	HTTPClient *http.Client
	// Store, if not nil, is shared with the other replicas of this
	// deployment: legacy sessions live in its sessions table (valid on
	// every replica), and its bus carries cancellations, answers to
	// server requests and tool-list changes to the replica they concern
	// (replicas.go). nil keeps sessions in this process.
	Store *store.Store
	// Ready, if not nil, is asked by /readyz, which answers 503 while it
	// fails (the database is unreachable); nil means Store.Ready when
	// there is a Store.
	Ready func(context.Context) error
}

// Handler serves the hosted endpoints. Create it with New.
type Handler struct {
	opts     Options
	log      *slog.Logger
	auth     *authenticator // nil: no authentication
	guard    guard
	sessions *sessions
	bodies   *bodies // bytes of request bodies held by requests in flight
	metrics  *Metrics
	mux      *http.ServeMux
	root     http.Handler // mux, logged
	mcp      http.Handler // the streamable HTTP transport of mcp-go
	sse      *sseTransport
	cancels  *cancels
	rep      *replicas // nil without shared state

	draining   atomic.Bool
	streams    context.Context // done at shutdown: GET streams end
	endStreams context.CancelFunc
}

// New returns a Handler, or an error when the auth configuration is
// unusable (a token file that cannot be read, a JWT section missing a key).
func New(opts Options) (*Handler, error) {
	if opts.Server == nil {
		return nil, fmt.Errorf("hosted.New: Options.Server is nil")
	}
	h := &Handler{opts: opts, log: opts.Logger, metrics: opts.Metrics, cancels: newCancels()}
	if h.log == nil {
		h.log = slog.Default()
	}
	if h.metrics == nil {
		h.metrics = NewMetrics()
	}
	if h.opts.MaxBodyBytes <= 0 {
		h.opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	h.bodies = newBodies(h.opts.MaxBodyBytes)
	if err := h.configure(); err != nil {
		return nil, err
	}
	h.streams, h.endStreams = context.WithCancel(context.Background())
	h.routes()
	return h, nil
}

// configure checks the options and builds authentication, the guard and
// the session table.
func (h *Handler) configure() error {
	c := h.opts.Config
	switch h.opts.Transport {
	case "", HTTP:
		h.opts.Transport = HTTP
	case SSE:
		if c.Stateless {
			return fmt.Errorf("codemode.stateless is for --transport http: an SSE session lives on one server; " +
				"remove it, or use --transport http")
		}
	default:
		return fmt.Errorf("hosted: transport %q: use %q or %q", h.opts.Transport, HTTP, SSE)
	}
	auth, err := newAuthenticator(c.Auth, h.opts.HTTPClient)
	if err != nil {
		return err
	}
	h.auth = auth
	h.guard = newGuard(c.AllowedHosts, c.AllowedOrigins, h.opts.Loopback)
	h.sessions = newSessions(c.SessionIdleTimeout, c.MaxSessionsPerSubject, c.MaxSessions)
	if h.opts.Transport == HTTP {
		mcp := h.opts.Server.MCP()
		h.sessions.forget = func(id string) { mcp.UnregisterSession(context.Background(), id) }
	}
	if h.opts.Store != nil {
		// An SSE session ends with its stream, and so with its process: on
		// SQLite, which no other replica shares, its row would only count
		// against the caps after a crash, until it idled out.
		rows := h.opts.Transport == HTTP || h.opts.Store.Dialect() == store.Postgres
		h.startReplicas(storeShared{h.opts.Store}, rows)
		if h.opts.Ready == nil {
			h.opts.Ready = h.opts.Store.Ready
		}
	}
	h.metrics.watch(h.opts.Registry, h.sessions)
	return nil
}

// Close leaves the other replicas' bus; Serve calls it when it returns.
func (h *Handler) Close() {
	if h.rep != nil {
		h.rep.close()
	}
}

// routes wires the endpoints; see the package doc for what each request
// goes through.
func (h *Handler) routes() {
	h.mux = http.NewServeMux()
	h.root = h.logged(h.mux)
	h.mux.HandleFunc("GET /healthz", h.healthz)
	h.mux.HandleFunc("GET /readyz", h.readyz)
	if h.auth != nil && h.auth.jwt != nil {
		h.mux.HandleFunc("GET /.well-known/oauth-protected-resource", h.resourceMetadata)
		h.mux.HandleFunc("GET /.well-known/oauth-protected-resource/{path...}", h.resourceMetadata)
	}
	h.mux.Handle("GET /metrics", h.guarded(h.authenticated(h.metrics.handler())))
	if h.opts.Transport == HTTP {
		h.mcp = h.streamable()
		h.mux.Handle("/mcp", h.guarded(h.authenticated(h.mcpEndpoint(http.HandlerFunc(h.serveStreamable)))))
		return
	}
	h.sse = newSSETransport(h)
	h.mux.Handle("GET /sse", h.guarded(h.authenticated(h.mcpEndpoint(http.HandlerFunc(h.sse.stream)))))
	h.mux.Handle("POST /message", h.guarded(h.authenticated(h.mcpEndpoint(http.HandlerFunc(h.sse.message)))))
}

// ServeHTTP serves every endpoint, each request with an id and a log line.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.root.ServeHTTP(w, r)
}
