package tools

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mark3labs/mcp-go/mcp"
)

func TestUnwrap(t *testing.T) {
	img := mcp.NewImageContent("aGk=", "image/png")
	tests := []struct {
		name    string
		res     *mcp.CallToolResult
		want    string // JSON
		wantErr string // ToolError message
	}{
		{"nil result", nil, `null`, ""},
		{"no content", &mcp.CallToolResult{}, `null`, ""},
		{"text JSON object", mcp.NewToolResultText(`{"a":1}`), `{"a":1}`, ""},
		{"text JSON with spaces", mcp.NewToolResultText(" 42\n"), `42`, ""},
		{"plain text", mcp.NewToolResultText("hello"), `"hello"`, ""},
		{"empty text", mcp.NewToolResultText(""), `""`, ""},
		{"texts joined then parsed", &mcp.CallToolResult{Content: []mcp.Content{
			mcp.NewTextContent("[1,"), mcp.NewTextContent("2]")}}, "[1,\n2]", ""},
		{"texts joined as a string", &mcp.CallToolResult{Content: []mcp.Content{
			mcp.NewTextContent("a"), &mcp.TextContent{Type: "text", Text: "b"}}}, `"a\nb"`, ""},
		{"structured wins over text", mcp.NewToolResultStructured(map[string]int{"n": 1}, "n is 1"), `{"n":1}`, ""},
		{"raw structured from the wire", &mcp.CallToolResult{Content: []mcp.Content{mcp.NewTextContent("x")},
			RawStructuredContent: json.RawMessage(`{"z":1,"a":2}`)}, `{"z":1,"a":2}`, ""},
		{"image", &mcp.CallToolResult{Content: []mcp.Content{img}},
			`[{"type":"image","data":"aGk=","mimeType":"image/png"}]`, ""},
		{"mixed", &mcp.CallToolResult{Content: []mcp.Content{mcp.NewTextContent("see"), img}},
			`[{"type":"text","text":"see"},{"type":"image","data":"aGk=","mimeType":"image/png"}]`, ""},
		{"error text", mcp.NewToolResultError("boom"), ``, "boom"},
		{"error texts joined", &mcp.CallToolResult{IsError: true, Content: []mcp.Content{
			mcp.NewTextContent("bad"), mcp.NewTextContent("worse")}}, ``, "bad\nworse"},
		{"error without text", &mcp.CallToolResult{IsError: true}, ``, "the tool reported an error without a message"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, te, err := unwrap(tt.res)
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantErr != "" {
				if te == nil || te.Message != tt.wantErr {
					t.Fatalf("ToolError = %+v, want message %q", te, tt.wantErr)
				}
				return
			}
			if te != nil {
				t.Fatalf("unexpected ToolError %q", te.Message)
			}
			if diff := cmp.Diff(tt.want, string(got)); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
}

// TestTextValueSkipsOnlyNonJSON: textValue, which checks only text whose
// first byte may start JSON, gives what checking every text gave.
func TestTextValueSkipsOnlyNonJSON(t *testing.T) {
	checkAll := func(text string) json.RawMessage {
		trimmed := bytes.TrimSpace([]byte(text))
		if len(trimmed) > 0 && json.Valid(trimmed) {
			return trimmed
		}
		return jsonString(text)
	}
	for _, text := range []string{
		"", " ", "plain text", "line 0: the quick\nbrown fox", ` {"a": [1, 2]} `, "[1,2]", `"quoted"`,
		"-12.5", "0", "true", "false", "null", "nul", "tru", "{not json", "\u00a0[1]\u00a0", "\t\n42\r\n",
		"<b>&amp;</b>", "é☃ 😀", "\xff invalid", strings.Repeat("x", 70000),
	} {
		if got, want := textValue(text), checkAll(text); !bytes.Equal(got, want) {
			t.Errorf("textValue(%.40q) = %.60s, want %.60s", text, got, want)
		}
	}
}
