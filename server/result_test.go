package server

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/mcp-codemode/mcp-codemode/config"
	"github.com/mcp-codemode/mcp-codemode/sandbox"
	"github.com/mcp-codemode/mcp-codemode/tools"
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

// TestMediaContent: images and audio a tool returns leave the script's
// result for MCP content blocks after the text, replaced in the JSON by
// their size; base64 never counts against max_output_bytes, and what
// passes codemode.max_media_bytes is left out, saying so (issue 20.13).
func TestMediaContent(t *testing.T) {
	png := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0x89, 'P', 'N', 'G'}, 10_000)) // 40,000 bytes
	wav := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte("RIFF"), 2_500))               // 10,000 bytes
	reg := tools.NewRegistry(tools.Options{})
	must(t, reg.Add(
		tools.NewTool("browser", "screenshot", "", nil, func(context.Context, json.RawMessage) (*mcp.CallToolResult, error) {
			return &mcp.CallToolResult{Content: []mcp.Content{mcp.NewTextContent("shot"), mcp.NewImageContent(png, "image/png")}}, nil
		}),
		tools.NewTool("browser", "record", "", nil, func(context.Context, json.RawMessage) (*mcp.CallToolResult, error) {
			return &mcp.CallToolResult{Content: []mcp.Content{mcp.NewAudioContent(wav, "audio/wav")}}, nil
		}),
	))
	srv := New(reg, Options{Limits: config.Codemode{MaxOutputBytes: 2000, MaxMediaBytes: 60_000}})
	res := executeResult(t, srv, `const [shot, sound] = await Promise.all([browser.screenshot(), browser.record()]);
const again = await browser.screenshot();
return { shot: shot[1], sound: sound[0], again: again[1], caption: shot[0].text }`)
	if res.IsError || len(res.Content) != 3 {
		t.Fatalf("isError %v, %d content blocks; want 3: %+v", res.IsError, len(res.Content), res.Content)
	}
	text := res.Content[0].(mcp.TextContent).Text
	want := `{
  "again": {
    "bytes": 40000,
    "mimeType": "image/png",
    "type": "image"
  },
  "caption": "shot",
  "shot": {
    "bytes": 40000,
    "mimeType": "image/png",
    "omitted": "the image is not sent: the images and audio of one result are limited to 60000 bytes in all (codemode.max_media_bytes), 20000 were left",
    "type": "image"
  },
  "sound": {
    "bytes": 10000,
    "mimeType": "audio/wav",
    "type": "audio"
  }
}`
	if diff := cmp.Diff(want, text); diff != "" {
		t.Errorf("text (-want +got):\n%s", diff)
	}
	if img, ok := res.Content[1].(mcp.ImageContent); !ok || img.Data != png || img.MIMEType != "image/png" {
		t.Errorf("content[1] = %T, want the screenshot as image content", res.Content[1])
	}
	if a, ok := res.Content[2].(mcp.AudioContent); !ok || a.Data != wav || a.MIMEType != "audio/wav" {
		t.Errorf("content[2] = %T, want the recording as audio content", res.Content[2])
	}
	if st := encode(t, res.StructuredContent); bytes.Contains(st, []byte(png[:100])) || bytes.Contains(st, []byte(`"truncated"`)) {
		t.Errorf("structuredContent holds base64 or was truncated: %.300s", st)
	}
}

func executeResult(t *testing.T, srv *Server, code string) *mcp.CallToolResult {
	t.Helper()
	req := mcp.CallToolRequest{}
	req.Params.Name = "execute"
	req.Params.Arguments = map[string]any{"code": code}
	res, err := srv.handleExecute(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestMediaBlocksBounded: empty images cost no bytes, so their number is
// bounded too.
func TestMediaBlocksBounded(t *testing.T) {
	items := make([]string, 150)
	for i := range items {
		items[i] = `{"type":"image","mimeType":"image/png","data":""}`
	}
	res := Format(sandbox.Result{Value: json.RawMessage("[" + strings.Join(items, ",") + "]")}, 1<<20)
	if len(res.Content) != 1+maxMediaBlocks {
		t.Errorf("%d content blocks, want %d", len(res.Content), 1+maxMediaBlocks)
	}
	if text := res.Content[0].(mcp.TextContent).Text; strings.Count(text, "one result sends at most 100 images and audio") != 50 {
		t.Errorf("the text does not mark the 50 left out:\n%.500s", text)
	}
}

// TestPrettyHeadMatchesIndent: prettyHead is json.Indent's text, whole
// when it fits the limit, else its first limit+1 bytes with the size of
// the whole, for values of every kind, white space in and around them,
// and invalid JSON.
func TestPrettyHeadMatchesIndent(t *testing.T) {
	values := []string{`null`, `""`, `[]`, `{}`, `[[],{}]`, `{"a":[1,2,{"b":"c, d: [e]"}],"e":{}}`,
		` { "a" : [ 1 , "x\"y\\\\" ] } `, `"a \"quoted\" string"`, `12.5e3`, `[true,false,null]`,
		`{"é":"😀","k":[{"x":[[[]]]}]}`, `{"a":`, `[1,2`, `not json`}
	var big strings.Builder
	big.WriteString("[")
	for i := range 200 {
		if i > 0 {
			big.WriteString(",")
		}
		fmt.Fprintf(&big, `{"id":%d,"name":"item %d","tags":["a","b"],"nested":{"x":[]}}`, i, i)
	}
	big.WriteString("]")
	values = append(values, big.String())
	for _, v := range values {
		whole := prettyJSON(json.RawMessage(v))
		for _, limit := range []int{0, 1, 7, 40, 200, len(whole) - 1, len(whole), len(whole) + 1, 1 << 20} {
			head, size := prettyHead(json.RawMessage(v), limit)
			if size != len(whole) {
				t.Errorf("%.40s, limit %d: size %d, want %d", v, limit, size, len(whole))
			}
			want := whole
			if len(whole) > limit {
				want = whole[:limit+1]
				if !json.Valid([]byte(v)) || len(v) <= limit/2 {
					want = whole // left whole: prettyJSON's own way
				}
			}
			if head != want {
				t.Errorf("%.40s, limit %d:\n got %q\nwant %q", v, limit, head, want)
			}
		}
	}
}
