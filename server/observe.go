package server

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/mcp-codemode/mcp-codemode/sandbox"
	"github.com/mcp-codemode/mcp-codemode/tools"
)

// Observer is told of every execution and tool call; hosted mode turns
// what it hears into metrics. Its methods are called concurrently, on the
// paths of the calls themselves, so they must be quick.
type Observer interface {
	// Executed is called when an execution ends, or is turned away
	// (outcome "busy"), with its outcome (see Outcome) and wall time.
	Executed(outcome string, d time.Duration)
	// ToolCalled is called when a tool call of a script returns; outcome is
	// "ok", "tool_error", "invalid_arguments", "upstream_error",
	// "cancelled" or "error".
	ToolCalled(server, tool, outcome string, d time.Duration)
}

// Outcome classifies an execution's result for metrics: "ok", "timeout",
// "cancelled", "memory_limit", "busy", "internal" or "error" (anything the
// script did). The set is fixed so that a label never grows with what
// scripts throw.
func Outcome(res sandbox.Result) string {
	if res.Err == nil {
		return "ok"
	}
	switch res.Err.Name {
	case sandbox.NameTimeout:
		return "timeout"
	case sandbox.NameCancelled:
		return "cancelled"
	case sandbox.NameMemoryLimit:
		return "memory_limit"
	case sandbox.NameBusy:
		return "busy"
	case sandbox.NameInternal:
		return "internal"
	case sandbox.NameRange:
		if strings.Contains(strings.ToLower(res.Err.Message), "memory") {
			return "memory_limit"
		}
	}
	return "error"
}

// callOutcome classifies a tool call's error for ToolCalled.
func callOutcome(err error) string {
	var (
		te *tools.ToolError
		ae *tools.ArgumentError
		ue *tools.UpstreamError
	)
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &ae):
		return "invalid_arguments"
	case errors.As(err, &te):
		return "tool_error"
	case errors.Is(err, context.Canceled):
		return "cancelled"
	case errors.As(err, &ue):
		return "upstream_error"
	}
	return "error"
}

// DropObserver is an Observer that also counts the run records dropped
// because the store did not keep up (runs.Options.Dropped): hosted mode's
// metrics.
type DropObserver interface {
	RunsDropped(n int)
}

type nopObserver struct{}

func (nopObserver) Executed(string, time.Duration)                   {}
func (nopObserver) ToolCalled(string, string, string, time.Duration) {}

// callTool calls a tool of the registry and tells the Observer.
func (s *Server) callTool(ctx context.Context, id string, args json.RawMessage) (json.RawMessage, error) {
	start := time.Now()
	out, err := s.reg.Call(ctx, id, args)
	server, tool := "unknown", id
	if e, ok := s.reg.Lookup(id); ok {
		server, tool = e.Server, e.Name
	}
	s.obs.ToolCalled(server, tool, callOutcome(err), time.Since(start))
	return out, err
}
