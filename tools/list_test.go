package tools

import (
	"context"
	"encoding/json"
	"os"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
)

func TestFromList(t *testing.T) {
	data, err := os.ReadFile("testdata/memory.tools.json")
	if err != nil {
		t.Fatal(err)
	}
	h := func(context.Context, json.RawMessage) (*mcp.CallToolResult, error) { return nil, nil }
	list, err := FromList("kg", data, h)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 9 || list[0].Server != "kg" || list[0].Name != "create_entities" || len(list[0].OutputSchema) == 0 || list[0].Handler == nil {
		t.Errorf("FromList = %d tools, first %+v", len(list), list[0])
	}
	if a := list[0].Annotations; list[0].Title != "Create Entities" || a.ReadOnlyHint == nil || *a.ReadOnlyHint || a.OpenWorldHint == nil {
		t.Errorf("create_entities: title %q, annotations %+v; want the file's", list[0].Title, a)
	}
	for _, bad := range []string{`[]`, `{"result": 1}`, `{`, `{"tools": [{"name": "x", "annotations": "y"}]}`} {
		if _, err := FromList("x", []byte(bad), h); err == nil {
			t.Errorf("FromList(%s) gave no error", bad)
		}
	}
}
