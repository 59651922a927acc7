package server

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/mcp-codemode/mcp-codemode/sandbox"
)

// TestFormatKeepsSchema: whatever max_output_bytes cuts, structuredContent
// stays valid against execute's outputSchema (logs an array, result a JSON
// value or null) and stats.truncated says what was cut. A result alone over
// the limit used to send "logs": null, which the official TypeScript SDK
// client rejects ("data/logs must be array"), and its prefix as a string.
func TestFormatKeepsSchema(t *testing.T) {
	schema := compileOutputSchema(t)
	big := `{"xs":"` + strings.Repeat("x", 3000) + `"}`
	lines := func(n int) []string {
		l := make([]string, n)
		for i := range l {
			l[i] = strings.Repeat("l", 49)
		}
		return l
	}
	marker := `\n… [message truncated: 3000 bytes in total, limit 944]`
	cutMessage := strings.Repeat("m", 944-len(marker)+1) + marker // \n is one byte
	tests := []struct {
		name string
		res  sandbox.Result
		want string // structuredContent without stats.duration_ms
	}{
		{"result alone", sandbox.Result{Value: json.RawMessage(big)},
			`{"result":null,"logs":[],"truncated":true,"stats":{"tool_calls":0,"truncated":{"result_bytes":3014,"result_shown_bytes":944,"log_lines":0,"log_lines_shown":0}}}`},
		{"result alone, nil logs", sandbox.Result{Value: json.RawMessage(big), Logs: nil},
			`{"result":null,"logs":[],"truncated":true,"stats":{"tool_calls":0,"truncated":{"result_bytes":3014,"result_shown_bytes":944,"log_lines":0,"log_lines_shown":0}}}`},
		{"logs alone", sandbox.Result{Value: json.RawMessage(`[1]`), Logs: lines(40)},
			`{"result":[1],"logs":[` + strings.Repeat(`"`+strings.Repeat("l", 49)+`",`, 18) + `"… [console output truncated: 22 more lines, 2000 bytes in total]"],"truncated":true,"stats":{"tool_calls":0,"truncated":{"result_bytes":7,"result_shown_bytes":7,"log_lines":40,"log_lines_shown":18}}}`},
		{"an error's message", sandbox.Result{Err: &sandbox.Error{Name: "Error", Message: strings.Repeat("m", 3000)}},
			`{"result":null,"logs":[],"error":{"name":"Error","message":"` + cutMessage + `"},"truncated":true,"stats":{"tool_calls":0,"truncated":{"result_bytes":3007,"result_shown_bytes":944,"log_lines":0,"log_lines_shown":0}}}`},
		{"nothing cut", sandbox.Result{Value: json.RawMessage(`"a<b"`)},
			`{"result":"a<b","logs":[],"stats":{"tool_calls":0}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := Format(tt.res, 1000)
			raw := encode(t, res.StructuredContent)
			if err := schema.Validate(decode(t, raw)); err != nil {
				t.Errorf("structuredContent %s does not match the outputSchema: %v", raw, err)
			}
			got := decode(t, raw)
			delete(got.(map[string]any)["stats"].(map[string]any), "duration_ms")
			if diff := cmp.Diff(decode(t, []byte(tt.want)), got); diff != "" {
				t.Errorf("structuredContent (-want +got):\n%s", diff)
			}
			if text := res.Content[0].(mcp.TextContent).Text; len(text) > 1000+len("\n\nConsole output:\n") {
				t.Errorf("text is %d bytes, limit 1000", len(text))
			}
		})
	}
}

func compileOutputSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(executeOutputSchema))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("execute.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("execute.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// encode is the structured content as the client receives it.
func encode(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func decode(t *testing.T, raw []byte) any {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("%s: %v", raw, err)
	}
	return v
}
