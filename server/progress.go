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
	if wantsConsole(ctx) {
		h.onLog = func(line string) {
			level, text := consoleLevel(line)
			s.Notify(ctx, "notifications/message", map[string]any{"level": level, "logger": "console", "data": text})
		}
	}
	return h
}

// wantsConsole reports whether the client of ctx's session opted in to
// console lines: it set the log level to info or debug (the default is
// error, at which nothing is sent).
func wantsConsole(ctx context.Context) bool {
	sess, ok := mcpserver.ClientSessionFromContext(ctx).(mcpserver.SessionWithLogging)
	return ok && mcp.LoggingLevelInfo.ShouldSendTo(sess.GetLogLevel())
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
