package tools

import (
	"context"
	"log/slog"
)

// quietListen is the logger of a streamable HTTP transport: what mcp-go
// logs about its listening GET stream as it goes (opening it, a server
// that offers none, which many do) is debug detail, not an error of ours.
func quietListen(log *slog.Logger) *slog.Logger {
	return slog.New(demote{log.Handler()})
}

// demoted are mcp-go's messages about the listening stream.
var demoted = map[string]bool{
	"listening to server forever":       true,
	"server does not support listening": true,
}

type demote struct{ slog.Handler }

func (d demote) Handle(ctx context.Context, r slog.Record) error {
	if demoted[r.Message] && r.Level > slog.LevelDebug {
		if !d.Handler.Enabled(ctx, slog.LevelDebug) {
			return nil
		}
		r.Level = slog.LevelDebug
	}
	return d.Handler.Handle(ctx, r)
}

func (d demote) WithAttrs(as []slog.Attr) slog.Handler { return demote{d.Handler.WithAttrs(as)} }
func (d demote) WithGroup(name string) slog.Handler    { return demote{d.Handler.WithGroup(name)} }
