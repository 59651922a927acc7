package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcp-codemode/mcp-codemode/egress"
	"github.com/mcp-codemode/mcp-codemode/sandbox"
)

// structured is the structuredContent of an execute result.
type structured struct {
	Result    any         `json:"result"`
	Logs      []string    `json:"logs"`
	Error     *errorShape `json:"error,omitempty"`
	Truncated bool        `json:"truncated,omitempty"`
	Stats     statsShape  `json:"stats"`
}

type errorShape struct {
	Name    string `json:"name"`
	Message string `json:"message"`
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
}

type statsShape struct {
	ToolCalls  int             `json:"tool_calls"`
	DurationMS float64         `json:"duration_ms"`
	Fetches    []egress.Record `json:"fetches,omitempty"` // the audit of fetch, when it ran
}

// Format turns a sandbox result into the execute tool's result (SPEC §4):
// text for the model, structuredContent for programs. Result and logs
// together are kept within maxBytes; what is cut is marked with its size.
func Format(res sandbox.Result, maxBytes int) *mcp.CallToolResult {
	return format(res, nil, maxBytes)
}

// format is Format with the run's fetch audit in stats.
func format(res sandbox.Result, fetches []egress.Record, maxBytes int) *mcp.CallToolResult {
	out := structured{
		Logs:  res.Logs,
		Stats: statsShape{ToolCalls: res.Stats.ToolCalls, DurationMS: float64(res.Stats.Duration.Microseconds()) / 1000, Fetches: fetches},
	}
	if out.Logs == nil {
		out.Logs = []string{}
	}
	var head string
	if res.Err != nil {
		out.Error = &errorShape{Name: res.Err.Name, Message: res.Err.Message, Line: res.Err.Line, Column: res.Err.Column}
		head = errorText(res.Err)
	} else {
		head = prettyJSON(res.Value)
		out.Result = json.RawMessage(res.Value)
	}
	head, logs, cut := fit(head, out.Logs, maxBytes)
	if cut {
		out.Truncated = true
		out.Logs = logs
		if res.Err == nil && len(head) < len(prettyJSON(res.Value)) {
			out.Result = head
		}
	}
	text := head
	if len(logs) > 0 {
		text += "\n\nConsole output:\n" + strings.Join(logs, "\n")
	}
	return &mcp.CallToolResult{
		Content:           []mcp.Content{mcp.NewTextContent(text)},
		StructuredContent: out,
		IsError:           res.Err != nil,
	}
}

// errorText is "Name: message" and, when known, where in the model's code.
func errorText(e *sandbox.Error) string {
	s := e.Name + ": " + e.Message
	if e.Line > 0 {
		s += fmt.Sprintf("\n    at line %d, column %d of your code", e.Line, e.Column)
	}
	return s
}

func prettyJSON(raw json.RawMessage) string {
	if len(raw) == 0 {
		return "null"
	}
	var b bytes.Buffer
	if err := json.Indent(&b, raw, "", "  "); err != nil {
		return string(raw)
	}
	return b.String()
}

// fit cuts head and logs so that together they take at most max bytes. The
// head (result or error) gets priority, but logs keep at least a quarter of
// the room when there are any.
func fit(head string, logs []string, max int) (string, []string, bool) {
	logSize := 0
	for _, l := range logs {
		logSize += len(l) + 1
	}
	if len(head)+logSize <= max {
		return head, logs, false
	}
	headRoom := max - min(logSize, max/4)
	if len(head) > headRoom {
		head = truncate(head, headRoom, "result")
	}
	return head, cutLogs(logs, max-len(head)), true
}

// truncate keeps the first n bytes of s (on a rune boundary) and says how
// large s was.
func truncate(s string, n int, what string) string {
	marker := fmt.Sprintf("\n… [%s truncated: %d bytes in total, limit %d]", what, len(s), n)
	keep := max(n-len(marker), 0)
	for keep > 0 && keep < len(s) && !utf8Start(s[keep]) {
		keep--
	}
	return s[:keep] + marker
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }

func cutLogs(logs []string, room int) []string {
	total := 0
	for _, l := range logs {
		total += len(l) + 1
	}
	var out []string
	used := 0
	for i, l := range logs {
		if used+len(l)+1 > room-80 {
			return append(out, fmt.Sprintf("… [console output truncated: %d more lines, %d bytes in total]", len(logs)-i, total))
		}
		out = append(out, l)
		used += len(l) + 1
	}
	return out
}
