package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcp-codemode/mcp-codemode/tools"
)

// toolsFromList reads a tools/list result ({"tools": [...]}) as tools of
// namespace ns. They are for declaring only: calling one is an error.
func toolsFromList(ns string, data []byte) ([]tools.Tool, error) {
	var list struct {
		Tools []struct {
			Name         string             `json:"name"`
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
	out := make([]tools.Tool, 0, len(list.Tools))
	for _, t := range list.Tools {
		out = append(out, tools.Tool{
			Server: ns, Name: t.Name, Description: t.Description,
			InputSchema: t.InputSchema, OutputSchema: t.OutputSchema, Annotations: t.Annotations,
			Handler: notConnected,
		})
	}
	return out, nil
}

func notConnected(context.Context, json.RawMessage) (*mcp.CallToolResult, error) {
	return nil, errors.New("this tool was read from a tools/list file and is not connected")
}
