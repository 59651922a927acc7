package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"

	"github.com/mcp-codemode/mcp-codemode/tools"
)

// Approvals: a tool named by codemode.require_approval ("ns" or "ns.tool",
// by configured server name or by the name the model writes), or one whose
// annotations say destructiveHint when codemode.approve_destructive is set,
// pauses the script at the call and asks the user through MCP elicitation
// (elicitation/create). Accepting lets the call through; declining or
// dismissing rejects it with an ApprovalError the script can catch. A
// client that cannot be asked (no elicitation capability, or no client at
// all, as in `mcp-codemode run`) gets an ApprovalError naming the setting.

// approvalArgsMax caps the arguments shown to the user.
const approvalArgsMax = 600

// needsApproval says why e needs the user's approval: the setting that
// asks for it, or "".
func (s *Server) needsApproval(e tools.Entry) string {
	for _, name := range []string{e.Server, e.Namespace, e.Server + "." + e.Name, e.Path()} {
		if slices.Contains(s.limits.RequireApproval, name) {
			return "codemode.require_approval"
		}
	}
	if s.limits.ApproveDestructive && e.Annotations.DestructiveHint != nil && *e.Annotations.DestructiveHint {
		return "codemode.approve_destructive"
	}
	return ""
}

// approve asks the user before the call of tool id, when it needs it and
// the user has not allowed the tool for the rest of this execution.
func (c *caller) approve(ctx context.Context, id string, args json.RawMessage) error {
	if c.approved != nil {
		if _, ok := c.approved.Load(id); ok {
			return nil
		}
	}
	remember, err := c.s.approve(ctx, id, args)
	if err == nil && remember && c.approved != nil {
		c.approved.Store(id, true)
	}
	return err
}

// approve asks the user before the call of tool id, when it needs it, and
// reports whether the user allowed the tool for the rest of the run.
func (s *Server) approve(ctx context.Context, id string, args json.RawMessage) (remember bool, err error) {
	e, ok := s.reg.Lookup(id)
	if !ok {
		return false, nil // the registry reports the unknown tool
	}
	setting := s.needsApproval(e)
	if setting == "" {
		return false, nil
	}
	return s.ask(ctx, e, args, setting)
}

// ask puts one call to the user.
func (s *Server) ask(ctx context.Context, e tools.Entry, args json.RawMessage, setting string) (remember bool, err error) {
	if !canElicit(ctx) {
		return false, approvalError("%s needs the user's approval (%s), but this client cannot be asked: it does not support MCP elicitation; "+
			"use a client that does, or take %s out of %s", e.Path(), setting, e.Path(), setting)
	}
	res, err := s.mcp.RequestElicitation(ctx, approvalRequest(e, args, setting))
	switch {
	case err != nil && ctx.Err() != nil:
		return false, ctx.Err()
	case err != nil:
		return false, approvalError("%s needs the user's approval (%s), but asking failed: %v", e.Path(), setting, err)
	case res.Action == mcp.ElicitationResponseActionAccept:
		remember = rememberChecked(res.Content)
		s.log.InfoContext(ctx, "approval", "tool", e.Path(), "action", "accept", "for_the_run", remember)
		return remember, nil
	}
	s.log.InfoContext(ctx, "approval", "tool", e.Path(), "action", res.Action)
	if res.Action == mcp.ElicitationResponseActionDecline {
		return false, approvalError("the user declined the call of %s", e.Path())
	}
	return false, approvalError("the user dismissed the approval of %s without allowing it", e.Path())
}

// rememberField is the form's one field: allow the tool for the rest of
// the execution, so a loop does not ask at every call.
const rememberField = "allow_for_this_run"

func rememberChecked(content any) bool {
	m, _ := content.(map[string]any)
	v, _ := m[rememberField].(bool)
	return v
}

// canElicit says whether the client of ctx declared the elicitation
// capability.
func canElicit(ctx context.Context) bool {
	info, ok := mcpserver.ClientSessionFromContext(ctx).(mcpserver.SessionWithClientInfo)
	if !ok || info == nil {
		return false
	}
	_, asks := info.(mcpserver.SessionWithElicitation)
	return asks && info.GetClientCapabilities().Elicitation != nil
}

// approvalRequest is the question put to the user: which tool, with which
// arguments, and why we ask. Accepting is the answer; the form's one
// checkbox allows the tool for the rest of the execution.
func approvalRequest(e tools.Entry, args json.RawMessage, setting string) mcp.ElicitationRequest {
	shown := string(args)
	if len(shown) > approvalArgsMax {
		shown = shown[:approvalArgsMax] + "…"
	}
	msg := fmt.Sprintf("Allow the script to call %s?\n\nArguments: %s\n\n%s", e.Path(), shown, firstLine(e.Description))
	if msg[len(msg)-1] == '\n' {
		msg = msg[:len(msg)-2]
	}
	msg += fmt.Sprintf("\n\n(Asked because of %s.)", setting)
	var req mcp.ElicitationRequest
	req.Params = mcp.ElicitationParams{
		Message: msg,
		RequestedSchema: map[string]any{"type": "object", "properties": map[string]any{
			rememberField: map[string]any{"type": "boolean", "title": "Allow " + e.Path() + " for the rest of this run", "default": false},
		}},
	}
	return req
}

func approvalError(format string, args ...any) error {
	return &namedError{name: "ApprovalError", msg: fmt.Sprintf(format, args...)}
}

// errNotAsked is returned by Conn.RequestElicitation when the client never
// answers because the connection ended.
var errNotAsked = errors.New("the client connection ended before it answered")
