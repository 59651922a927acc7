package server

import (
	"cmp"
	"context"
	"log/slog"
	"sync"

	mcpserver "github.com/mark3labs/mcp-go/server"
	"go.opentelemetry.io/otel/trace"

	"github.com/mcp-codemode/mcp-codemode/config"
	"github.com/mcp-codemode/mcp-codemode/egress"
	"github.com/mcp-codemode/mcp-codemode/runs"
	"github.com/mcp-codemode/mcp-codemode/sandbox"
	"github.com/mcp-codemode/mcp-codemode/tools"
	"github.com/mcp-codemode/mcp-codemode/typegen"
	"github.com/mcp-codemode/mcp-codemode/workspace"
)

// Name is the server name announced to MCP clients.
const Name = "mcp-codemode"

// Version is the release, set at link time with -ldflags "-X .../server.Version=...".
var Version = "0.1.0-dev"

// Options configure a Server. The zero value uses the defaults README: Configuration lists.
type Options struct {
	// Limits are the codemode settings; zero fields mean config.Default()'s.
	Limits config.Codemode
	// Logger receives the server's logs; nil means slog.Default(). It must
	// never write to stdout on stdio.
	Logger *slog.Logger
	// Runner runs one execution; nil means sandbox.Run, in this process.
	// Another isolation layer (a pool of worker processes) plugs in here.
	Runner Runner
	// Observer is told of every execution and tool call (hosted mode's
	// metrics); nil means nobody is.
	Observer Observer
	// Network is the policy of fetch in the sandbox; nil means one built
	// from Limits.Network (a bad rule is logged and fetch left out). Build
	// it with egress.New to pass config.Config.Secrets, which are then
	// scrubbed from responses too.
	Network *egress.Client
	// Runs records every execution (package runs; README: Run records and tracing); nil means none
	// is recorded.
	Runs *runs.Recorder
	// Tracing exports a span per execution, tool call, fetch and snippet
	// run (trace.go); nil means tracing is off and costs nothing.
	Tracing trace.TracerProvider
	// Pauses keeps the runs paused on an approval for 2026-07-28 clients
	// (see replay.go); nil means this process's memory, with a key of its
	// own: a retry must then come back to this process.
	Pauses PauseStore
	// Workspace is the built-in workspace whose tools the registry holds:
	// snippets and imports read and write its files directly. nil means
	// they call the registry's workspace tools, as a script would.
	Workspace *workspace.Workspace
}

// Runner runs code as sandbox.Run does: same arguments, same guarantees.
type Runner func(ctx context.Context, code string, caller sandbox.Caller, opts sandbox.Options) sandbox.Result

// Server is the MCP surface of code mode: the execute and search_tools tools
// over a tools.Registry.
type Server struct {
	reg    *tools.Registry
	limits config.Codemode
	log    *slog.Logger
	run    Runner
	obs    Observer
	adm    *admission
	net    *egress.Client // nil or allowing nothing: no fetch
	mcp    *mcpserver.MCPServer

	levelSet sync.Map // session ids whose client set a log level (progress.go)

	mu    sync.Mutex
	cache *api // declarations of the registry version they were built from

	announceMu sync.Mutex
	announced  string // the execute description clients were last given (upstreams.go)

	snips snippetIndex // of the subjects' saved snippets

	runs   *runs.Recorder // nil: no records
	tracer trace.Tracer   // nil: tracing is off

	pauses PauseStore // runs paused on an approval (replay.go)

	ws *workspace.Workspace // nil: snippets and imports go through the workspace tools (files.go)

	learned learnedShown // which learned result types the description shows (learned.go)

	// In process, the executions and the snippets they run share one
	// memory budget and watchdog, and one spare runtime. A Runner with
	// worker processes leaves them alone: each worker has its own.
	memory *sandbox.Memory
	spares *sandbox.Spares
}

// New returns a server exposing reg's tools in code mode.
func New(reg *tools.Registry, opts Options) *Server {
	s := &Server{reg: reg, limits: withDefaults(opts.Limits), log: opts.Logger, run: opts.Runner, ws: opts.Workspace,
		memory: sandbox.NewMemory(sandbox.DefaultProcessMemory), spares: sandbox.NewSpares(sandbox.DefaultSpares)}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.run == nil {
		s.run = sandbox.Run
	}
	if s.net = opts.Network; s.net == nil {
		s.net = newNetwork(s.limits.Network, s.log)
	}
	if s.obs = opts.Observer; s.obs == nil {
		s.obs = nopObserver{}
	}
	if s.runs = opts.Runs; opts.Tracing != nil {
		s.tracer = opts.Tracing.Tracer("github.com/mcp-codemode/mcp-codemode/server")
	}
	if s.pauses = opts.Pauses; s.pauses == nil {
		s.pauses = newMemoryPauses()
	}
	s.adm = newAdmission(s.limits.MaxConcurrent, s.limits.MaxConcurrentPerSession, s.limits.MaxConcurrentPerSubject)
	if s.limits.Isolation == "inprocess" {
		s.adm.shareMemory(sandbox.DefaultProcessMemory, cmp.Or(int64(s.limits.MemoryLimitMB)<<20, sandbox.DefaultMemoryLimit))
	}
	s.mcp = mcpserver.NewMCPServer(Name, Version,
		mcpserver.WithToolCapabilities(true),
		mcpserver.WithRecovery(),
		mcpserver.WithLogging(), // console lines as log messages, for clients that set a level
		mcpserver.WithHooks(s.loggingHooks()),
		mcpserver.WithInstructions(instructions),
	)
	s.announced = s.current().description
	s.mcp.AddTool(executeTool(s.announced), s.handleExecute)
	s.mcp.AddTool(searchTool(), s.handleSearch)
	// Re-announce execute as soon as the tool set changes (an upstream's
	// tools/list_changed), not at the next call: clients learn of it at once.
	reg.OnChange(func() { s.current() })
	reg.OnLearned(s.onLearned)
	return s
}

func withDefaults(c config.Codemode) config.Codemode {
	d := config.Default().Codemode
	if c.Timeout == 0 {
		c.Timeout = d.Timeout
	}
	if c.MaxToolCalls == 0 {
		c.MaxToolCalls = d.MaxToolCalls
	}
	if c.MaxOutputBytes == 0 {
		c.MaxOutputBytes = d.MaxOutputBytes
	}
	if c.MaxConcurrent == 0 {
		c.MaxConcurrent = d.MaxConcurrent
	}
	if c.MaxConcurrentPerSession == 0 {
		c.MaxConcurrentPerSession = d.MaxConcurrentPerSession
	}
	if c.MaxConcurrentPerSubject == 0 {
		c.MaxConcurrentPerSubject = d.MaxConcurrentPerSubject
	}
	return c
}

// MCP returns the underlying mcp-go server, for transports other than stdio.
func (s *Server) MCP() *mcpserver.MCPServer { return s.mcp }

// api is the generated TypeScript API of one registry version.
type api struct {
	version      uint64
	learned      uint64 // the learned types' version it shows (learned.go)
	declarations string
	description  string
	entries      []tools.Entry
	namespaces   []typegen.Namespace
	unavailable  []string          // servers whose tools are missing, and why (tools.Registry.Unavailable)
	binds        []sandbox.Binding // built once per version: every execution shares them, read-only
}

// current returns the API for the registry's present tool set, building it
// only when the set changed since the last call. When it changed after the
// server started (an upstream came back with other tools), execute's
// description is replaced, which tells clients that the tool list changed.
func (s *Server) current() *api {
	v := s.reg.Version()
	s.mu.Lock()
	if s.cache != nil && s.cache.version == v && s.cache.learned == s.learned.version {
		defer s.mu.Unlock()
		return s.cache
	}
	a := &api{version: v, learned: s.learned.version, entries: s.reg.Entries(), namespaces: s.describedNamespaces(), unavailable: s.reg.Unavailable()}
	a.binds = a.newBindings()
	a.declarations = typegen.Declarations(a.namespaces, typegen.Options{})
	a.description = describe(a, s.limits, s.net.Summary())
	s.warnBudget(a.description)
	changed := s.cache != nil && s.cache.description != a.description
	s.cache = a
	s.mu.Unlock()
	if changed {
		s.announce()
	}
	return a
}

// Declarations returns the TypeScript declarations the model sees.
func (s *Server) Declarations() string { return s.current().declarations }

// Description returns the description of the execute tool.
func (s *Server) Description() string { return s.current().description }
