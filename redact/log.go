package redact

import (
	"context"
	"fmt"
	"log/slog"
)

// Handler wraps h so that every record's message and attributes (those
// added with With too, and inside groups) are scrubbed by r before h sees
// them: a log line never holds a secret, whoever logs it (mcp-go's
// transports log upstream URLs with their tokens). With an empty r it
// returns h.
func Handler(h slog.Handler, r *Redactor) slog.Handler {
	if r.Empty() {
		return h
	}
	return &handler{h: h, r: r}
}

type handler struct {
	h slog.Handler
	r *Redactor
}

func (h *handler) Enabled(ctx context.Context, l slog.Level) bool { return h.h.Enabled(ctx, l) }

func (h *handler) Handle(ctx context.Context, rec slog.Record) error {
	out := slog.NewRecord(rec.Time, rec.Level, h.r.String(rec.Message), rec.PC)
	rec.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.attr(a))
		return true
	})
	return h.h.Handle(ctx, out)
}

func (h *handler) WithAttrs(as []slog.Attr) slog.Handler {
	scrubbed := make([]slog.Attr, len(as))
	for i, a := range as {
		scrubbed[i] = h.attr(a)
	}
	return &handler{h: h.h.WithAttrs(scrubbed), r: h.r}
}

func (h *handler) WithGroup(name string) slog.Handler {
	return &handler{h: h.h.WithGroup(name), r: h.r}
}

// attr scrubs an attribute's key and value. A value of another kind than
// string (an error, a struct, a URL) is replaced by its scrubbed text when
// that text holds a secret, and kept as it is otherwise.
func (h *handler) attr(a slog.Attr) slog.Attr {
	a.Key = h.r.String(a.Key)
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		a.Value = slog.StringValue(h.r.String(v.String()))
	case slog.KindGroup:
		g := v.Group()
		scrubbed := make([]slog.Attr, len(g))
		for i, ga := range g {
			scrubbed[i] = h.attr(ga)
		}
		a.Value = slog.GroupValue(scrubbed...)
	case slog.KindAny:
		a.Value = v
		if text := fmt.Sprintf("%+v", v.Any()); h.r.Contains(text) {
			a.Value = slog.StringValue(h.r.String(text))
		}
	default:
		a.Value = v
	}
	return a
}
