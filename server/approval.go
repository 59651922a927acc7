package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"

	"github.com/mcp-codemode/mcp-codemode/sandbox"
	"github.com/mcp-codemode/mcp-codemode/tools"
	"github.com/mcp-codemode/mcp-codemode/workspace"
)

// Approvals: a tool named by codemode.require_approval ("ns" or "ns.tool",
// by configured server name or by the name the model writes), or one whose
// annotations say destructiveHint when codemode.approve_destructive is set,
// pauses the script at the call and asks the user through MCP elicitation
// (elicitation/create). Accepting lets the call through; declining or
// dismissing rejects it with an ApprovalError the script can catch. A
// client that cannot be asked (no elicitation capability, or no client at
// all, as in `mcp-codemode run`) gets an ApprovalError naming the setting.

//
// Every path to a gated action is gated. A rule naming a workspace tool
// names the workspace tools that do the same under another name
// (workspaceAliases: a write_file rule gates append_file, write_json and
// move_file; move_file, which removes its source, is destructive as
// delete_file is), and the server's own workspace calls for a script ask as the
// tool they call would: codemode.save as workspace.write_file, codemode.run,
// codemode.describe("snippets.NAME") and imports as workspace.read_file.
// While reading workspace files needs approval, codemode.search and
// codemode.describe("snippets") leave the snippets' names and descriptions
// out (they are read from the files).
//
// The prompt hides nothing without saying so: arguments longer than
// approvalArgsMax are shown key by key, every value cut to approvalValueMax
// bytes with the number of bytes left out, and keys past approvalKeysMax
// counted (see showArgs).

// What the prompt shows of the arguments: all of them up to
// approvalArgsMax bytes; past that each top-level value up to
// approvalValueMax bytes and the first approvalKeysMax keys.
const (
	approvalArgsMax  = 600
	approvalValueMax = 200
	approvalKeyMax   = 100
	approvalKeysMax  = 40
)

// workspaceAliases names, for a workspace tool, the other workspace tools
// whose approval rule also gates it: they write (or read) what the rule's
// tool would.
var workspaceAliases = map[string][]string{
	"append_file": {"write_file"},
	"write_json":  {"write_file"},
	"move_file":   {"write_file", "delete_file"}, // writes its target, removes its source
	"read_json":   {"read_file"},
}

// needsApproval says why e needs the user's approval: the setting that
// asks for it, or "".
func (s *Server) needsApproval(e tools.Entry) string {
	if s.approvalRule(e) != "" {
		return "codemode.require_approval"
	}
	if s.limits.ApproveDestructive && (e.Annotations.DestructiveHint != nil && *e.Annotations.DestructiveHint ||
		e.Server == workspace.Namespace && slices.Contains(workspaceAliases[e.Name], "delete_file")) {
		return "codemode.approve_destructive"
	}
	return ""
}

// approvalRule is the entry of require_approval that gates e, or "".
func (s *Server) approvalRule(e tools.Entry) string {
	names := []string{e.Server, e.Namespace, e.Server + "." + e.Name, e.Path()}
	if e.Server == workspace.Namespace {
		for _, alias := range workspaceAliases[e.Name] {
			names = append(names, e.Namespace+"."+alias)
		}
	}
	for _, name := range names {
		if slices.Contains(s.limits.RequireApproval, name) {
			return name
		}
	}
	return ""
}

// approve asks the user before the call of tool id, when it needs it and
// the user has not allowed the tool for the rest of this execution. via
// names the helper that makes the call for the script ("codemode.save"),
// or is "" when the script calls the tool itself.
func (c *caller) approve(ctx context.Context, id string, args json.RawMessage, via string) error {
	if c.approved != nil {
		if _, ok := c.approved.Load(id); ok {
			return nil
		}
	}
	remember, err := c.s.approve(ctx, id, args, via)
	if err == nil && remember && c.approved != nil {
		c.approved.Store(id, true)
	}
	return err
}

// approve asks the user before the call of tool id, when it needs it, and
// reports whether the user allowed the tool for the rest of the run.
func (s *Server) approve(ctx context.Context, id string, args json.RawMessage, via string) (remember bool, err error) {
	e, ok := s.reg.Lookup(id)
	if !ok {
		return false, nil // the registry reports the unknown tool
	}
	setting := s.needsApproval(e)
	if setting == "" {
		return false, nil
	}
	return s.ask(ctx, e, args, setting, via)
}

// gated says which setting makes a workspace tool need approval, or "".
func (s *Server) gated(tool string) string {
	for _, e := range s.current().entries {
		if e.Server == workspace.Namespace && e.Name == tool {
			return s.needsApproval(e)
		}
	}
	return ""
}

// ask puts one call to the user.
func (s *Server) ask(ctx context.Context, e tools.Entry, args json.RawMessage, setting, via string) (remember bool, err error) {
	what := e.Path()
	if via != "" {
		what += " (for " + via + ")"
	}
	if d, key := durableFrom(ctx); d != nil && key != "" {
		return d.ask(key, e, args, approvalRequest(e, args, setting, via)) // 2026-07-28: pause, or the answer
	}
	if mcpserver.IsModernRequest(ctx) || !canElicit(ctx) {
		return false, s.cannotAsk(ctx, e, what, setting)
	}
	res, err := s.mcp.RequestElicitation(ctx, approvalRequest(e, args, setting, via))
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

// cannotAsk is the ApprovalError of a call whose client cannot be asked,
// saying what the user can do instead.
func (s *Server) cannotAsk(ctx context.Context, e tools.Entry, what, setting string) error {
	rule := e.Path()
	if r := s.approvalRule(e); r != "" && setting == "codemode.require_approval" {
		rule = r // the entry to take out, which may name another tool (an alias) or the namespace
	}
	if mcpserver.IsModernRequest(ctx) {
		if d, _ := durableFrom(ctx); d != nil {
			// A run pauses at a call of the script; its imports are read
			// before it starts.
			return approvalError("%s needs the user's approval (%s) to import a file, which is read before the script runs, "+
				"where it cannot pause to ask; read it with workspace.read_file in the script instead, or take %s out of %s",
				what, setting, rule, setting)
		}
		return approvalError("%s needs the user's approval (%s), but this client cannot be asked: its requests do not declare "+
			"the elicitation capability; use a client that does, or take %s out of %s", what, setting, rule, setting)
	}
	return approvalError("%s needs the user's approval (%s), but this client cannot be asked: it does not support MCP elicitation; "+
		"use a client that does, or take %s out of %s", what, setting, rule, setting)
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
func approvalRequest(e tools.Entry, args json.RawMessage, setting, via string) mcp.ElicitationRequest {
	what := e.Path()
	if via != "" {
		what += " (for " + via + ")"
	}
	msg := fmt.Sprintf("Allow the script to call %s?\n\n%s\n\n%s", what, showArgs(args), firstLine(e.Description))
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
	return sandbox.NewError(sandbox.NameApproval, fmt.Sprintf(format, args...))
}

// errNotAsked is returned by Conn.RequestElicitation when the client never
// answers because the connection ended.
var errNotAsked = errors.New("the client connection ended before it answered")

// showArgs writes a call's arguments for the user. Up to approvalArgsMax
// bytes they are shown whole. Longer, they are shown key by key, so that a
// long first value cannot push the others out of sight: every value is cut
// to approvalValueMax bytes and says how many more it has, and keys past
// approvalKeysMax are counted with their bytes.
func showArgs(args json.RawMessage) string {
	if len(args) <= approvalArgsMax {
		return "Arguments: " + string(args)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Arguments (%s bytes; each value shown up to %d bytes):", thousands(len(args)), approvalValueMax)
	keys, rest, ok := topLevel(args)
	if !ok {
		b.WriteString("\n  " + cutBytes(string(args), approvalArgsMax))
		return b.String()
	}
	for _, kv := range keys {
		fmt.Fprintf(&b, "\n  %s: %s", showKey(kv.key), cutBytes(string(kv.value), approvalValueMax))
	}
	if rest.keys > 0 {
		fmt.Fprintf(&b, "\n  … and %s more keys not shown (%s bytes)", thousands(rest.keys), thousands(rest.bytes))
	}
	return b.String()
}

type keyValue struct {
	key   string
	value json.RawMessage
}

// topLevel splits a JSON object into its first approvalKeysMax keys with
// their values, and counts the keys and bytes of the rest; ok is false
// when args is not an object.
func topLevel(args json.RawMessage) (keys []keyValue, rest struct{ keys, bytes int }, ok bool) {
	dec := json.NewDecoder(bytes.NewReader(args))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, rest, false
	}
	for dec.More() {
		start := dec.InputOffset()
		t, err := dec.Token()
		key, isKey := t.(string)
		var v json.RawMessage
		if err != nil || !isKey || dec.Decode(&v) != nil {
			return nil, rest, false
		}
		if len(keys) < approvalKeysMax {
			keys = append(keys, keyValue{key, v})
			continue
		}
		rest.keys++
		rest.bytes += int(dec.InputOffset() - start)
	}
	return keys, rest, true
}

// plainKey is a key shown as it is; any other is shown as a JSON string,
// so that no key can add lines of its own to the prompt.
var plainKey = regexp.MustCompile(`^[A-Za-z0-9_.$-]+$`)

func showKey(k string) string {
	if plainKey.MatchString(k) && len(k) <= approvalKeyMax {
		return k
	}
	q, _ := json.Marshal(k)
	return cutBytes(string(q), approvalKeyMax)
}

// cutBytes cuts s to at most n bytes, on a character boundary, and says
// how many bytes it left out.
func cutBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s… (%s more bytes)", s[:cut], thousands(len(s)-cut))
}

// thousands writes n with commas between groups of three digits.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
