package tools

import (
	"fmt"
	"strings"

	"github.com/mcp-codemode/mcp-codemode/sandbox"
)

// maxViolations is how many schema violations an ArgumentError message shows.
const maxViolations = 3

// ArgumentError reports arguments that do not match a tool's inputSchema.
// The tool was not called. Its message names the tool as the model wrote it
// and the JSON path of each violation:
//
//	memory.create_entities: entities[0].name: required
type ArgumentError struct {
	Path       string      // the tool as the model calls it, "memory.create_entities"
	Violations []Violation // sorted by instance path; at least one
}

// Violation is one way the arguments break the schema.
type Violation struct {
	Path   string // JS notation relative to the arguments: "entities[0].name", `["odd key"]`; "" for the arguments themselves
	Reason string // "required", "expected string, got number", ...
}

func (v Violation) String() string {
	if v.Path == "" {
		return v.Reason
	}
	return v.Path + ": " + v.Reason
}

func (e *ArgumentError) Error() string {
	parts := make([]string, 0, maxViolations+1)
	for i, v := range e.Violations {
		if i == maxViolations {
			parts = append(parts, fmt.Sprintf("and %d more", len(e.Violations)-i))
			break
		}
		parts = append(parts, v.String())
	}
	return e.Path + ": " + strings.Join(parts, "; ")
}

// ErrorName is the JS error name the sandbox throws: arguments of the wrong
// shape are a TypeError in JavaScript.
func (e *ArgumentError) ErrorName() string { return sandbox.NameType }

// ToolError is a result the tool itself marked isError. Its message is the
// tool's text, unchanged but for redaction, as README "What the model sees" says: the model
// reads it as the tool wrote it.
type ToolError struct {
	Server  string // the server as configured
	Tool    string // the tool's own name
	Message string // the tool's text content, redacted
}

func (e *ToolError) Error() string { return e.Message }

// ErrorName is the JS error name the sandbox throws.
func (e *ToolError) ErrorName() string { return sandbox.NameTool }

// UpstreamError means the call could not be made or finished: the server is
// down, restarting, timed out, crashed or broke the protocol. Its message
// says which tool, which server, what happened and what happens next:
//
//	memory.create_entities: upstream "memory" is not available: process exited (status 1); it will be restarted on the next call
type UpstreamError struct {
	Server string // the server as configured
	Tool   string // the tool's own name
	Path   string // the tool as the model calls it
	Msg    string // what happened and what to do, redacted
	Err    error  // the cause, for errors.Is (context.DeadlineExceeded, ...); its text may hold secrets
}

func (e *UpstreamError) Error() string {
	if e.Msg == "" {
		return fmt.Sprintf("%s: upstream %q failed", e.Path, e.Server)
	}
	return e.Path + ": " + e.Msg
}

func (e *UpstreamError) Unwrap() error { return e.Err }

// ErrorName is the JS error name the sandbox throws.
func (e *UpstreamError) ErrorName() string { return sandbox.NameUpstream }

// StoreError means a built-in tool's database failed: it is unreachable,
// timed out or refused the credentials (the workspace on PostgreSQL while
// the database is down). The call may not have been made; the same call
// may work later. Its message says whose data and why, never a password:
//
//	the workspace is unavailable: the database is unreachable: dial tcp 10.0.0.5:5432: connect: connection refused; try again
type StoreError struct {
	Server string // the built-in tool's server (namespace)
	Tool   string // the tool's own name
	Msg    string // what is unavailable and why, redacted
	Err    error  // the cause, a *store.Error
}

func (e *StoreError) Error() string { return e.Msg }

func (e *StoreError) Unwrap() error { return e.Err }

// ErrorName is the JS error name the sandbox throws.
func (e *StoreError) ErrorName() string { return sandbox.NameStore }

// UnknownToolError is returned by Call for an id the registry does not hold.
// The sandbox only calls ids it was given, so this is a server fault (or a
// tool that vanished when its server restarted with a new tool list).
type UnknownToolError struct {
	ID string
}

func (e *UnknownToolError) Error() string {
	return fmt.Sprintf("unknown tool id %q: the tool set changed or the id was never registered", e.ID)
}

// ErrorName is InternalError: the script did nothing wrong.
func (e *UnknownToolError) ErrorName() string { return sandbox.NameInternal }

// messageError presents a cause under another message: a redacted one, or
// a better description of what happened.
type messageError struct {
	msg string
	err error
}

func (e *messageError) Error() string { return e.msg }
func (e *messageError) Unwrap() error { return e.err }
