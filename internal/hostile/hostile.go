// Package hostile loads the hostile corpus (sandbox/testdata/hostile) and
// checks results against it. The same cases run against every isolation
// layer: sandbox.Run in process, the isolate worker pool, and the MCP
// server's Execute with either; each test supplies the runner.
//
//	cases, err := hostile.Load("testdata/hostile")
//	for _, c := range cases {
//		res := sandbox.Run(ctx, c.Code, hostile.Caller(), c.Options(hostile.Options()))
//		for _, p := range c.Check(res, elapsed) { t.Error(p) }
//	}
//
// A case is a txtar archive in a directory named after its category:
//
//	comment     what the case attacks and what containment means for it
//	code        the script; {{repeat "(" 100000}} expands to a long string
//	want        the accepted outcomes, "|"-separated: error names, or ok
//	result      with ok: the expected JSON result (optional)
//	message     a substring the error message must contain (optional)
//	forbid      substrings that must appear nowhere in the output, one per line
//	next        a script run after the case in a fresh execution (cross-call)
//	next-result the expected JSON result of next
//	timeout     the case's own timeout, e.g. "3s" (default: Timeout when a
//	            TimeoutError is wanted, else SlowTimeout)
//	layers      "server" when the case needs the MCP server (a redacting registry,
//	            the workspace, snippets), "direct" when it needs a Caller the
//	            server would not be (one returning invalid JSON)
//	rss         in process, how many budgets the RSS may grow by (default 1;
//	            always plus RSSSlack); the comment must say why
//	file PATH   a workspace file written before the code runs (expanded as
//	            the code is; needs layers: server), so that the code can
//	            import one larger than a script could write
//
// Through the MCP server (server's TestHostile) a script has, besides the
// corpus's tools (namespace t, and t.secret returning the canary as a
// configured secret), the built-in workspace namespace on a fresh in-memory
// workspace per server, and so imports ("./x.ts" from the workspace) and
// snippets (codemode.save, codemode.run). A case's file sections are
// written there before its code runs. The cases of one layer share one
// workspace (the next script sees the files of its case): a case writes
// under a path of its own, e.g. "<category>/<case>/...".
package hostile

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/template"
	"time"

	"github.com/rogpeppe/go-internal/txtar"

	"github.com/mcp-codemode/mcp-codemode/internal/testenv"
	"github.com/mcp-codemode/mcp-codemode/sandbox"
)

// Canary is planted where a script must never reach: the environment of the
// test process (HOSTILE_CANARY), Go errors and panics of the tools, and (at
// the server) a configured secret. It must appear in no output.
const Canary = "CANARY-5d1f0c2e9b7a4e31"

// Limits used by the corpus: small, so that the whole run stays short.
const (
	Timeout        = time.Second
	MemoryLimit    = 64 << 20
	MaxToolCalls   = 50
	MaxResultBytes = 1 << 20
	MaxLogBytes    = 64 << 10
)

// StopMargin is how long after its timeout a case may end: the target,
// 100ms (see isolate's BenchmarkStop for the measured figure), stretched by
// testenv's slack for shared machines and the race detector.
var StopMargin = testenv.Within(100 * time.Millisecond)

// SlowTimeout is the timeout of a case that must end some other way than
// by timing out: its timeout is only the bound of a run that went wrong,
// and must not be mistaken for the outcome on a slow machine.
var SlowTimeout = testenv.Within(1250 * time.Millisecond)

// Case is one hostile script.
type Case struct {
	Name, Category     string
	Code, Next         string
	Want               []string // error names, or "ok"
	Result, NextResult string   // JSON, when set
	Message            string
	Forbid             []string
	Timeout            time.Duration
	Files              []File // workspace files to write first
	ServerOnly         bool   // needs the MCP server
	DirectOnly         bool   // needs a bare Caller
	RSSBudgets         int64
	timeoutSet         bool
}

// File is a workspace file a case needs before its code runs.
type File struct{ Path, Content string }

// RSSSlack is how much beyond its memory budget(s) the process may grow in
// any one case (the target: the budget plus 64 MB).
const RSSSlack = 64 << 20

// MaxGrowth is how much the RSS of the process running the case in process
// may grow.
func (c *Case) MaxGrowth() int64 {
	return c.RSSBudgets*MemoryLimit + RSSSlack
}

// Options are the sandbox options of the corpus, for cases and the
// server alike.
func Options() sandbox.Options {
	return sandbox.Options{
		Bindings:       Bindings(),
		Timeout:        Timeout,
		MemoryLimit:    MemoryLimit,
		MaxToolCalls:   MaxToolCalls,
		MaxResultBytes: MaxResultBytes,
		MaxLogBytes:    MaxLogBytes,
	}
}

// Options returns opts with the case's timeout.
func (c *Case) Options(opts sandbox.Options) sandbox.Options {
	opts.Timeout = c.Timeout
	return opts
}

// Load reads every case under dir.
func Load(dir string) ([]*Case, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*", "*.txtar"))
	if err != nil {
		return nil, err
	}
	sort.Strings(paths)
	var cases []*Case
	for _, p := range paths {
		c, err := load(p)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		cases = append(cases, c)
	}
	return cases, nil
}

func load(path string) (*Case, error) {
	a, err := txtar.ParseFile(path)
	if err != nil {
		return nil, err
	}
	c := &Case{
		Category:   filepath.Base(filepath.Dir(path)),
		Name:       strings.TrimSuffix(filepath.Base(path), ".txtar"),
		Timeout:    Timeout,
		RSSBudgets: 1,
	}
	for _, f := range a.Files {
		if err := c.set(f.Name, strings.TrimSpace(string(f.Data))); err != nil {
			return nil, fmt.Errorf("section %s: %w", f.Name, err)
		}
	}
	if c.Code == "" || len(c.Want) == 0 {
		return nil, fmt.Errorf("needs code and want")
	}
	if len(c.Files) > 0 && !c.ServerOnly {
		return nil, fmt.Errorf("a file section needs layers: server (the workspace is the server's)")
	}
	if !c.timeoutSet && !contains(c.Want, sandbox.NameTimeout) {
		c.Timeout = SlowTimeout
	}
	return c, nil
}

func (c *Case) set(section, text string) error {
	var err error
	switch section {
	case "code":
		c.Code, err = expand(text)
	case "next":
		c.Next, err = expand(text)
	case "want":
		c.Want = strings.Split(text, "|")
	case "result":
		c.Result = text
	case "next-result":
		c.NextResult = text
	case "message":
		c.Message = text
	case "forbid":
		c.Forbid = strings.Split(text, "\n")
	case "timeout":
		c.Timeout, err = time.ParseDuration(text)
		c.timeoutSet = true
	case "layers":
		c.ServerOnly, c.DirectOnly = text == "server", text == "direct"
	case "rss":
		_, err = fmt.Sscan(text, &c.RSSBudgets)
	default:
		p, ok := strings.CutPrefix(section, "file ")
		if !ok {
			return fmt.Errorf("unknown section")
		}
		f := File{Path: strings.TrimSpace(p)}
		f.Content, err = expand(text)
		c.Files = append(c.Files, f)
	}
	return err
}

// expand runs the code through text/template with a repeat function, so
// that a case can be a long input without being a long file.
func expand(code string) (string, error) {
	t, err := template.New("code").Delims("{{", "}}").Funcs(template.FuncMap{"repeat": strings.Repeat}).Parse(code)
	if err != nil {
		return "", err
	}
	var b bytes.Buffer
	err = t.Execute(&b, nil)
	return b.String(), err
}

// Check returns what is wrong with a case's result: the outcome, the stop
// time, and any trace of the canary or a forbidden string.
func (c *Case) Check(res sandbox.Result, elapsed time.Duration) []string {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	got := "ok"
	if res.Err != nil {
		got = res.Err.Name
	}
	if !contains(c.Want, got) {
		add("outcome %s (%v); want %s", got, describe(res), strings.Join(c.Want, " or "))
	}
	if res.Err != nil && c.Message != "" && !strings.Contains(res.Err.Message, c.Message) {
		add("message %q; want it to contain %q", res.Err.Message, c.Message)
	}
	if res.Err == nil && c.Result != "" && !sameJSON(res.Value, c.Result) {
		add("result %s; want %s", cut(string(res.Value)), c.Result)
	}
	if limit := c.Timeout + StopMargin; elapsed > limit {
		add("took %v; the timeout is %v", elapsed, c.Timeout)
	}
	out := Output(res)
	for _, f := range append([]string{Canary}, c.Forbid...) {
		if f != "" && strings.Contains(out, f) {
			add("the output contains %q", f)
		}
	}
	return problems
}

// CheckNext checks the result of the case's next script.
func (c *Case) CheckNext(res sandbox.Result) []string {
	if res.Err != nil {
		return []string{fmt.Sprintf("next: %v", res.Err)}
	}
	if c.NextResult != "" && !sameJSON(res.Value, c.NextResult) {
		return []string{fmt.Sprintf("next: result %s; want %s", cut(string(res.Value)), c.NextResult)}
	}
	return nil
}

// Output is everything a result shows: value, logs and error.
func Output(res sandbox.Result) string {
	var b strings.Builder
	b.Write(res.Value)
	for _, l := range res.Logs {
		b.WriteString("\n" + l)
	}
	if res.Err != nil {
		b.WriteString("\n" + res.Err.Error() + "\n" + res.Err.Stack)
	}
	return b.String()
}

func describe(res sandbox.Result) string {
	if res.Err != nil {
		return cut(res.Err.Error())
	}
	return cut(string(res.Value))
}

func cut(s string) string {
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}

func contains(list []string, s string) bool {
	for _, l := range list {
		if strings.TrimSpace(l) == s {
			return true
		}
	}
	return false
}

func sameJSON(got json.RawMessage, want string) bool {
	var g, w any
	if json.Unmarshal(got, &g) != nil || json.Unmarshal([]byte(want), &w) != nil {
		return false
	}
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	return bytes.Equal(gb, wb)
}

// PlantEnv puts the canary in the process environment.
func PlantEnv() { os.Setenv("HOSTILE_CANARY", Canary) }

// Tools are the corpus's fake tools, namespace "t", by method name. Each is
// what a Caller does for the ID "t.<name>".
var Tools = map[string]func(ctx context.Context, args json.RawMessage) (json.RawMessage, error){
	"echo": func(_ context.Context, args json.RawMessage) (json.RawMessage, error) { return args, nil },
	"fail": func(context.Context, json.RawMessage) (json.RawMessage, error) {
		return nil, sandbox.NewError(sandbox.NameTool, "tool failed")
	},
	"leak": func(context.Context, json.RawMessage) (json.RawMessage, error) {
		return nil, &leakyError{secret: Canary, cause: fmt.Errorf("wrapped %s", "cause")}
	},
	"panic": func(context.Context, json.RawMessage) (json.RawMessage, error) {
		panic("tool crashed holding " + Canary)
	},
	"slow": func(ctx context.Context, _ json.RawMessage) (json.RawMessage, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	},
	"big": big,
	"bad": func(context.Context, json.RawMessage) (json.RawMessage, error) { return json.RawMessage(`{"a":`), nil },
	// the canary encoded (encodings.go): cases of layer "server" only
	"secret_as":    secretAs,
	"secret_error": secretError,
}

// big returns {"items": [...n objects]}; n from the arguments, at most 1e6.
func big(_ context.Context, args json.RawMessage) (json.RawMessage, error) {
	var a struct{ N int }
	_ = json.Unmarshal(args, &a)
	a.N = min(max(a.N, 0), 1_000_000)
	var b bytes.Buffer
	b.WriteString(`{"items":[`)
	for i := range a.N {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"i":%d,"s":"item"}`, i)
	}
	b.WriteString(`]}`)
	return b.Bytes(), nil
}

// Bindings binds every tool as t.<name>, with the ID "t.<name>".
func Bindings() []sandbox.Binding {
	var out []sandbox.Binding
	for name := range Tools {
		out = append(out, sandbox.Binding{Object: "t", Method: name, ID: "t." + name})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Caller serves Tools by ID.
func Caller() sandbox.Caller {
	return sandbox.CallerFunc(func(ctx context.Context, id string, args json.RawMessage) (json.RawMessage, error) {
		f, ok := Tools[strings.TrimPrefix(id, "t.")]
		if !ok {
			return nil, fmt.Errorf("no tool %q", id)
		}
		return f(ctx, args)
	})
}

// leakyError holds the canary where only Go reflection could find it.
type leakyError struct {
	secret string
	cause  error
}

func (e *leakyError) Error() string { return "the tool failed" }
func (e *leakyError) Unwrap() error { return e.cause }
