package tools

import (
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
)

// TestTextNotEscaped: values the model reads inside messages (an enum in
// an argument error, the content of an error result without text) keep
// <, > and & as written, not \u003c, \u003e and \u0026.
func TestTextNotEscaped(t *testing.T) {
	expectArgs(t, `{"type":"object","properties":{"op":{"enum":["<", "a&b"]}}}`, `{"op":"x"}`,
		`ns.tool: op: must be one of "<", "a&b"`)
	res := errorText([]mcp.Content{mcp.NewResourceLink("file:///a<b>", "a<b>", "", "")})
	if want := `[{"type":"resource_link","uri":"file:///a<b>","name":"a<b>","description":"","mimeType":""}]`; res != want {
		t.Errorf("errorText = %s, want %s", res, want)
	}
}
