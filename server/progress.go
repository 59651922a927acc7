package server

import (
	"context"
	"fmt"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"
)

// hooks are the sandbox callbacks of one execution: progress as tool calls
// settle, console lines as log messages. Nil fields report nothing.
type hooks struct {
	onCall func(done, started int)
	onLog  func(line string)
}

type hooksKey struct{}

// reporting returns the hooks for a tools/call of execute: progress
// notifications when the client sent a progress token, and console lines
// as notifications/message (logger "console") when the client opted in.
func (s *Server) reporting(ctx context.Context, req mcp.CallToolRequest) hooks {
	var h hooks
	if meta := req.Params.Meta; meta != nil && meta.ProgressToken != nil {
		token := meta.ProgressToken
		h.onCall = func(done, started int) {
			s.Notify(ctx, string(mcp.MethodNotificationProgress), map[string]any{
				"progressToken": token,
				"progress":      done,
				"message":       fmt.Sprintf("%d/%d tool calls", done, started),
			})
		}
	}
	if min, ok := s.consoleLevel(ctx, req); ok {
		h.onLog = func(line string) {
			level, text := consoleLevel(line)
			if level.ShouldSendTo(min) {
				s.Notify(ctx, "notifications/message", map[string]any{"level": level, "logger": "console", "data": text})
			}
		}
	}
	return h
}

// consoleLevel is the least level of the console lines the client asked
// for, and false when it asked for none: the request's own
// io.modelcontextprotocol/logLevel in _meta (2026-07-28), else the level
// its session set with logging/setLevel (earlier revisions). A session
// that never set one gets none: mcp-go reports "error" for it, which
// would send console.error lines to a client that did not ask.
func (s *Server) consoleLevel(ctx context.Context, req mcp.CallToolRequest) (mcp.LoggingLevel, bool) {
	if level := req.Params.Meta.LogLevel(); level != "" {
		return level, true
	}
	sess, ok := mcpserver.ClientSessionFromContext(ctx).(mcpserver.SessionWithLogging)
	if !ok {
		return "", false
	}
	if _, set := s.levelSet.Load(sess.SessionID()); !set {
		return "", false
	}
	return sess.GetLogLevel(), true
}

// loggingHooks remember which sessions set a log level, for as long as
// the session lasts.
func (s *Server) loggingHooks() *mcpserver.Hooks {
	h := &mcpserver.Hooks{}
	h.AddAfterSetLevel(func(ctx context.Context, _ any, _ *mcp.SetLevelRequest, _ *mcp.EmptyResult) {
		if sess := mcpserver.ClientSessionFromContext(ctx); sess != nil {
			s.levelSet.Store(sess.SessionID(), struct{}{})
		}
	})
	h.AddOnUnregisterSession(func(_ context.Context, sess mcpserver.ClientSession) {
		s.levelSet.Delete(sess.SessionID())
	})
	return h
}

// consoleLevel maps a console line to a log level: console.warn and
// console.error lines carry a prefix; the rest are info.
func consoleLevel(line string) (mcp.LoggingLevel, string) {
	if text, ok := strings.CutPrefix(line, "[warn] "); ok {
		return mcp.LoggingLevelWarning, text
	}
	if text, ok := strings.CutPrefix(line, "[error] "); ok {
		return mcp.LoggingLevelError, text
	}
	return mcp.LoggingLevelInfo, line
}

func withHooks(ctx context.Context, h hooks) context.Context {
	return context.WithValue(ctx, hooksKey{}, h)
}

func hooksFrom(ctx context.Context) hooks {
	h, _ := ctx.Value(hooksKey{}).(hooks)
	return h
}
