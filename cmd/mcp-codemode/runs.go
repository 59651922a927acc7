package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/mcp-codemode/mcp-codemode/config"
	"github.com/mcp-codemode/mcp-codemode/runs"
	"github.com/mcp-codemode/mcp-codemode/server"
	"github.com/mcp-codemode/mcp-codemode/store"
)

const runsUsage = `Usage: mcp-codemode runs [--config FILE] [list [--limit N] [--subject NAME] | show ID]

Print the records of executions, kept with codemode.data_dir or
codemode.database_url for codemode.runs.retention (default 7d). list (the
default) prints the newest first: id, start, subject, duration, calls and
outcome. show prints one record: its code (secrets redacted), each call it
made (kind, name, size and SHA-256 of the arguments, outcome, start and
duration), the size of its result and its error.

Exit status 1 for an unknown id, 2 without a store.
`

// runsFlags are the flags of the runs command.
type runsFlags struct {
	config, subject string
	limit           int
}

func (e *env) runsFlagSet(f *runsFlags) *flag.FlagSet {
	fs := flag.NewFlagSet("runs", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	def, _ := e.lookup("MCP_CODEMODE_CONFIG")
	fs.StringVar(&f.config, "config", def, "configuration file")
	fs.StringVar(&f.subject, "subject", "", "list only the runs of this subject")
	fs.IntVar(&f.limit, "limit", 50, "list at most this many runs")
	return fs
}

// runsCommand serves `mcp-codemode runs`.
func (e *env) runsCommand(ctx context.Context, args []string) int {
	var f runsFlags
	fs := e.runsFlagSet(&f)
	action, rest, err := runsArgs(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(e.stdout, runsUsage+"\nFlags:\n")
		fs.SetOutput(e.stdout)
		fs.PrintDefaults()
		return exitOK
	}
	if err != nil {
		return e.usageError(err)
	}
	cfg, err := e.loadConfig(f.config)
	if err != nil {
		return e.usageError(err)
	}
	st, err := openRunStore(ctx, cfg, e.logger())
	if err != nil {
		return e.usageError(err)
	}
	defer st.Close()
	be := runs.NewSQL(st)
	if action == "show" {
		return e.showRun(ctx, be, rest[0])
	}
	return e.listRuns(ctx, be, runs.Query{Limit: f.limit, Subject: f.subject})
}

// runsArgs parses the flags before and after the action: list (the
// default) takes none, show one id.
func runsArgs(fs *flag.FlagSet, args []string) (action string, rest []string, err error) {
	if err := fs.Parse(args); err != nil {
		return "", nil, fmt.Errorf("runs: %w", err)
	}
	action = "list"
	if fs.NArg() > 0 {
		action = fs.Arg(0)
		if err := fs.Parse(fs.Args()[1:]); err != nil {
			return "", nil, fmt.Errorf("runs %s: %w", action, err)
		}
	}
	rest = fs.Args()
	switch {
	case action == "list" && len(rest) == 0, action == "show" && len(rest) == 1:
		return action, rest, nil
	case action == "show":
		return "", nil, errors.New("runs show needs one run id (mcp-codemode runs list prints them)")
	case action == "list":
		return "", nil, fmt.Errorf("runs list takes no arguments, got %q", rest)
	}
	return "", nil, fmt.Errorf("runs: unknown action %q; use list or show ID", action)
}

// openRunStore opens the store the configuration names, refusing a
// configuration without one: its runs were kept in memory only.
func openRunStore(ctx context.Context, cfg *config.Config, log *slog.Logger) (*store.Store, error) {
	o, err := storeOptions(cfg, log)
	if err != nil {
		return nil, err
	}
	if o.URL == "" && o.Dir == "" {
		return nil, errors.New("runs: no run records to read: they are kept only with codemode.data_dir or codemode.database_url " +
			"in the configuration (a server without either keeps its last runs in memory)")
	}
	st, err := store.Open(ctx, o)
	if err != nil {
		return nil, storeError(cfg, o, err)
	}
	return st, nil
}

func (e *env) listRuns(ctx context.Context, be runs.Backend, q runs.Query) int {
	list, err := be.List(ctx, q)
	if err != nil {
		fmt.Fprintf(e.stderr, "mcp-codemode: runs: %v\n", err)
		return exitFailed
	}
	if len(list) == 0 {
		fmt.Fprintln(e.stdout, "no runs recorded")
		return exitOK
	}
	w := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tSTARTED\tSUBJECT\tDURATION\tCALLS\tOUTCOME")
	for _, r := range list {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%d\t%s\n", r.ID, r.Start.UTC().Format(time.RFC3339), orDash(r.Subject),
			r.Duration().Round(time.Millisecond), r.CallCount, r.Outcome)
	}
	w.Flush()
	return exitOK
}

func (e *env) showRun(ctx context.Context, be runs.Backend, id string) int {
	r, err := be.Get(ctx, id)
	if errors.Is(err, runs.ErrNotFound) {
		fmt.Fprintf(e.stderr, "mcp-codemode: runs show: no run %q; it may be older than codemode.runs.retention, "+
			"or recorded in another data_dir or database (mcp-codemode runs list prints the ids)\n", id)
		return exitFailed
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "mcp-codemode: runs show: %v\n", err)
		return exitFailed
	}
	printRun(e.stdout, r)
	return exitOK
}

// printRun prints a record for people: a header, the calls, the code.
func printRun(out io.Writer, r *runs.Record) {
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintf(w, "run\t%s\nsubject\t%s\nstarted\t%s\nduration\t%s\noutcome\t%s\n", r.ID, orDash(r.Subject),
		r.Start.UTC().Format(time.RFC3339Nano), r.Duration().Round(time.Microsecond), r.Outcome)
	if r.ErrorName != "" {
		fmt.Fprintf(w, "error\t%s: %s\n", r.ErrorName, oneLine(r.ErrorMsg))
	}
	fmt.Fprintf(w, "result\t%d bytes\n", r.ResultBytes)
	if r.TraceID != "" {
		fmt.Fprintf(w, "trace\t%s\n", r.TraceID)
	}
	fmt.Fprintf(w, "calls\t%d\n", len(r.Calls))
	w.Flush()
	if len(r.Calls) > 0 {
		fmt.Fprintln(out)
		w = tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
		fmt.Fprintln(w, "#\tKIND\tNAME\tARGS\tSHA-256\tOUTCOME\tSTART\tDURATION")
		for _, c := range r.Calls {
			outcome := c.Outcome
			if c.ErrorName != "" {
				outcome += " (" + c.ErrorName + ")"
			}
			fmt.Fprintf(w, "%d\t%s\t%s\t%d B\t%.12s\t%s\t%s\t%s\n", c.Ordinal, c.Kind, c.Name, c.ArgsBytes, c.ArgsSHA256, outcome,
				c.Start.Round(time.Microsecond), c.Duration.Round(time.Microsecond))
		}
		w.Flush()
	}
	fmt.Fprintf(out, "\ncode:\n%s\n", strings.TrimRight(r.Code, "\n"))
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func oneLine(s string) string { return strings.ReplaceAll(s, "\n", " ⏎ ") }

// instrument sets the server's run recorder (records in st, or the last
// ones in memory when st is in memory) and, when the OpenTelemetry
// variables ask for it, its tracer. The function it returns flushes both
// (records within flushTimeout, then spans): register it with the
// registry before the store's Close, which must come after.
func (e *env) instrument(ctx context.Context, cfg *config.Config, st *store.Store, log *slog.Logger, so *server.Options) (func() error, error) {
	tp, err := server.NewTracing(ctx, e.lookup)
	if err != nil {
		return nil, fmt.Errorf("tracing: %w", err)
	}
	if tp != nil {
		so.Tracing = tp
	}
	var be runs.Backend = runs.NewMemory(0, 0)
	if cfg.Codemode.DatabaseURL != "" || cfg.Codemode.DataDir != "" {
		be = runs.NewSQL(st)
	}
	var dropped func(int)
	if d, ok := so.Observer.(server.DropObserver); ok {
		dropped = d.RunsDropped
	}
	rec := runs.NewRecorder(be, runs.Options{Secrets: cfg.Secrets, Retention: cfg.Codemode.Runs.Retention, Logger: log, Dropped: dropped})
	so.Runs = rec
	return func() error {
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), flushTimeout)
		defer cancel()
		rec.Close(fctx)
		if tp != nil {
			return tp.Shutdown(fctx)
		}
		return nil
	}, nil
}

// flushTimeout bounds the flush of run records and spans at exit, after
// the shutdown grace of the requests in flight.
const flushTimeout = 5 * time.Second
