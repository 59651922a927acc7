package server

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"sync/atomic"

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
	content := snippetHeader + desc + "\n" + a.Code
	out, err := c.workspace(ctx, "write_file", map[string]any{"path": snippetDir + a.Name + ".ts", "content": content})
	if err != nil {
		return nil, err
	}
	var info tools.FileInfo
	if err := json.Unmarshal(out, &info); err != nil {
		return nil, err
	}
	return json.Marshal(map[string]any{"name": a.Name, "path": info.Path, "size": info.Size})
}

// helperRun serves codemode.run(name, input).
func (c *caller) helperRun(ctx context.Context, args json.RawMessage) (json.RawMessage, error) {
	var a snippetArgs
	if err := json.Unmarshal(args, &a); err != nil || !snippetName.MatchString(a.Name) {
		return nil, typeError(`codemode.run(name, input): name must be the name of a saved snippet`)
	}
	if c.depth >= maxSnippetDepth {
		return nil, &namedError{name: "RangeError", msg: fmt.Sprintf("codemode.run(%q): snippets may run snippets only %d deep", a.Name, maxSnippetDepth)}
	}
	release, err := c.s.adm.admitSnippet(ctx, a.Name)
	if err != nil {
		return nil, err
	}
	defer release()
	s, err := c.snippet(ctx, a.Name)
	if err != nil {
		return nil, err
	}
	if len(a.Input) == 0 {
		a.Input = json.RawMessage("null")
	}
	child := c.child()
	code, berr := child.bundle(ctx, s.code)
	if berr != nil {
		return nil, snippetError(a.Name, &sandbox.Error{Name: berr.Name, Message: berr.Message, Line: berr.Line + 1})
	}
	res := c.s.run(ctx, snippetProgram(code, a.Input), child, child.opts)
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
	return &namedError{name: e.Name, msg: msg}
}

// child is the caller of a snippet's run: the same tools, options, network
// session and call budget, one level deeper. The execution's progress hooks
// stay with the execution's own runtime.
func (c *caller) child() *caller {
	opts := c.opts
	opts.OnCall, opts.OnLog = nil, nil
	return &caller{s: c.s, api: c.api, fetch: c.fetch, opts: opts, budget: c.budget, depth: c.depth + 1, approved: c.approved}
}

// snippet is one saved snippet.
type snippet struct {
	name, description, code string
}

func (c *caller) snippet(ctx context.Context, name string) (snippet, error) {
	out, err := c.workspace(ctx, "read_file", map[string]any{"path": snippetDir + name + ".ts"})
	if err != nil {
		return snippet{}, &namedError{name: "ReferenceError", msg: fmt.Sprintf("codemode.run: no snippet %q; codemode.save(name, code, description) saves one, codemode.search finds them", name)}
	}
	var text string
	if err := json.Unmarshal(out, &text); err != nil {
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

// snippets lists the subject's saved snippets as entries for search and
// describe; none when there is no workspace.
func (s *Server) snippets(ctx context.Context) []tools.Entry {
	c := &caller{s: s, api: s.current()}
	out, err := c.workspace(ctx, "list_files", map[string]any{"glob": snippetDir + "*.ts"})
	var files []tools.FileInfo
	if err != nil || json.Unmarshal(out, &files) != nil {
		return nil
	}
	var entries []tools.Entry
	for _, f := range files {
		name := strings.TrimSuffix(strings.TrimPrefix(f.Path, snippetDir), ".ts")
		if !snippetName.MatchString(name) {
			continue
		}
		sn, err := c.snippet(ctx, name)
		if err != nil {
			continue
		}
		entries = append(entries, tools.Entry{
			Tool:      tools.Tool{Server: snippetNamespace, Name: name, Description: sn.description + "\n" + sn.code},
			ID:        "\x00snippet\x00" + name,
			Namespace: snippetNamespace, Method: name,
		})
	}
	return entries
}

// describeSnippets is codemode.describe of saved snippets: how to run them,
// each one's description and code.
func describeSnippets(entries []tools.Entry) string {
	var b strings.Builder
	b.WriteString("// Saved snippets: run one with `await codemode.run(name, input)`; its code sees `input` and returns the result.\n")
	for _, e := range entries {
		desc, code, _ := strings.Cut(e.Description, "\n")
		fmt.Fprintf(&b, "\n// %s: %s\n%s\n", e.Method, desc, strings.TrimRight(code, "\n"))
	}
	return b.String()
}

// workspace calls a built-in workspace tool for the subject of ctx.
func (c *caller) workspace(ctx context.Context, tool string, args map[string]any) (json.RawMessage, error) {
	for _, e := range c.api.entries {
		if e.Server == tools.WorkspaceNamespace && e.Name == tool {
			raw, err := json.Marshal(args)
			if err != nil {
				return nil, err
			}
			return c.s.reg.Call(ctx, e.ID, raw)
		}
	}
	return nil, &namedError{name: "Error", msg: "snippets are kept in the built-in workspace, which this server does not have"}
}

// countCall charges one call to the execution's budget, shared with the
// snippets it runs.
func (c *caller) countCall() error {
	if c.budget == nil {
		return nil
	}
	if n := c.budget.Add(1); n > int64(c.s.limits.MaxToolCalls) {
		return &namedError{name: "RangeError", msg: fmt.Sprintf("too many tool calls: the limit is %d per execution, counting the snippets it runs", c.s.limits.MaxToolCalls)}
	}
	return nil
}

func newBudget() *atomic.Int64 { return new(atomic.Int64) }

// describeSnippets serves codemode.describe("snippets") and
// codemode.describe("snippets.NAME").
func (s *Server) describeSnippets(ctx context.Context, name string) (json.RawMessage, error) {
	var found []tools.Entry
	for _, e := range s.snippets(ctx) {
		if name == snippetNamespace || e.Path() == name {
			found = append(found, e)
		}
	}
	if len(found) == 0 && name != snippetNamespace {
		return nil, typeError(fmt.Sprintf("codemode.describe: no snippet %q; codemode.describe(\"snippets\") lists them", strings.TrimPrefix(name, snippetNamespace+".")))
	}
	return json.Marshal(describeSnippets(found))
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
	return "\n" + describeSnippets(sn)
}

// snippetsLine is the description's sentence on snippets.
const snippetsLine = "`codemode.save(name, code, description)` keeps a script in the workspace and " +
	"`codemode.run(name, input)` runs it (its code sees `input` and returns the result); saved scripts show up in codemode.search as snippets.NAME. "
