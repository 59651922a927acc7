package server

import (
	"context"
	"encoding/json"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcp-codemode/mcp-codemode/egress"
	"github.com/mcp-codemode/mcp-codemode/modules"
	"github.com/mcp-codemode/mcp-codemode/runs"
	"github.com/mcp-codemode/mcp-codemode/sandbox"
)

// Execute runs code as the execute tool would and returns the sandbox's
// result. It never returns a Go error: whatever the code did is in the result.
func (s *Server) Execute(ctx context.Context, code string) sandbox.Result {
	res, _, _ := s.execute(ctx, code)
	return res
}

// execute is Execute that also returns the audit of the run's fetches and
// the id of its record ("" when runs are not recorded).
func (s *Server) execute(ctx context.Context, code string) (sandbox.Result, []egress.Record, string) {
	ctx, run, span := s.beginRun(ctx, code)
	waited, werr := s.awaitUpstreams(ctx, code)
	a := s.current()
	opts := sandbox.Options{
		Bindings:     a.bindings(),
		Timeout:      s.limits.Timeout - min(waited, s.limits.Timeout-time.Millisecond),
		MaxToolCalls: s.limits.MaxToolCalls,
		MaxLogBytes:  max(s.limits.MaxOutputBytes*4, 64<<10),
		MemoryLimit:  int64(s.limits.MemoryLimitMB) << 20,
		// The model sees max_output_bytes of the result: serialising much
		// more only costs memory and time (and `run` prints what execute
		// would return).
		// Images and audio leave the result for content blocks: their
		// base64 (4/3 of max_media_bytes) comes on top.
		MaxResultBytes: max(64*s.limits.MaxOutputBytes, 1<<20) + mediaLimit(s.limits.MaxMediaBytes)/3*4,
		Memory:         s.memory,
		Spares:         s.spares,
	}
	h := hooksFrom(ctx)
	opts.OnCall, opts.OnLog = h.onCall, h.onLog
	fetch := s.withNetwork(&opts)
	started := time.Now()
	d, _ := durableFrom(ctx)
	if d != nil {
		opts.Replay = d.replay("")
		d.request = ctx
		ctx, d.stop = context.WithCancelCause(ctx)
		defer d.stop(nil)
	}
	c := &caller{s: s, api: a, fetch: fetch, opts: opts, budget: newBudget(), approved: new(sync.Map), checking: make(chan struct{}, 1), durable: d}
	c.run = run
	var res sandbox.Result
	if werr != nil {
		res = sandbox.Result{Err: werr, Logs: []string{}}
	} else if bundled, err := c.bundle(ctx, code); err != nil {
		res = sandbox.Result{Err: err, Logs: []string{}}
	} else {
		res = settle(ctx, s.run(ctx, bundled, c, c.opts)) // c.opts: what bundling left of the timeout
		c.origins.Place(res.Err)                          // an error inside an imported file
		res = d.settle(res)
	}
	outcome := s.logRun(ctx, res, time.Since(started), run.ID())
	if pausedRun(d) {
		outcome = "paused" // for the record and the span; the retry is a run of its own
	}
	endRun(run, span, res, outcome)
	return res, fetch.Records(), run.ID()
}

// logRun logs and counts an execution and returns its outcome.
func (s *Server) logRun(ctx context.Context, res sandbox.Result, d time.Duration, runID string) string {
	outcome := Outcome(res)
	if outcome == "error" && ctx.Err() != nil {
		outcome = "cancelled" // what the script made of its cancelled calls is beside the point
	}
	s.obs.Executed(outcome, d)
	attrs := []any{"outcome", outcome, "tool_calls", res.Stats.ToolCalls, "duration", d}
	if runID != "" {
		attrs = append(attrs, "run_id", runID)
	}
	if res.Err != nil {
		s.log.InfoContext(ctx, "execute", append(attrs, "error", res.Err.Name)...)
		return outcome
	}
	s.log.DebugContext(ctx, "execute", attrs...)
	return outcome
}

func (s *Server) handleExecute(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	code, err := req.RequireString("code")
	if err != nil {
		return mcp.NewToolResultError(`execute needs {"code": string}: the TypeScript to run`), nil
	}
	ctx, release, busy := s.adm.admit(ctx)
	if busy != nil {
		s.obs.Executed(Outcome(sandbox.Result{Err: busy}), 0)
		return Format(sandbox.Result{Err: busy, Logs: []string{}}, s.limits.MaxOutputBytes), nil
	}
	defer release()
	ctx = s.tr().withRemoteParent(ctx, req.Params.Meta)
	d, refused := s.durableRun(ctx, req, code)
	if refused != nil {
		return refused, nil
	}
	res, fetches, runID := s.execute(withHooks(withDurable(ctx, d, ""), s.reporting(ctx, req)), code)
	if p, journal := d.paused(); p != nil {
		return s.pauseResult(ctx, d, p, journal), nil
	}
	return withRunID(format(res, fetches, s.limits.MaxOutputBytes, s.limits.MaxMediaBytes), runID), nil
}

// bindings are the global methods the sandbox defines for this API.
func (a *api) bindings() []sandbox.Binding { return a.binds }

// newBindings builds the bindings of this API.
func (a *api) newBindings() []sandbox.Binding {
	out := make([]sandbox.Binding, 0, len(a.entries)+2)
	for _, e := range a.entries {
		out = append(out, sandbox.Binding{Object: e.Namespace, Method: e.Method, ID: e.ID})
	}
	return append(out,
		// The helpers' positional parameters: codemode.search(query, {limit})
		// reaches the host as {limit, query}, save(name, code, description)
		// as {name, code, description}; one object argument passes as it is.
		sandbox.Binding{Object: "codemode", Method: "search", ID: helperSearch, Params: []string{"query", "...options"}},
		sandbox.Binding{Object: "codemode", Method: "describe", ID: helperDescribe},
		sandbox.Binding{Object: "codemode", Method: "save", ID: helperSave, Params: []string{"name", "code", "description"}},
		sandbox.Binding{Object: "codemode", Method: "run", ID: helperRun, Params: []string{"name", "input"}},
	)
}

// caller routes the sandbox's calls: codemode helpers here, fetch to the
// execution's network session, tools to the registry.
type caller struct {
	s      *Server
	api    *api
	fetch  *egress.Session // nil without a network policy
	opts   sandbox.Options // of the run, for the snippets it runs
	budget *atomic.Int64   // tool calls of the execution, snippets included; nil: unbounded here
	depth  int             // of snippets running snippets
	// approved holds the tools the user allowed for the rest of the
	// execution (shared with its snippets); nil only in a zero caller.
	approved *sync.Map
	// checking is held while codemode.save compiles a snippet: one at a
	// time per execution, its snippets included (see checkSnippetCode).
	checking chan struct{}
	// origins places errors in the files the code imports (set by bundle).
	origins *modules.Origins
	// durable journals the calls of a run that may pause for an approval,
	// and answers them again when it resumes (replay.go); nil otherwise.
	durable *durable
	prefix  string // of the keys of this caller's calls: "" the script's, "3/" a snippet's
	// run is the execution's record, its snippets' calls included; nil
	// when runs are not recorded (record.go).
	run *runs.Run
}

func (c *caller) Call(ctx context.Context, id string, args json.RawMessage) (out json.RawMessage, err error) {
	if err := c.countCall(); err != nil {
		return nil, err
	}
	ctx, o := c.s.observe(ctx, c.run, id, args)
	defer func() { o.end(out, err) }()
	switch id {
	case helperSearch:
		return c.s.helperSearch(ctx, args)
	case helperDescribe:
		return c.s.helperDescribe(ctx, c, args)
	}
	if seq, ok := sandbox.CallSeq(ctx); ok && c.durable != nil {
		key := c.prefix + strconv.Itoa(seq)
		return c.durable.call(ctx, key, id, args, c.approved, func(ctx context.Context) (json.RawMessage, error) {
			return c.call(ctx, id, args)
		})
	}
	return c.call(ctx, id, args)
}

// call makes one call of the script (search and describe aside).
func (c *caller) call(ctx context.Context, id string, args json.RawMessage) (json.RawMessage, error) {
	switch id {
	case helperSave:
		return c.helperSave(ctx, args)
	case helperRun:
		return c.helperRun(ctx, args)
	case fetchID:
		if c.fetch != nil {
			return c.fetch.Fetch(ctx, args)
		}
	}
	if err := c.approve(ctx, id, args, ""); err != nil {
		return nil, err
	}
	out, err := c.s.callTool(ctx, id, args)
	if err == nil {
		c.s.snippetWritten(ctx, id, args)
	}
	return out, err
}
