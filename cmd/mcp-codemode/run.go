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

	"github.com/mcp-codemode/mcp-codemode/config"
	"github.com/mcp-codemode/mcp-codemode/hosted"
	"github.com/mcp-codemode/mcp-codemode/isolate"
	"github.com/mcp-codemode/mcp-codemode/redact"
	"github.com/mcp-codemode/mcp-codemode/store"
)

// Exit statuses (README: Command line).
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
  mcp-codemode migrate [--config FILE]
  mcp-codemode runs    [--config FILE] [list [--limit N] [--subject NAME] | show ID]
  mcp-codemode version

Commands:
  serve    serve MCP (the default; stdio is what Claude Desktop runs)
  types    print the TypeScript declarations the model sees
  run      run one script as execute would; the result's JSON goes to stdout
  check    connect to every configured server and report its tool count
  migrate  create or update the database's schema, then exit
  runs     print the records of executions (with data_dir or database_url)
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
'mcp-codemode COMMAND --help' describes one command.
`

// commandUsage is each command's --help: what it does, its flags (appended
// by parse) and its environment.
var commandUsage = map[string]string{
	"serve": `Usage: mcp-codemode [serve] [--config FILE] [--transport stdio|http|sse] [--listen ADDR]

Serve MCP: one execute tool whose description is the TypeScript API of every
configured server's tools. stdio (the default) is what Claude Desktop runs;
stdout then carries only MCP messages and every log line goes to stderr.
--transport http serves streamable HTTP at /mcp, --transport sse serves /sse
and /message; both also serve /healthz, /readyz and /metrics. A --listen
address other than loopback needs codemode.auth in the configuration.
`,
	"types": `Usage: mcp-codemode types [--config FILE] [--tools FILE [--namespace NAME]]

Print the TypeScript declarations the model sees: of every configured server,
or with --tools of a tools/list result ({"tools": [...]}) read from FILE.
`,
	"run": `Usage: mcp-codemode run [--config FILE] SCRIPT|-

Run one script (a file, or - for standard input) as execute would. The
result's JSON goes to stdout; console output and the script's error go to
stderr. Log lines below warn are left out unless MCP_CODEMODE_LOG_LEVEL is
set. Exit status 1 when the script fails.
`,
	"check": `Usage: mcp-codemode check [--config FILE]

Connect to every configured server and print one line per server: its tool
count, or why it could not be reached (exit status 1).
`,
	"migrate": `Usage: mcp-codemode migrate [--config FILE]

Create or update the schema of the configured database (codemode.database_url,
or the SQLite file under codemode.data_dir) and print its version. serve does
the same at start, under a lock, so this is only needed to migrate ahead of a
rolling upgrade or to check a database URL. A database whose schema is newer
than this mcp-codemode is refused. Exit status 2 when the database cannot be
reached or used, with what failed.
`,
	"runs": runsUsage,
	"version": `Usage: mcp-codemode version (or --version)

Print the version and the Go release it was built with.
`,
}

// env is the process environment the command reads flags and ${VAR} from.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	lookup         func(string) (string, bool)
	secrets        *redact.Redactor // of the configuration loaded; logger scrubs with it
	// logLevel is the level logged without MCP_CODEMODE_LOG_LEVEL: info,
	// but warn for run, whose stderr is the script's console and error.
	logLevel slog.Level
	// st is the store boot opened: hosted shares it with the other
	// replicas (sessions, the bus).
	st *store.Store
}

// run is main without the process: it is what the tests call.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr, lookup: os.LookupEnv}
	return e.run(ctx, args)
}

func (e *env) run(ctx context.Context, args []string) int {
	cmd := "serve"
	switch {
	case len(args) == 0:
	case !strings.HasPrefix(args[0], "-"):
		cmd, args = args[0], args[1:]
	case args[0] == "--version" || args[0] == "-version":
		cmd, args = "version", args[1:]
	case args[0] == "--help" || args[0] == "-help" || args[0] == "-h":
		fmt.Fprint(e.stdout, usage)
		return exitOK
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
	case "migrate":
		return e.migrate(ctx, args)
	case "runs":
		return e.runsCommand(ctx, args)
	case "version":
		return e.version(args)
	case "help":
		return e.help(args)
	case isolate.WorkerCommand:
		// Hidden: a sandbox worker process, started by a pool (isolate's init
		// usually takes it first; this serves one started by hand).
		return isolate.ServeWorker()
	}
	fmt.Fprintf(e.stderr, "mcp-codemode: unknown command %q; the commands are serve, types, run, check, migrate, runs, version\n", cmd)
	return exitUsage
}

// help prints the usage, or one command's with its flags.
func (e *env) help(args []string) int {
	switch {
	case len(args) == 0:
		fmt.Fprint(e.stdout, usage)
		return exitOK
	case len(args) > 1 || commandUsage[args[0]] == "":
		return e.usageError(fmt.Errorf("help takes one command: serve, types, run, check, migrate, runs or version"))
	}
	switch args[0] {
	case "version":
		return e.version([]string{"--help"})
	case "runs":
		return e.runsCommand(context.Background(), []string{"--help"})
	}
	var f flags
	_, err := e.parse(args[0], []string{"--help"}, &f, commandFlags[args[0]]...)
	return e.usageError(err)
}

// commandFlags are the flags each command takes.
var commandFlags = map[string][]string{
	"serve":   {"config", "transport", "listen"},
	"types":   {"config", "tools", "namespace"},
	"run":     {"config"},
	"check":   {"config"},
	"migrate": {"config"},
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
		e.commandHelp(fs)
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %v; see mcp-codemode --help", name, err)
	}
	return fs, nil
}

// commandHelp prints the usage of fs's command and its flags.
func (e *env) commandHelp(fs *flag.FlagSet) {
	fmt.Fprint(e.stdout, commandUsage[fs.Name()])
	fmt.Fprintln(e.stdout, "\nFlags:")
	fs.SetOutput(e.stdout)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
}

// noArgs refuses the arguments left after a command's flags, which a
// command that takes none would otherwise ignore (a typo, or a flag after
// a misspelt one).
// configured parses the flags of a command that takes no arguments and
// loads its configuration: serve, check and migrate begin so.
func (e *env) configured(name string, args []string) (flags, *config.Config, error) {
	var f flags
	fs, err := e.parse(name, args, &f, commandFlags[name]...)
	if err == nil {
		err = e.noArgs(fs)
	}
	if err != nil {
		return f, nil, err
	}
	cfg, err := e.loadConfig(f.config)
	return f, cfg, err
}

func (e *env) noArgs(fs *flag.FlagSet) error {
	if fs.NArg() == 0 {
		return nil
	}
	return fmt.Errorf("%s takes no arguments, got %q; see mcp-codemode %s --help", fs.Name(), fs.Args(), fs.Name())
}

// usageError prints err (unless it is a help request) and gives the status.
func (e *env) usageError(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	fmt.Fprintf(e.stderr, "mcp-codemode: %v\n", err)
	return exitUsage
}

// logger logs to stderr at MCP_CODEMODE_LOG_LEVEL (default e.logLevel), as
// text or, with MCP_CODEMODE_LOG_FORMAT=json, one JSON object per line.
// Lines logged for an HTTP request carry its request_id. Every line is
// scrubbed of the configuration's secrets, whoever logs it.
func (e *env) logger() *slog.Logger {
	level := e.logLevel
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
