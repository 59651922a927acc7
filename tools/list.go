package tools

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/mark3labs/mcp-go/mcp"
)

// FromList reads a tools/list result ({"tools": [...]}, as an MCP client
// receives it) as tools of namespace server, each with handler h. It is how
// `mcp-codemode types --tools FILE` declares a server without connecting.
func FromList(server string, data []byte, h Handler) ([]Tool, error) {
	var list struct {
		Tools []struct {
			Name         string             `json:"name"`
			Title        string             `json:"title"`
			Description  string             `json:"description"`
			InputSchema  json.RawMessage    `json:"inputSchema"`
			OutputSchema json.RawMessage    `json:"outputSchema"`
			Annotations  mcp.ToolAnnotation `json:"annotations"`
		} `json:"tools"`
	}
	if err := json.Unmarshal(data, &list); err != nil {
		return nil, fmt.Errorf(`not a tools/list result ({"tools": [...]}): %v`, err)
	}
	if list.Tools == nil {
		return nil, errors.New(`not a tools/list result: no "tools" array`)
	}
	out := make([]Tool, 0, len(list.Tools))
	for _, t := range list.Tools {
		out = append(out, Tool{
			Server: server, Name: t.Name, Title: t.Title, Description: t.Description,
			InputSchema: t.InputSchema, OutputSchema: t.OutputSchema, Annotations: t.Annotations,
			Handler: h,
		})
	}
	return out, nil
}
