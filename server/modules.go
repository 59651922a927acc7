package server

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mcp-codemode/mcp-codemode/modules"
	"github.com/mcp-codemode/mcp-codemode/sandbox"
)

// bundle lets code import .ts (and .js, .json) files of the workspace of
// ctx's subject (see package modules): the imports are bundled in, on the
// lines they were, so positions in the code stay right. A failed import is
// a SyntaxError at its line, before anything runs.
//
// Bundling is part of the execution: the code and the files it imports
// stay within the code size limit together, and the time it takes comes
// out of the execution's timeout (c.opts.Timeout is what is left for the
// run).
func (c *caller) bundle(ctx context.Context, code string) (string, *sandbox.Error) {
	return c.bundleAt(ctx, code, "")
}

// bundleAt is bundle for code kept in the workspace file at file (a
// snippet): its imports are resolved from that file's directory.
func (c *caller) bundleAt(ctx context.Context, code, file string) (string, *sandbox.Error) {
	if !strings.Contains(code, "import") {
		return code, nil
	}
	timeout := c.opts.Timeout
	if timeout <= 0 {
		timeout = sandbox.DefaultTimeout
	}
	start := time.Now()
	bctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	out, origins, err := modules.BundleMapped(bctx, code, file, workspaceFiles{c}, c.opts.MaxCodeBytes)
	c.origins = origins
	// What is left for the run: never 0, which the sandbox takes for its default.
	c.opts.Timeout = timeout - time.Since(start).Truncate(time.Millisecond)
	var me *modules.Error
	switch {
	case errors.As(err, &me):
		return "", &sandbox.Error{Name: sandbox.NameSyntax, Message: me.Message, Line: me.Line}
	case bctx.Err() != nil && ctx.Err() == nil, err == nil && c.opts.Timeout <= 0:
		return "", &sandbox.Error{Name: sandbox.NameTimeout, Message: fmt.Sprintf("execution timed out after %v while bundling its imports", timeout.Round(time.Millisecond))}
	case err != nil:
		return "", &sandbox.Error{Name: sandbox.NameSyntax, Message: err.Error()}
	}
	return out, nil
}

// workspaceFiles is the workspace of the execution's subject, as
// modules.Bundle reads it.
type workspaceFiles struct{ c *caller }

// Size asks the workspace's stat, so that a file is measured before it is
// read; the user is asked first when stat needs approval, as for the
// script's own call.
func (w workspaceFiles) Size(ctx context.Context, path string) (int64, error) {
	fs, err := w.c.files(ctx, "", "stat", map[string]any{"path": path})
	if err != nil {
		return 0, err
	}
	st, err := fs.Stat(ctx, path)
	if err != nil {
		return 0, err
	}
	if !st.Exists || st.Type != "file" {
		return 0, fmt.Errorf("no file %q in the workspace; workspace.list_files() shows the files there are", path)
	}
	return st.Size, nil
}

// Read reads a workspace file, once the user allowed it when read_file
// needs approval.
func (w workspaceFiles) Read(ctx context.Context, path string) (string, error) {
	fs, err := w.c.files(ctx, "", "read_file", map[string]any{"path": path})
	if err != nil {
		return "", err
	}
	return fs.ReadFile(ctx, path)
}
