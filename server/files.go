package server

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/mcp-codemode/mcp-codemode/sandbox"
	"github.com/mcp-codemode/mcp-codemode/tools"
	"github.com/mcp-codemode/mcp-codemode/workspace"
)

// files is what snippets and imports need of the workspace of ctx's
// subject. Its errors are those of the workspace tools' calls: a
// *tools.ToolError or *tools.StoreError naming the tool, redacted.
type files interface {
	Stat(ctx context.Context, path string) (workspace.Stat, error)
	ReadFile(ctx context.Context, path string) (string, error)
	WriteFile(ctx context.Context, path, content string) error
	Glob(ctx context.Context, pattern string) ([]workspace.FileInfo, error)
}

// noWorkspace is what snippets say on a server without the workspace.
func noWorkspace() error {
	return sandbox.NewError(sandbox.NameError, "snippets are kept in the built-in workspace, which this server does not have")
}

// files returns the workspace that snippets and imports use for a call of
// tool: the one the server was given (Options.Workspace), called directly,
// or else the workspace tools the registry holds, called as a script would
// call them. There is none when the registry does not hold the tool: a
// server keeps snippets only where a script can see them.
func (s *Server) files(tool string) (files, error) {
	if _, ok := s.workspaceTool(tool); !ok {
		return nil, noWorkspace()
	}
	if s.ws != nil {
		return direct{s.ws, s.reg}, nil
	}
	return viaTools{s}, nil
}

// workspaceTool is the registry's entry of a workspace tool.
func (s *Server) workspaceTool(tool string) (tools.Entry, bool) {
	for _, e := range s.current().entries {
		if e.Server == workspace.Namespace && e.Name == tool {
			return e, true
		}
	}
	return tools.Entry{}, false
}

// direct calls the workspace's methods, and makes of their errors and
// results what the registry makes of the tools' (Registry.Call): a
// failure is the tool's ToolError, a database fault its StoreError, and
// the configured secrets are scrubbed from both and from what is read.
type direct struct {
	ws  *workspace.Workspace
	reg *tools.Registry
}

func (d direct) Stat(ctx context.Context, path string) (workspace.Stat, error) {
	st, err := d.ws.Stat(ctx, path)
	st.Path = d.reg.Redact(st.Path)
	return st, d.failed("stat", err)
}

func (d direct) ReadFile(ctx context.Context, path string) (string, error) {
	text, err := d.ws.ReadFile(ctx, path)
	if err != nil {
		return "", d.failed("read_file", err)
	}
	return d.reg.Redact(text), nil
}

func (d direct) WriteFile(ctx context.Context, path, content string) error {
	return d.failed("write_file", d.ws.WriteFile(ctx, path, content))
}

func (d direct) Glob(ctx context.Context, pattern string) ([]workspace.FileInfo, error) {
	list, err := d.ws.Glob(ctx, pattern)
	if err != nil {
		return nil, d.failed("list_files", err)
	}
	for i := range list {
		list[i].Path = d.reg.Redact(list[i].Path)
	}
	return list, nil
}

// failed is err as the call of the workspace tool would have failed.
func (d direct) failed(tool string, err error) error {
	var se *tools.StoreError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &se):
		se.Server, se.Tool, se.Msg = workspace.Namespace, tool, d.reg.Redact(se.Msg)
		return se
	}
	return &tools.ToolError{Server: workspace.Namespace, Tool: tool, Message: d.reg.Redact(err.Error())}
}

// viaTools calls the registry's workspace tools, for a server that was not
// given the workspace itself (Options.Workspace).
type viaTools struct{ s *Server }

func (v viaTools) Stat(ctx context.Context, path string) (st workspace.Stat, err error) {
	err = v.call(ctx, "stat", map[string]any{"path": path}, &st)
	return st, err
}

func (v viaTools) ReadFile(ctx context.Context, path string) (text string, err error) {
	err = v.call(ctx, "read_file", map[string]any{"path": path}, &text)
	return text, err
}

func (v viaTools) WriteFile(ctx context.Context, path, content string) error {
	var info workspace.FileInfo
	return v.call(ctx, "write_file", map[string]any{"path": path, "content": content}, &info)
}

func (v viaTools) Glob(ctx context.Context, pattern string) (list []workspace.FileInfo, err error) {
	err = v.call(ctx, "list_files", map[string]any{"glob": pattern}, &list)
	return list, err
}

// call calls the workspace tool with args and decodes its result into out.
func (v viaTools) call(ctx context.Context, tool string, args map[string]any, out any) error {
	e, ok := v.s.workspaceTool(tool)
	if !ok {
		return noWorkspace()
	}
	raw, err := json.Marshal(args)
	if err != nil {
		return err
	}
	res, err := v.s.reg.Call(ctx, e.ID, raw)
	if err != nil {
		return err
	}
	return json.Unmarshal(res, out)
}
