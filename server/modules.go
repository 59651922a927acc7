package server

import (
	"context"
	"encoding/json"
	"errors"
	"strings"

	"github.com/mcp-codemode/mcp-codemode/modules"
	"github.com/mcp-codemode/mcp-codemode/sandbox"
)

// bundle lets code import .ts (and .js, .json) files of the workspace of
// ctx's subject (see package modules): the imports are bundled in, on the
// lines they were, so positions in the code stay right. A failed import is
// a SyntaxError at its line, before anything runs.
func (c *caller) bundle(ctx context.Context, code string) (string, *sandbox.Error) {
	if !strings.Contains(code, "import") {
		return code, nil
	}
	out, err := modules.Bundle(ctx, code, c.readFile)
	var me *modules.Error
	switch {
	case errors.As(err, &me):
		return "", &sandbox.Error{Name: "SyntaxError", Message: me.Message, Line: me.Line}
	case err != nil:
		return "", &sandbox.Error{Name: "SyntaxError", Message: err.Error()}
	}
	return out, nil
}

// readFile reads a workspace file for modules.Bundle.
func (c *caller) readFile(ctx context.Context, path string) (string, error) {
	raw, err := c.workspace(ctx, "read_file", map[string]any{"path": path})
	if err != nil {
		return "", err
	}
	var text string
	err = json.Unmarshal(raw, &text)
	return text, err
}
