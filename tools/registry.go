package tools

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mcp-codemode/mcp-codemode/learn"
	"github.com/mcp-codemode/mcp-codemode/redact"
	"github.com/mcp-codemode/mcp-codemode/typegen"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Options configures a Registry.
type Options struct {
	// Secrets are scrubbed to "[redacted]", in every encoding package redact
	// finds, from every result and error text before it reaches the script,
	// from upstreams' instructions and tool definitions, from forwarded
	// upstream stderr and from every line logged through Logger. Values
	// shorter than 4 bytes are ignored. Nil means nothing is scrubbed.
	Secrets []string
	// Logger receives the registry's own logs. Nil means slog.Default().
	Logger *slog.Logger
	// Stderr receives upstream servers' stderr, line by line, each line
	// prefixed with "[name] ". Nil means os.Stderr.
	Stderr io.Writer
	// PinToolDefinitions refuses an upstream tool whose definition changed
	// since it was first seen (see pin.go); false only logs the change.
	PinToolDefinitions bool
	// Pins keeps the pins of tool definitions across restarts; nil keeps
	// them in memory only.
	Pins PinStore
	// MaxResultBytes bounds one message read from an upstream (a result
	// with its envelope): a larger one is dropped as it streams, never held
	// whole, and the call fails. 0 means DefaultMaxResultBytes; a server
	// passes the cap its sandbox puts on a result.
	MaxResultBytes int
	// Learn learns the result types of tools without an outputSchema from
	// their results (learn.go); nil learns nothing.
	Learn *learn.Book
}

// Registry holds the tools the model can call: built-in tools added with
// Add and the tools of upstream MCP servers. It is safe for concurrent use.
type Registry struct {
	log    *slog.Logger
	red    *redactor
	stderr *syncWriter
	ctx    context.Context // lifetime of upstream connections
	cancel context.CancelFunc

	maxResult int // Options.MaxResultBytes, defaulted

	// Tests shorten these.
	startTimeout, minBackoff, maxBackoff time.Duration

	mu       sync.Mutex // serialises changes to servers and snapshot
	servers  map[string]*serverTools
	snap     atomic.Pointer[snapshot]
	pins     map[string]pin // first definition seen, by tool id
	pinDefs  bool
	pinStore PinStore
	learn    *learn.Book
	onChange []func()
	// onUpstream are the OnUpstreamChanged hooks (refresh.go).
	onUpstream []func(server string)
	closers    []func() error
}

// serverTools is one namespace as configured: built-in or upstream.
type serverTools struct {
	name        string
	description string
	up          *upstream // nil for built-in tools
	tools       map[string]*toolRec
}

// toolRec is a tool with what its calls need: its input schema is compiled
// at its first call (see validator).
type toolRec struct {
	Tool
	hash string    // definitionHash: what learned result types are kept by
	args *argNames // the argument names of a plain object schema (argnames.go)

	compiled sync.Once
	schema   *jsonschema.Schema // nil: validate nothing but the argument object
}

// NewRegistry returns an empty registry.
func NewRegistry(opts Options) *Registry {
	r := &Registry{
		log:          opts.Logger,
		red:          newRedactor(opts.Secrets),
		stderr:       &syncWriter{w: opts.Stderr},
		startTimeout: 30 * time.Second,
		minBackoff:   500 * time.Millisecond,
		maxBackoff:   30 * time.Second,
		servers:      map[string]*serverTools{},
		pins:         map[string]pin{},
		pinDefs:      opts.PinToolDefinitions,
		pinStore:     opts.Pins,
		maxResult:    cmp.Or(opts.MaxResultBytes, DefaultMaxResultBytes),
		learn:        opts.Learn,
	}
	if r.log == nil {
		r.log = slog.Default()
	}
	r.log = slog.New(redact.Handler(r.log.Handler(), r.red)) // mcp-go's transports log through it too
	if r.stderr.w == nil {
		r.stderr.w = os.Stderr
	}
	r.loadPins()
	r.ctx, r.cancel = context.WithCancel(context.Background())
	r.snap.Store(&snapshot{byID: map[string]*binding{}})
	return r
}

// Add registers built-in tools. It fails, adding none, when a tool lacks a
// server, name or handler, when a server+name pair is taken, or when the
// server is an upstream's namespace.
func (r *Registry) Add(tools ...Tool) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	seen := map[string]bool{}
	for _, t := range tools {
		if err := r.checkAdd(t, seen); err != nil {
			return err
		}
	}
	for _, t := range tools {
		st := r.servers[t.Server]
		if st == nil {
			st = &serverTools{name: t.Server, tools: map[string]*toolRec{}}
			r.servers[t.Server] = st
		}
		st.tools[t.Name] = r.compile(t)
	}
	r.rebuild()
	return nil
}

func (r *Registry) checkAdd(t Tool, seen map[string]bool) error {
	id := toolID(t.Server, t.Name)
	switch st := r.servers[t.Server]; {
	case t.Server == "" || t.Name == "":
		return fmt.Errorf("adding tool %q of server %q: both a server and a name are required", t.Name, t.Server)
	case t.Handler == nil:
		return fmt.Errorf("adding tool %s.%s: Handler is nil", t.Server, t.Name)
	case st != nil && st.up != nil:
		return fmt.Errorf("adding tool %s.%s: %q is an upstream server's namespace", t.Server, t.Name, t.Server)
	case seen[id] || st != nil && st.tools[t.Name] != nil:
		return fmt.Errorf("adding tool %s.%s: a tool with that server and name is already registered", t.Server, t.Name)
	}
	seen[id] = true
	return nil
}

// SetDescription sets the description of a namespace, shown with its
// declarations. Upstream namespaces default to the server's instructions.
func (r *Registry) SetDescription(server, description string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if st := r.servers[server]; st != nil {
		st.description = r.red.String(description)
		r.rebuild()
	}
}

// compile makes t's record; its input schema is compiled at its first call
// (validator).
func (r *Registry) compile(t Tool) *toolRec {
	return &toolRec{Tool: t, hash: definitionHash(t), args: newArgNames(t.inputSchema())}
}

// validator compiles rec's input schema once, at the tool's first call: a
// compiled schema holds kilobytes, and most tools of a large server are
// never called (5,000 of them held 15 MB of a 34 MB heap, which every
// collection marks). A schema that does not compile is logged and not
// enforced, since real servers publish sloppy ones.
func (r *Registry) validator(rec *toolRec) *jsonschema.Schema {
	rec.compiled.Do(func() {
		sch, err := compileSchema(rec.inputSchema())
		if err != nil {
			r.log.Warn("input schema does not compile; arguments will not be validated",
				"server", rec.Server, "tool", rec.Name, "err", r.red.String(err.Error()))
			return
		}
		rec.schema = sch
	})
	return rec.schema
}

// setUpstreamTools installs the tools an upstream listed, replacing its
// previous ones. Unchanged tools keep their records; the version
// bumps only when something changed.
func (r *Registry) setUpstreamTools(u *upstream, description string, tools []Tool) {
	description, tools = r.red.String(description), r.redactTools(u.name, tools)
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.servers[u.name]
	if st == nil || st.up != u {
		return // closed or replaced meanwhile
	}
	next, changed := map[string]*toolRec{}, len(tools) != len(st.tools) || st.description != description
	for _, t := range tools {
		if !r.checkPin(t) {
			changed = changed || st.tools[t.Name] != nil
			continue
		}
		if old := st.tools[t.Name]; old != nil && sameTool(old.Tool, t) {
			next[t.Name] = old
			continue
		}
		next[t.Name], changed = r.compile(t), true
	}
	if changed {
		st.tools, st.description = next, description
		r.rebuild()
	}
}

func sameTool(a, b Tool) bool {
	ja, _ := json.Marshal(a.Annotations)
	jb, _ := json.Marshal(b.Annotations)
	return a.Name == b.Name && a.Title == b.Title && a.Description == b.Description &&
		string(a.InputSchema) == string(b.InputSchema) &&
		string(a.OutputSchema) == string(b.OutputSchema) && string(ja) == string(jb)
}

// Entries returns every tool, sorted by Namespace then Method.
func (r *Registry) Entries() []Entry {
	return slices.Clone(r.snap.Load().entries)
}

// Lookup finds a tool by id.
func (r *Registry) Lookup(id string) (Entry, bool) {
	b, ok := r.snap.Load().byID[id]
	if !ok {
		return Entry{}, false
	}
	return b.entry, true
}

// Namespaces returns the tools grouped for typegen.Declarations, in the
// order of Entries. The value is computed once per tool set.
func (r *Registry) Namespaces() []typegen.Namespace {
	return slices.Clone(r.snap.Load().namespaces)
}

// Version identifies the tool set; it changes whenever the tool set does.
func (r *Registry) Version() uint64 { return r.snap.Load().version }

// Search ranks tools against a free-text query; see search.go.
func (r *Registry) Search(query string, limit int) []Entry {
	return r.snap.Load().search(query, limit)
}

// Call validates args against the tool's inputSchema, calls the tool, and
// returns its unwrapped, redacted result. Errors are *ArgumentError,
// *ToolError, *UpstreamError, *StoreError or *UnknownToolError. The
// signature matches sandbox.Caller.
func (r *Registry) Call(ctx context.Context, id string, args json.RawMessage) (json.RawMessage, error) {
	b, ok := r.snap.Load().byID[id]
	if !ok {
		return nil, &UnknownToolError{ID: id}
	}
	if len(args) == 0 || string(args) == "null" {
		args = json.RawMessage("{}")
	}
	obj, aerr := validateArgs(r.validator(b.rec), b.entry.Path(), args)
	if aerr != nil {
		return nil, r.redactArgs(aerr)
	}
	if aerr := b.rec.args.check(b.entry.Path(), obj); aerr != nil {
		return nil, r.redactArgs(aerr)
	}
	res, err := r.invoke(ctx, b, args)
	if err != nil {
		return nil, r.callError(b, err)
	}
	out, err := r.result(b, res)
	if err == nil {
		r.observe(ctx, b, out)
	}
	return out, err
}

// Redact scrubs the configured secrets from s as Call scrubs results and
// errors: for callers that read a built-in tool's data without a call (the
// server reads snippets and imports from the workspace directly).
func (r *Registry) Redact(s string) string { return r.red.String(s) }

// invoke runs the handler; a panic becomes a ToolError rather than the end
// of the process.
func (r *Registry) invoke(ctx context.Context, b *binding, args json.RawMessage) (res *mcp.CallToolResult, err error) {
	defer func() {
		if p := recover(); p != nil {
			r.log.Error("tool handler panicked", "tool", b.entry.Path(), "panic", r.red.String(fmt.Sprint(p)))
			err = &ToolError{Message: fmt.Sprintf("internal error in %s: %v", b.entry.Path(), p)}
		}
	}()
	return b.rec.Handler(ctx, args)
}

// callError types a handler's error: this package's errors pass through,
// anything else a built-in returns is the tool failing.
func (r *Registry) callError(b *binding, err error) error {
	var (
		te *ToolError
		ue *UpstreamError
		ae *ArgumentError
		se *StoreError
		he *HTTPError
	)
	switch {
	case errors.As(err, &he):
		he.Path, he.Msg = b.entry.Path(), r.red.String(he.Msg)
		return he
	case errors.As(err, &ue):
		ue.Path = b.entry.Path()
		ue.Msg = r.red.String(ue.Msg)
		return ue
	case errors.As(err, &se):
		se.Server, se.Tool, se.Msg = b.entry.Server, b.entry.Name, r.red.String(se.Msg)
		return se
	case errors.As(err, &ae):
		return r.redactArgs(ae)
	case !errors.As(err, &te):
		te = &ToolError{Message: err.Error()}
	}
	te.Server, te.Tool, te.Message = b.entry.Server, b.entry.Name, r.red.String(te.Message)
	return te
}

func (r *Registry) result(b *binding, res *mcp.CallToolResult) (json.RawMessage, error) {
	out, te, err := unwrap(res)
	if te != nil {
		return nil, r.callError(b, te)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", b.entry.Path(), r.red.Error(err))
	}
	return r.red.JSON(out), nil
}

func (r *Registry) redactArgs(e *ArgumentError) *ArgumentError {
	for i := range e.Violations {
		e.Violations[i].Path = r.red.String(e.Violations[i].Path)
		e.Violations[i].Reason = r.red.String(e.Violations[i].Reason)
	}
	return e
}

// OnClose registers f to run when the registry closes, after the
// upstreams stopped: the store of a built-in tool (the workspace's database).
func (r *Registry) OnClose(f func() error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closers = append(r.closers, f)
}

// Close stops every upstream (child processes are asked to exit, then
// killed) and waits for them, then runs the OnClose functions.
func (r *Registry) Close() error {
	defer r.runClosers()
	r.cancel()
	r.mu.Lock()
	var ups []*upstream
	for _, st := range r.servers {
		if st.up != nil {
			ups = append(ups, st.up)
		}
	}
	r.mu.Unlock()
	var wg sync.WaitGroup
	for _, u := range ups {
		wg.Go(u.close)
	}
	wg.Wait()
	return nil
}

func (r *Registry) runClosers() {
	r.mu.Lock()
	fs := r.closers
	r.closers = nil
	r.mu.Unlock()
	for _, f := range fs {
		if err := f(); err != nil {
			r.log.Warn("closing", "err", err)
		}
	}
}

// rebuild publishes a new snapshot; r.mu must be held.
func (r *Registry) rebuild() {
	next := buildSnapshot(r.servers)
	next.version = r.snap.Load().version + 1
	r.snap.Store(next)
	r.changed()
}

// firstLine is the first non-empty line of s, cut to n runes: enough of a
// server's instructions to describe its namespace.
func firstLine(s string, n int) string {
	for line := range strings.Lines(s) {
		if line = strings.TrimSpace(line); line != "" {
			if rs := []rune(line); len(rs) > n {
				return string(rs[:n-1]) + "…"
			}
			return line
		}
	}
	return ""
}
