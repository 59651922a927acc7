package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/mcp-codemode/mcp-codemode/hosted"
	"github.com/mcp-codemode/mcp-codemode/isolate"
	"github.com/mcp-codemode/mcp-codemode/redact"
)

// Exit statuses (SPEC §2).
const (
	exitOK     = 0
	exitFailed = 1 // the script failed, or an upstream could not be reached
	exitUsage  = 2 // bad command line or configuration
)

const usage = `mcp-codemode gives an AI agent "code mode": one execute tool whose description
is a TypeScript API of all your MCP servers' tools; the model writes code, and
mcp-codemode runs it in a fresh sandbox that calls the real tools.

Usage:
  mcp-codemode [serve] [--config FILE] [--transport stdio|http|sse] [--listen ADDR]
  mcp-codemode types   [--config FILE] [--tools FILE [--namespace NAME]]
  mcp-codemode run     [--config FILE] SCRIPT|-
  mcp-codemode check   [--config FILE]
  mcp-codemode version

Commands:
  serve    serve MCP (the default; stdio is what Claude Desktop runs)
  types    print the TypeScript declarations the model sees
  run      run one script as execute would; the result's JSON goes to stdout
  check    connect to every configured server and report its tool count
  version  print the version

--transport http serves streamable HTTP at /mcp, --transport sse serves /sse
and /message; both also serve /healthz, /readyz and /metrics. --listen
defaults to 127.0.0.1:8080; another address needs codemode.auth (bearer
tokens or JWT) in the configuration.

Without --config, $MCP_CODEMODE_CONFIG is read; without either, only the
built-in tools are served. Every flag may also be set as MCP_CODEMODE_<FLAG>,
e.g. MCP_CODEMODE_LISTEN=127.0.0.1:9000. MCP_CODEMODE_LOG_LEVEL (debug, info,
warn, error) and MCP_CODEMODE_LOG_FORMAT=json shape the logs on stderr;
MCP_CODEMODE_SHUTDOWN_GRACE (default 30s) is how long HTTP requests in
flight may finish after SIGTERM.

Exit status: 0 success, 1 script or server failure, 2 usage or configuration error.
`

// env is the process environment the command reads flags and ${VAR} from.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	lookup         func(string) (string, bool)
	secrets        *redact.Redactor // of the configuration loaded; logger scrubs with it
}

// run is main without the process: it is what the tests call.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr, lookup: os.LookupEnv}
	return e.run(ctx, args)
}

func (e *env) run(ctx context.Context, args []string) int {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return e.serve(ctx, args)
	case "types":
		return e.types(ctx, args)
	case "run":
		return e.runScript(ctx, args)
	case "check":
		return e.check(ctx, args)
	case "version":
		return e.version(args)
	case "help":
		fmt.Fprint(e.stdout, usage)
		return exitOK
	case isolate.WorkerCommand:
		// Hidden: a sandbox worker process, started by a pool (isolate's init
		// usually takes it first; this serves one started by hand).
		return isolate.ServeWorker()
	}
	fmt.Fprintf(e.stderr, "mcp-codemode: unknown command %q; the commands are serve, types, run, check, version\n", cmd)
	return exitUsage
}

// flags is every flag of every command; each command registers those it takes.
type flags struct {
	config, transport, listen, tools, namespace string
}

func (e *env) parse(name string, args []string, f *flags, which ...string) (*flag.FlagSet, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	defs := map[string]struct {
		p    *string
		def  string
		help string
	}{
		"config":    {&f.config, "", "configuration file (claude_desktop_config.json works as it is)"},
		"transport": {&f.transport, "stdio", "stdio, http or sse"},
		"listen":    {&f.listen, "127.0.0.1:8080", "address for http and sse"},
		"tools":     {&f.tools, "", "a tools/list result to declare instead of the configured servers"},
		"namespace": {&f.namespace, "", "namespace for --tools (default: the file's base name)"},
	}
	for _, w := range which {
		d := defs[w]
		def := d.def
		if v, ok := e.lookup("MCP_CODEMODE_" + strings.ToUpper(w)); ok {
			def = v
		}
		fs.StringVar(d.p, w, def, d.help)
	}
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(e.stdout, usage)
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %v; see mcp-codemode --help", name, err)
	}
	return fs, nil
}

// usageError prints err (unless it is a help request) and gives the status.
func (e *env) usageError(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	fmt.Fprintf(e.stderr, "mcp-codemode: %v\n", err)
	return exitUsage
}

// logger logs to stderr at MCP_CODEMODE_LOG_LEVEL (default info), as
// text or, with MCP_CODEMODE_LOG_FORMAT=json, one JSON object per line.
// Lines logged for an HTTP request carry its request_id. Every line is
// scrubbed of the configuration's secrets, whoever logs it.
func (e *env) logger() *slog.Logger {
	level := slog.LevelInfo
	if v, _ := e.lookup("MCP_CODEMODE_LOG_LEVEL"); v != "" {
		_ = level.UnmarshalText([]byte(v))
	}
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler = slog.NewTextHandler(e.stderr, opts)
	if v, _ := e.lookup("MCP_CODEMODE_LOG_FORMAT"); strings.EqualFold(v, "json") {
		h = slog.NewJSONHandler(e.stderr, opts)
	}
	return slog.New(hosted.LogHandler(redact.Handler(h, e.secrets)))
}
