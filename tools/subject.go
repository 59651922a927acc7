package tools

import "context"

type subjectKey struct{}

// WithSubject returns ctx carrying the authenticated subject a call is made
// for: the bearer token's or JWT's subject over HTTP. State a tool keeps
// between calls (the workspace) belongs to the subject, so one client never
// sees another's.
func WithSubject(ctx context.Context, subject string) context.Context {
	return context.WithValue(ctx, subjectKey{}, subject)
}

// Subject returns the subject ctx carries; "" (the only subject of stdio)
// when none was set.
func Subject(ctx context.Context) string {
	s, _ := ctx.Value(subjectKey{}).(string)
	return s
}
