package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestMediaAndNames drives the built binary with the official TypeScript
// SDK client and the reference "everything" server (issue 20.12, 20.13):
// a screenshot-like image comes back as an MCP image block, not as base64
// text, and codemode.describe takes the upstream's own tool name.
func TestMediaAndNames(t *testing.T) {
	ups := upstreams(t)
	c := startSDK(t, writeConfig(t, map[string]any{"everything": ups["everything"]}, nil))
	raw := c.do(t, map[string]any{"op": "call", "name": "execute", "arguments": map[string]any{
		"code": `const r = await everything.get_tiny_image({}); return { caption: r[0].text, image: r[1] }`}})
	var res struct {
		Content []struct {
			Type     string `json:"type"`
			Text     string `json:"text"`
			Data     string `json:"data"`
			MimeType string `json:"mimeType"`
		} `json:"content"`
		IsError bool `json:"isError"`
	}
	if err := json.Unmarshal(raw, &res); err != nil {
		t.Fatal(err)
	}
	if res.IsError || len(res.Content) != 2 {
		t.Fatalf("want text and image content, got %s", raw)
	}
	text, img := res.Content[0], res.Content[1]
	if text.Type != "text" || !strings.Contains(text.Text, `"type": "image"`) || !strings.Contains(text.Text, `"bytes": `) || strings.Contains(text.Text, "iVBORw0KGgo") {
		t.Errorf("text should show the image's size, not its base64:\n%s", text.Text)
	}
	if img.Type != "image" || img.MimeType != "image/png" || !strings.HasPrefix(img.Data, "iVBORw0KGgo") {
		t.Errorf("content[1] = %s %s %.20s, want the PNG as image content", img.Type, img.MimeType, img.Data)
	}

	r := c.execute(t, `return await codemode.describe("everything.get-tiny-image")`)
	if r.IsError || !strings.Contains(r.text(), "get_tiny_image(") || !strings.Contains(r.text(), `(tool \"get-tiny-image\")`) {
		t.Errorf("describe by the upstream's name:\n%s", r.text())
	}
}
