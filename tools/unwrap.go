package tools

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"
)

// unwrap turns a tool result into the value the script receives (README: What the model sees):
//
//   - isError: a *ToolError whose message is the text content;
//   - structuredContent present: that value;
//   - only text content: the joined text parsed as JSON if it parses, else
//     the text as a JSON string;
//   - anything else (images, resources, mixed): the content array as JSON.
//
// The result is not yet redacted.
func unwrap(res *mcp.CallToolResult) (json.RawMessage, *ToolError, error) {
	if res == nil {
		return json.RawMessage("null"), nil, nil
	}
	if res.IsError {
		return nil, &ToolError{Message: errorText(res.Content)}, nil
	}
	if v, ok, err := structured(res); ok || err != nil {
		return v, nil, err
	}
	if v, ok := singleTextValue(res.Content); ok {
		return v, nil, nil
	}
	if text, ok := onlyText(res.Content); ok {
		return textValue(text), nil, nil
	}
	if len(res.Content) == 0 {
		return json.RawMessage("null"), nil, nil
	}
	data, err := json.Marshal(res.Content)
	if err != nil {
		return nil, nil, fmt.Errorf("encoding content: %w", err)
	}
	return data, nil, nil
}

// structured returns structuredContent when the result has any.
func structured(res *mcp.CallToolResult) (json.RawMessage, bool, error) {
	if len(res.RawStructuredContent) > 0 && string(res.RawStructuredContent) != "null" {
		return res.RawStructuredContent, true, nil
	}
	if res.StructuredContent == nil {
		return nil, false, nil
	}
	data, err := json.Marshal(res.StructuredContent)
	if err != nil {
		return nil, false, fmt.Errorf("encoding structuredContent: %w", err)
	}
	return data, true, nil
}

// onlyText joins the text items with newlines; ok is false when there are
// none or when other kinds of content are mixed in.
func onlyText(content []mcp.Content) (string, bool) {
	if len(content) == 0 {
		return "", false
	}
	parts := make([]string, 0, len(content))
	for _, c := range content {
		t, ok := textOf(c)
		if !ok {
			return "", false
		}
		parts = append(parts, t)
	}
	return strings.Join(parts, "\n"), true
}

// textValue is the text parsed as JSON when it is JSON, else a JSON string.
// Text that cannot start a JSON value is not copied to be checked: a large
// text result is then copied once, into its JSON string (issue 18).
func textValue(text string) json.RawMessage {
	trimmed := strings.TrimSpace(text)
	if trimmed != "" && mayStartJSON(trimmed[0]) {
		if b := []byte(trimmed); json.Valid(b) {
			return b
		}
	}
	return jsonString(text)
}

// mayStartJSON says whether c may be the first byte of a JSON text.
func mayStartJSON(c byte) bool {
	return strings.IndexByte(`{["-0123456789tfn`, c) >= 0
}

// errorText is the message of an isError result: its text items joined,
// or the content as JSON when it has no text.
func errorText(content []mcp.Content) string {
	var parts []string
	for _, c := range content {
		if t, ok := textOf(c); ok {
			parts = append(parts, t)
		}
	}
	if len(parts) > 0 {
		return strings.Join(parts, "\n")
	}
	if len(content) == 0 {
		return "the tool reported an error without a message"
	}
	return jsonText(content)
}

// jsonText is v's JSON for a message the model reads: <, > and & as they
// are, where json.Marshal writes \u003c, \u003e and \u0026.
func jsonText(v any) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// jsonString encodes s as a JSON string without HTML escaping.
func jsonString(s string) json.RawMessage {
	var b bytes.Buffer
	b.Grow(len(s) + len(s)/16 + 16) // a large text grows its buffer once at most
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return bytes.TrimRight(b.Bytes(), "\n")
}

// textOf returns the text of a text item, built by value or by pointer.
func textOf(c mcp.Content) (string, bool) {
	switch t := c.(type) {
	case mcp.TextContent:
		return t.Text, true
	case *mcp.TextContent:
		return t.Text, t != nil
	case rawText:
		return t.decoded().Text, true
	}
	return "", false
}
