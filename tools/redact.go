package tools

import (
	"github.com/mcp-codemode/mcp-codemode/redact"
)

// Redacted replaces every secret value in results, errors and forwarded logs.
const Redacted = redact.Redacted

// redactor is package redact's: every encoding of a secret a script could
// undo is caught, as for fetch.
type redactor = redact.Redactor

func newRedactor(secrets []string) *redactor { return redact.New(secrets) }

// redactTools scrubs every string of the tool definitions an upstream
// listed (title, description, every string of the schemas: descriptions,
// titles, enum values, defaults, examples, property names), since all of
// them reach the model: the execute description, codemode.describe and
// search, search_tools, the types and the approval prompt. A tool whose
// name holds a secret is left out: it could not be called by another name.
func (r *Registry) redactTools(server string, ts []Tool) []Tool {
	if r.red.Empty() {
		return ts
	}
	out := make([]Tool, 0, len(ts))
	for _, t := range ts {
		if r.red.Contains(t.Name) {
			r.log.Warn("tool left out: its name holds a configured secret", "server", server, "tool", r.red.String(t.Name))
			continue
		}
		t.Title, t.Description = r.red.String(t.Title), r.red.String(t.Description)
		t.InputSchema, t.OutputSchema = r.red.JSON(t.InputSchema), r.red.JSON(t.OutputSchema)
		t.Annotations.Title = r.red.String(t.Annotations.Title)
		out = append(out, t)
	}
	return out
}
