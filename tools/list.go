package tools

import (
	"encoding/json"
	"fmt"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcp-codemode/mcp-codemode/internal/toolsfile"
)

// FromList reads a tools/list result ({"tools": [...]}, as an MCP client
// receives it) as tools of namespace server, each with handler h. It is how
// `mcp-codemode types --tools FILE` declares a server without connecting.
func FromList(server string, data []byte, h Handler) ([]Tool, error) {
	list, err := toolsfile.Parse(data)
	if err != nil {
		return nil, err
	}
	out := make([]Tool, 0, len(list.Tools))
	for _, t := range list.Tools {
		var a mcp.ToolAnnotation
		if len(t.Annotations) > 0 {
			if err := json.Unmarshal(t.Annotations, &a); err != nil {
				return nil, fmt.Errorf("not a tools/list result: tool %q: annotations: %w", t.Name, err)
			}
		}
		out = append(out, Tool{
			Server: server, Name: t.Name, Title: t.Title, Description: t.Description,
			InputSchema: t.InputSchema, OutputSchema: t.OutputSchema, Annotations: a,
			Handler: h,
		})
	}
	return out, nil
}
