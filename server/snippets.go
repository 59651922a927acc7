package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"runtime"
	"strings"
	"sync/atomic"

	"github.com/mcp-codemode/mcp-codemode/modules"
	"github.com/mcp-codemode/mcp-codemode/sandbox"
	"github.com/mcp-codemode/mcp-codemode/tools"
)

// Snippets (skills): codemode.save(name, code, description) stores a script
// in the workspace, as snippets/NAME.ts with the description on its first
// line; codemode.run(name, input) runs it in a fresh runtime of its own,
// with the same tools, where the code sees its argument as `input` and its
// `return` value is the result. Saved snippets are found by codemode.search
// and shown by codemode.describe, like tools of a namespace "snippets".
// They live in the workspace of the subject that saved them.

const (
	helperSave = "\x00codemode.save"
	helperRun  = "\x00codemode.run"

	snippetDir       = "snippets/"
	snippetNamespace = "snippets"
	snippetHeader    = "// "

	// maxSnippetDepth bounds snippets running snippets.
	maxSnippetDepth = 4

	// maxSnippetDesc bounds a description codemode.save keeps, and
	// maxSnippetFile a snippet's file: its code may be as large as the code
	// of an execution (sandbox.DefaultMaxCodeBytes), and no larger, since
	// it could not run.
	maxSnippetDesc = 1000
	maxSnippetFile = sandbox.DefaultMaxCodeBytes + len(snippetHeader) + maxSnippetDesc + 1
)

var snippetName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]{0,63}$`)

type snippetArgs struct {
	Name        string          `json:"name"`
	Code        string          `json:"code"`
	Description string          `json:"description"`
	Input       json.RawMessage `json:"input"`
}

// helperSave serves codemode.save(name, code, description).
func (c *caller) helperSave(ctx context.Context, args json.RawMessage) (json.RawMessage, error) {
	var a snippetArgs
	if err := json.Unmarshal(args, &a); err != nil || !snippetName.MatchString(a.Name) || strings.TrimSpace(a.Code) == "" {
		return nil, typeError(`codemode.save(name, code, description): name must be letters, digits, "_" or "-" (at most 64, not starting with a digit) and code a non-empty string`)
	}
	desc := strings.Join(strings.Fields(a.Description), " ")
	if err := checkSnippetSize(a.Name, a.Code, desc); err != nil {
		return nil, err
	}
	if err := c.checkSnippetCode(ctx, a.Name, a.Code); err != nil {
		return nil, err
	}
	content := snippetHeader + desc + "\n" + a.Code
	p := snippetDir + a.Name + ".ts" // a clean path: the name is checked
	fs, err := c.files(ctx, "codemode.save", "write_file", map[string]any{"path": p, "content": content})
	if err == nil {
		err = fs.WriteFile(ctx, p, content)
	}
	c.s.snips.markStale(tools.Subject(ctx), a.Name)
	if err != nil {
		return nil, err
	}
	return json.Marshal(map[string]any{"name": a.Name, "path": p, "size": len(content)})
}

// checkSnippetSize refuses a snippet larger than one can be.
func checkSnippetSize(name, code, desc string) error {
	switch {
	case len(code) > sandbox.DefaultMaxCodeBytes:
		return sandbox.NewError(sandbox.NameRange, fmt.Sprintf("codemode.save(%q): the code is %s bytes, over the code-size limit of %s bytes; "+
			"save it in parts (a snippet may import workspace modules or run other snippets)", name, thousands(len(code)), thousands(sandbox.DefaultMaxCodeBytes)))
	case len(desc) > maxSnippetDesc:
		return sandbox.NewError(sandbox.NameRange, fmt.Sprintf("codemode.save(%q): the description is %s bytes, over the limit of %s bytes; "+
			"say in a sentence what the snippet does", name, thousands(len(desc)), thousands(maxSnippetDesc)))
	}
	return nil
}

// checkSnippetCode compiles a snippet as codemode.run would, its imports
// stubbed (the files they name may come later): code that cannot run is
// refused, with the error where it is, rather than saved. Like the rest
// of save, it counts as one of the execution's tool calls.
//
// The compiling is work the server does for the script (a 250 KB snippet:
// about 130 ms and 5 MB), so an execution compiles one snippet at a time,
// and the process at most compileSlots at once: 30 saves at once made the
// server hold 270 MB. Waiting ends with the execution.
func (c *caller) checkSnippetCode(ctx context.Context, name, code string) error {
	for _, slot := range []chan struct{}{c.checking, compileSlots} {
		if slot == nil {
			continue
		}
		select {
		case slot <- struct{}{}:
			defer func() { <-slot }()
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return checkSnippetCode(name, code)
}

// compileSlots bounds the snippets codemode.save compiles at once in the
// process, whatever the executions.
var compileSlots = make(chan struct{}, max(1, runtime.NumCPU()/2))

func checkSnippetCode(name, code string) error {
	stubbed, err := modules.Stub(code)
	if err != nil {
		return sandbox.NewError(sandbox.NameSyntax, fmt.Sprintf("codemode.save(%q): nothing saved: %v", name, err))
	}
	program := snippetProgram(stubbed, json.RawMessage("null"))
	e := sandbox.Compile(program, sandbox.DefaultMaxCodeBytes+len(program)-len(stubbed))
	if e == nil {
		return nil
	}
	where := strings.TrimPrefix(snippetError(name, e).Error(), fmt.Sprintf("snippet %q: ", name))
	return sandbox.NewError(e.Name, fmt.Sprintf("codemode.save(%q): nothing saved, the code does not compile: %s", name, where))
}

// helperRun serves codemode.run(name, input).
func (c *caller) helperRun(ctx context.Context, args json.RawMessage) (json.RawMessage, error) {
	var a snippetArgs
	if err := json.Unmarshal(args, &a); err != nil || !snippetName.MatchString(a.Name) {
		return nil, typeError(`codemode.run(name, input): name must be the name of a saved snippet`)
	}
	if c.depth >= maxSnippetDepth {
		return nil, sandbox.NewError(sandbox.NameRange, fmt.Sprintf("codemode.run(%q): snippets may run snippets only %d deep", a.Name, maxSnippetDepth))
	}
	release, err := c.s.adm.admitSnippet(ctx, a.Name)
	if err != nil {
		return nil, err
	}
	defer release()
	s, err := c.snippet(ctx, a.Name, "codemode.run")
	if err != nil {
		return nil, err
	}
	if len(a.Input) == 0 {
		a.Input = json.RawMessage("null")
	}
	child := c.child(ctx)
	code, berr := child.bundleAt(ctx, s.code, snippetDir+a.Name+".ts")
	if berr != nil {
		return nil, snippetError(a.Name, &sandbox.Error{Name: berr.Name, Message: berr.Message, Line: berr.Line + 1})
	}
	res := c.s.run(ctx, snippetProgram(code, a.Input), child, child.opts)
	if child.durable != nil {
		child.durable.ran(child.prefix, res.Times)
	}
	child.origins.Below(1).Place(res.Err) // the program's head is a line of its own
	if res.Err != nil {
		return nil, snippetError(a.Name, res.Err)
	}
	return res.Value, nil
}

// snippetProgram makes the snippet's code the body of a function of input.
// The head is one line, so line L of the program is line L-1 of the code;
// the input comes after the code and shifts nothing.
func snippetProgram(code string, input json.RawMessage) string {
	lit, _ := json.Marshal(string(input)) // a JSON string is a JS string literal
	return "return await (async (input: any) => {\n" + code + "\n})(JSON.parse(" + string(lit) + "));"
}

// snippetError is the error the caller of codemode.run sees: the snippet's
// own error, placed in the snippet's code.
func snippetError(name string, e *sandbox.Error) error {
	msg := fmt.Sprintf("snippet %q: %s", name, e.Message)
	switch line := e.Line - 1; {
	case line > 0 && e.Column > 0:
		msg += fmt.Sprintf(" (snippet line %d, column %d)", line, e.Column)
	case line > 0:
		msg += fmt.Sprintf(" (snippet line %d)", line)
	}
	return sandbox.NewError(e.Name, msg)
}

// child is the caller of a snippet's run: the same tools, options, network
// session and call budget, one level deeper. The execution's progress hooks
// stay with the execution's own runtime.
func (c *caller) child(ctx context.Context) *caller {
	opts := c.opts
	opts.OnCall, opts.OnLog = nil, nil
	child := &caller{s: c.s, api: c.api, fetch: c.fetch, opts: opts, budget: c.budget, depth: c.depth + 1, approved: c.approved, checking: c.checking}
	child.run = c.run // its calls are the execution's
	if d, key := durableFrom(ctx); d != nil && key != "" {
		// Journalled below the codemode.run call that runs it (replay.go).
		child.durable, child.prefix = d, key+"/"
		child.opts.Replay = d.replay(child.prefix)
	}
	return child
}

// snippet is one saved snippet.
type snippet struct {
	name, description, code string
}

// snippet reads the saved snippet name for helper via (codemode.run,
// codemode.describe), as a workspace.read_file of the script, once its size
// says it can be a snippet at all.
func (c *caller) snippet(ctx context.Context, name, via string) (snippet, error) {
	p := snippetDir + name + ".ts"
	fs, err := c.s.files("stat")
	if err != nil {
		return snippet{}, err
	}
	st, err := fs.Stat(ctx, p)
	switch {
	case err != nil:
		return snippet{}, err
	case !st.Exists || st.Type != "file":
		return snippet{}, sandbox.NewError(sandbox.NameReference, fmt.Sprintf("%s: no snippet %q; codemode.save(name, code, description) saves one, codemode.search finds them", via, name))
	case st.Size > int64(maxSnippetFile):
		return snippet{}, sandbox.NewError(sandbox.NameRange, fmt.Sprintf("%s(%q): %s is %s bytes, over the code-size limit of %s bytes; save a smaller one",
			via, name, p, thousands(int(st.Size)), thousands(sandbox.DefaultMaxCodeBytes)))
	}
	if fs, err = c.files(ctx, via, "read_file", map[string]any{"path": p}); err != nil {
		return snippet{}, err
	}
	text, err := fs.ReadFile(ctx, p)
	if err != nil {
		return snippet{}, err
	}
	return parseSnippet(name, text), nil
}

func parseSnippet(name, text string) snippet {
	head, code, ok := strings.Cut(text, "\n")
	if !ok || !strings.HasPrefix(head, snippetHeader) {
		return snippet{name: name, code: text}
	}
	return snippet{name: name, description: strings.TrimPrefix(head, snippetHeader), code: code}
}

// snippets lists the subject's saved snippets as entries for search, from
// the index: names and descriptions, never code. There are none when there
// is no workspace, and none while reading workspace files needs the user's
// approval (their names and descriptions are read from the files).
func (s *Server) snippets(ctx context.Context) []tools.Entry {
	if s.snippetsGated() != "" {
		return nil
	}
	metas, err := s.snippetsOf(ctx)
	if err != nil {
		return nil
	}
	entries := make([]tools.Entry, 0, len(metas))
	for _, m := range metas {
		entries = append(entries, snippetEntry(m))
	}
	return entries
}

func snippetEntry(m snippetMeta) tools.Entry {
	return tools.Entry{
		Tool:      tools.Tool{Server: snippetNamespace, Name: m.name, Description: m.description},
		ID:        "\x00snippet\x00" + m.name,
		Namespace: snippetNamespace, Method: m.name,
	}
}

// snippetsGated names the setting that makes listing snippets need the
// user's approval, or is "".
func (s *Server) snippetsGated() string {
	for _, tool := range []string{"read_file", "list_files"} {
		if setting := s.gated(tool); setting != "" {
			return setting
		}
	}
	return ""
}

// snippetsHead opens every description of snippets.
const snippetsHead = "// Saved snippets: run one with `await codemode.run(name, input)`; its code sees `input` and returns the result.\n"

// listSnippets is codemode.describe("snippets"), and the snippets of a
// search: each one's name, description and size, at most
// describeSnippetsMax of them.
func listSnippets(entries []tools.Entry, sizes map[string]int) string {
	var b strings.Builder
	b.WriteString(snippetsHead)
	b.WriteString("// codemode.describe(\"snippets.NAME\") shows the code of one.\n")
	for i, e := range entries {
		if i == describeSnippetsMax {
			fmt.Fprintf(&b, "\n// … and %d more, not listed: codemode.search(query) finds them\n", len(entries)-i)
			break
		}
		fmt.Fprintf(&b, "\n// %s: %s", e.Method, e.Description)
		if n, ok := sizes[e.Method]; ok {
			fmt.Fprintf(&b, " (%s bytes)", thousands(n))
		}
	}
	if len(entries) > 0 && len(entries) <= describeSnippetsMax {
		b.WriteString("\n")
	}
	return b.String()
}

// showSnippet is codemode.describe("snippets.NAME"): its description and
// code.
func showSnippet(sn snippet) string {
	return snippetsHead + fmt.Sprintf("\n// %s: %s\n%s\n", sn.name, sn.description, strings.TrimRight(sn.code, "\n"))
}

// files returns the workspace for a call of tool that a helper (via:
// codemode.save, codemode.run, codemode.describe; "" for an import) makes
// for the script, once the user allowed it when the tool needs approval:
// the user is asked as if the script called the tool with args, and told
// through which helper.
func (c *caller) files(ctx context.Context, via, tool string, args map[string]any) (files, error) {
	fs, err := c.s.files(tool)
	if err != nil {
		return nil, err
	}
	e, _ := c.s.workspaceTool(tool)
	if c.s.needsApproval(e) == "" {
		return fs, nil // the arguments are encoded only to be shown
	}
	raw, err := json.Marshal(args)
	if err != nil {
		return nil, err
	}
	return fs, c.approve(ctx, e.ID, raw, via)
}

// countCall charges one call to the execution's budget, shared with the
// snippets it runs.
func (c *caller) countCall() error {
	if c.budget == nil {
		return nil
	}
	if n := c.budget.Add(1); n > int64(c.s.limits.MaxToolCalls) {
		return sandbox.NewError(sandbox.NameRange, fmt.Sprintf("too many tool calls: the limit is %d per execution, counting the snippets it runs", c.s.limits.MaxToolCalls))
	}
	return nil
}

func newBudget() *atomic.Int64 { return new(atomic.Int64) }

// describeSnippets serves codemode.describe("snippets") and
// codemode.describe("snippets.NAME").
func (c *caller) describeSnippets(ctx context.Context, name string) (json.RawMessage, error) {
	if one, ok := strings.CutPrefix(name, snippetNamespace+"."); ok {
		if !snippetName.MatchString(one) {
			return nil, typeError(fmt.Sprintf("codemode.describe: no snippet %q; codemode.describe(\"snippets\") lists them", one))
		}
		sn, err := c.snippet(ctx, one, "codemode.describe")
		var ne *sandbox.NamedError
		if errors.As(err, &ne) && ne.Name == sandbox.NameReference {
			return nil, typeError(fmt.Sprintf("codemode.describe: no snippet %q; codemode.describe(\"snippets\") lists them", one))
		}
		if err != nil {
			return nil, err
		}
		return json.Marshal(showSnippet(sn))
	}
	if setting := c.s.snippetsGated(); setting != "" {
		return json.Marshal(snippetsHead + fmt.Sprintf("// They are not listed here: reading workspace files needs the user's approval (%s); "+
			"codemode.describe(\"snippets.NAME\") asks for one.\n", setting))
	}
	metas, err := c.s.snippetsOf(ctx)
	if err != nil {
		return nil, err
	}
	entries, sizes := make([]tools.Entry, len(metas)), make(map[string]int, len(metas))
	for i, m := range metas {
		entries[i], sizes[m.name] = snippetEntry(m), m.size
	}
	return json.Marshal(listSnippets(entries, sizes))
}

// snippetsText describes the snippets among found, or is empty.
func snippetsText(found []tools.Entry) string {
	var sn []tools.Entry
	for _, e := range found {
		if e.Namespace == snippetNamespace && e.Server == snippetNamespace {
			sn = append(sn, e)
		}
	}
	if len(sn) == 0 {
		return ""
	}
	return "\n" + listSnippets(sn, nil)
}

// snippetsLine is the description's sentence on snippets.
const snippetsLine = "`codemode.save(name, code, description)` keeps a script in the workspace and " +
	"`codemode.run(name, input)` runs it (its code sees `input` and returns the result); saved scripts show up in codemode.search as snippets.NAME. "
