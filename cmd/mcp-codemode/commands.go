package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcp-codemode/mcp-codemode/config"
	"github.com/mcp-codemode/mcp-codemode/egress"
	"github.com/mcp-codemode/mcp-codemode/isolate"
	"github.com/mcp-codemode/mcp-codemode/redact"
	"github.com/mcp-codemode/mcp-codemode/sandbox"
	"github.com/mcp-codemode/mcp-codemode/server"
	"github.com/mcp-codemode/mcp-codemode/tools"
)

// loadConfig reads --config, else $MCP_CODEMODE_CONFIG, else the embedded
// default. (The env fallback is the generic MCP_CODEMODE_<FLAG> rule.)
func (e *env) loadConfig(path string) (*config.Config, error) {
	if path == "" {
		return config.Default(), nil
	}
	cfg, err := config.Load(path, e.lookup)
	if err == nil {
		e.secrets = redact.New(cfg.Secrets) // every log line from now on is scrubbed
	}
	return cfg, err
}

// start opens the workspace, registers the built-in tools and the
// upstreams of cfg, and waits until each upstream's first attempt to
// connect has ended (in parallel, each within its timeout): for the
// commands that need the tools before they go on (run, check, types).
// Upstreams that fail are logged and retried; entries cfg left out are
// reported. so may set the server's Observer and Runner; the limits,
// logger and network come from cfg.
func (e *env) start(ctx context.Context, cfg *config.Config, so server.Options) (*tools.Registry, *server.Server, []tools.Status, error) {
	return e.boot(ctx, cfg, so, true)
}

// startServing is start without the wait: a server answers its client at
// once, and each upstream's tools arrive as it connects, announced with
// tools/list_changed (README: Clients). The statuses are those of the entries cfg
// left out.
func (e *env) startServing(ctx context.Context, cfg *config.Config, so server.Options) (*tools.Registry, *server.Server, []tools.Status, error) {
	return e.boot(ctx, cfg, so, false)
}

func (e *env) boot(ctx context.Context, cfg *config.Config, so server.Options, wait bool) (*tools.Registry, *server.Server, []tools.Status, error) {
	if err := e.notUpstream(); err != nil {
		return nil, nil, nil, err
	}
	log := e.logger()
	net, err := network(cfg, log)
	if err != nil {
		return nil, nil, nil, err
	}
	st, err := openStore(ctx, cfg, log)
	if err != nil {
		return nil, nil, nil, inConfig(cfg, err)
	}
	e.st = st
	flush, err := e.instrument(ctx, cfg, st, log, &so) // run records and tracing (runs.go)
	if err != nil {
		st.Close()
		return nil, nil, nil, err
	}
	ws := openWorkspace(cfg, st)
	book := learnBook(cfg, st, log)
	reg := tools.NewRegistry(tools.Options{Secrets: cfg.Secrets, Logger: log, Stderr: e.stderr,
		PinToolDefinitions: cfg.Codemode.PinToolDefinitions, Pins: tools.StorePins(st), Learn: book})
	reg.OnClose(book.Close) // before the store closes: it writes the types learned last
	reg.OnClose(flush)      // before the store closes: it writes the last records
	reg.OnClose(st.Close)
	if err := reg.Add(ws.Tools()...); err != nil {
		reg.Close()
		return nil, nil, nil, err
	}
	if err := reserved(cfg, ws.Tools()); err != nil {
		reg.Close()
		return nil, nil, nil, err
	}
	reg.OnChange(func() { warnApprovals(log, cfg, reg) })
	so.Limits, so.Logger, so.Network = cfg.Codemode, log, net
	so.Pauses = server.StorePauses(st) // runs paused on an approval, found by every replica
	so.Workspace = ws                  // snippets and imports read and write it directly
	so.Runner = policy.track(so.Runner, cfg.Codemode.MemoryLimitMB)
	srv := server.New(reg, so)
	statuses := leaveOut(reg, cfg)
	if wait || len(cfg.Servers) == 0 {
		statuses = append(statuses, reg.Connect(ctx, cfg.Servers)...)
		warnApprovals(log, cfg, reg)
	} else {
		reg.Start(cfg.Servers) // warnApprovals runs as their tools arrive
	}
	slices.SortStableFunc(statuses, func(a, b tools.Status) int { return strings.Compare(a.Server, b.Server) })
	return reg, srv, statuses, nil
}

// notUpstream refuses to start an mcp-codemode that another one started as
// its upstream (config.ParentEnv): an entry that runs mcp-codemode through
// a wrapper the configuration check cannot see through (sh -c, npx, env)
// would start copies of itself without end. The parent shows this line as
// that server's error and stops retrying it.
func (e *env) notUpstream() error {
	pid, ok := e.lookup(config.ParentEnv)
	if !ok || pid == "" {
		return nil
	}
	return fmt.Errorf("%s (pid %s) as one of its upstream servers, which would start copies of itself without end; "+
		"remove the mcpServers entry that runs mcp-codemode (directly, or through npx, sh or env) from that "+
		"mcp-codemode's configuration", config.SelfSpawnRefusal, pid)
}

// leaveOut registers the servers the configuration left out (a ${VAR} of
// theirs is not set, or they would start mcp-codemode itself): logged
// with the reason, printed by check, listed in the execute description,
// and not ready like a server whose command fails (README: Configuration).
func leaveOut(reg *tools.Registry, cfg *config.Config) []tools.Status {
	var out []tools.Status
	for _, u := range cfg.Unavailable {
		out = append(out, reg.LeaveOut(u.Name, u.Type, u.Err))
	}
	return out
}

// reserved refuses an upstream named like a namespace mcp-codemode serves
// itself: the built-in tools' or the snippets'. The model could not tell the
// two apart, and require_approval entries would gate the wrong one, so the
// entry is renamed by the user rather than silently left out or renamed here.
func reserved(cfg *config.Config, builtin []tools.Tool) error {
	for _, s := range cfg.Servers {
		why := server.ReservedServerName(s.Name)
		for _, t := range builtin {
			if t.Server == s.Name {
				why = "the built-in " + t.Server + " tools"
			}
		}
		if why != "" {
			return &config.Error{Path: cfg.Path, Key: "mcpServers." + s.Name,
				Msg: fmt.Sprintf("the name %q is taken by %s; rename this entry, e.g. to %q", s.Name, why, s.Name+"_server")}
		}
	}
	return nil
}

// warnApprovals warns of require_approval entries that match no tool (a
// typo, or a server not connected yet): nothing asks before those calls.
// It runs at start and after every change of the tool set.
func warnApprovals(log *slog.Logger, cfg *config.Config, reg *tools.Registry) {
	names := map[string]bool{}
	var namespaces []string
	for _, e := range reg.Entries() {
		names[e.Server], names[e.Namespace], names[e.Server+"."+e.Name], names[e.Path()] = true, true, true, true
		if !slices.Contains(namespaces, e.Namespace) {
			namespaces = append(namespaces, e.Namespace)
		}
	}
	if miss := cfg.Codemode.UnmatchedApprovals(names); len(miss) > 0 {
		log.Warn("codemode.require_approval: entries that match no tool, so no call is gated by them; "+
			"name a server or namespace, or server.tool, as the declarations show it",
			"config", cfg.Path, "unmatched", miss, "namespaces", strings.Join(namespaces, ", "))
	}
}

// inConfig names the configuration file in an error about one of its
// settings found after loading it (by the workspace, the worker pool or the
// HTTP transport), as Load names it in its own errors.
func inConfig(cfg *config.Config, err error) error {
	var ce *config.Error
	switch {
	case errors.As(err, &ce):
		if ce.Path == "" {
			ce.Path = cfg.Path
		}
		return err
	case cfg.Path == "":
		return err
	}
	return fmt.Errorf("config %s: %w", cfg.Path, err)
}

// network compiles the fetch policy, whose responses are scrubbed of every
// secret of the file. A bad rule is a configuration error of that file.
func network(cfg *config.Config, log *slog.Logger) (*egress.Client, error) {
	c, err := egress.New(cfg.Codemode.Network, egress.Options{Secrets: cfg.Secrets, Logger: log})
	var ce *config.Error
	if errors.As(err, &ce) {
		ce.Path = cfg.Path
	}
	return c, err
}

func (e *env) serve(ctx context.Context, args []string) int {
	f, cfg, err := e.configured("serve", args)
	if err != nil {
		return e.usageError(err)
	}
	if err := checkTransport(f.transport, f.listen, cfg.Codemode.Auth); err != nil {
		return e.usageError(err)
	}
	if f.transport != "stdio" {
		return e.serveHTTP(ctx, &f, cfg)
	}
	runner, stop, err := e.isolation(cfg, f.transport)
	if err != nil {
		return e.usageError(err)
	}
	defer stop()
	reg, srv, _, err := e.startServing(ctx, cfg, server.Options{Runner: onOneProcessor(runner)})
	if err != nil {
		return e.usageError(err)
	}
	defer reg.Close()
	governor.Start() // startup is over
	err = srv.ServeStdio(ctx, e.stdin, e.stdout, e.stderr)
	if err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintf(e.stderr, "mcp-codemode: %v\n", err)
		return exitFailed
	}
	return exitOK
}

func (e *env) types(ctx context.Context, args []string) int {
	var f flags
	fs, err := e.parse("types", args, &f, commandFlags["types"]...)
	if err == nil {
		err = e.noArgs(fs)
	}
	if err != nil {
		return e.usageError(err)
	}
	if f.tools != "" {
		return e.typesFromFile(f.tools, f.namespace)
	}
	cfg, err := e.loadConfig(f.config)
	if err != nil {
		return e.usageError(err)
	}
	reg, srv, _, err := e.start(ctx, cfg, server.Options{})
	if err != nil {
		return e.usageError(err)
	}
	defer reg.Close()
	fmt.Fprint(e.stdout, srv.Declarations())
	return exitOK
}

// typesFromFile declares the tools of a tools/list result, and only those.
func (e *env) typesFromFile(path, namespace string) int {
	data, err := os.ReadFile(path)
	if err != nil {
		return e.usageError(fmt.Errorf("types --tools: %v", err))
	}
	if namespace == "" {
		namespace, _, _ = strings.Cut(filepath.Base(path), ".")
	}
	list, err := tools.FromList(namespace, data, notConnected)
	if err != nil {
		return e.usageError(fmt.Errorf("types --tools %s: %v", path, err))
	}
	reg := tools.NewRegistry(tools.Options{Logger: e.logger(), Stderr: e.stderr})
	if err := reg.Add(list...); err != nil {
		return e.usageError(fmt.Errorf("types --tools %s: %v", path, err))
	}
	fmt.Fprint(e.stdout, server.New(reg, server.Options{Logger: e.logger()}).Declarations())
	return exitOK
}

func (e *env) runScript(ctx context.Context, args []string) int {
	var f flags
	e.logLevel = slog.LevelWarn
	fs, err := e.parse("run", args, &f, commandFlags["run"]...)
	if err != nil {
		return e.usageError(err)
	}
	if fs.NArg() != 1 {
		return e.usageError(errors.New("run needs one SCRIPT file, or - for standard input"))
	}
	code, err := e.readScript(fs.Arg(0))
	if err != nil {
		return e.usageError(err)
	}
	cfg, err := e.loadConfig(f.config)
	if err != nil {
		return e.usageError(err)
	}
	runner, stop, err := e.isolation(cfg, "stdio")
	if err != nil {
		return e.usageError(err)
	}
	defer stop()
	reg, srv, _, err := e.start(ctx, cfg, server.Options{Runner: runner})
	if err != nil {
		return e.usageError(err)
	}
	defer reg.Close()
	return e.report(srv.Execute(ctx, code))
}

// isolation returns the runner codemode.isolation asks for, and what stops
// it: nil (sandbox.Run in this process) for "inprocess", a pool of worker
// processes for "process". Unset, it is "inprocess" on stdio and "process"
// on the HTTP transports (README: Configuration).
func (e *env) isolation(cfg *config.Config, transport string) (server.Runner, func(), error) {
	mode := cfg.Codemode.Isolation
	if mode == "" {
		mode = "inprocess"
		if transport != "stdio" {
			mode = "process"
		}
	}
	if mode != "process" {
		return nil, func() {}, nil
	}
	pool, err := isolate.NewPool(isolate.Options{
		Max:         min(cfg.Codemode.MaxConcurrent, 64),
		MemoryLimit: int64(cfg.Codemode.MemoryLimitMB) << 20,
		Stderr:      e.stderr,
		Subject:     tools.Subject, // shares the workers fairly between subjects
	})
	if err != nil {
		return nil, nil, inConfig(cfg, fmt.Errorf("codemode.isolation %q: %w", mode, err))
	}
	return pool.Run, func() { pool.Close() }, nil
}

func (e *env) readScript(name string) (string, error) {
	if name == "-" {
		b, err := io.ReadAll(e.stdin)
		return string(b), err
	}
	b, err := os.ReadFile(name)
	if err != nil {
		return "", fmt.Errorf("run: %v", err)
	}
	return string(b), nil
}

// report prints a run's console output to stderr, then its result to stdout
// or its error to stderr.
func (e *env) report(res sandbox.Result) int {
	for _, l := range res.Logs {
		fmt.Fprintln(e.stderr, l)
	}
	if res.Err != nil {
		fmt.Fprintln(e.stderr, res.Err.Error())
		return exitFailed
	}
	fmt.Fprintln(e.stdout, pretty(res.Value))
	return exitOK
}

// pretty indents a result's JSON. json.Indent keeps the text of strings as
// it is: json.MarshalIndent would print <, > and & as \u003c, \u003e and
// \u0026.
func pretty(raw json.RawMessage) string {
	if len(raw) == 0 {
		return "null"
	}
	var b bytes.Buffer
	if err := json.Indent(&b, raw, "", "  "); err != nil {
		return string(raw)
	}
	return b.String()
}

func (e *env) check(ctx context.Context, args []string) int {
	_, cfg, err := e.configured("check", args)
	if err != nil {
		return e.usageError(err)
	}
	reg, _, statuses, err := e.start(ctx, cfg, server.Options{})
	if err != nil {
		return e.usageError(err)
	}
	defer reg.Close()
	return e.printStatuses(statuses)
}

func (e *env) printStatuses(statuses []tools.Status) int {
	if len(statuses) == 0 {
		fmt.Fprintln(e.stdout, "no upstream servers configured; only the built-in tools are served")
		return exitOK
	}
	w := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	status := exitOK
	for _, s := range statuses {
		if s.Err != nil {
			status = exitFailed
			fmt.Fprintf(w, "%s\t%s\terror: %v\n", s.Server, s.Transport, s.Err)
			continue
		}
		fmt.Fprintf(w, "%s\t%s\t%d tools\t%s\n", s.Server, s.Transport, s.Tools, s.Duration.Round(time.Millisecond))
	}
	w.Flush()
	return status
}

func (e *env) version(args []string) int {
	if len(args) == 1 && (args[0] == "--help" || args[0] == "-h" || args[0] == "-help") {
		fmt.Fprint(e.stdout, commandUsage["version"])
		return exitOK
	}
	if len(args) > 0 {
		return e.usageError(fmt.Errorf("version takes no arguments"))
	}
	fmt.Fprintf(e.stdout, "mcp-codemode %s (%s)\n", server.Version, runtime.Version())
	return exitOK
}

// notConnected handles the tools of `types --tools`: they are declared, not called.
func notConnected(context.Context, json.RawMessage) (*mcp.CallToolResult, error) {
	return nil, errors.New("this tool was read from a tools/list file and is not connected")
}
