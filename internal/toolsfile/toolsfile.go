// Package toolsfile reads a tools/list result file: {"tools": [...]} as an
// MCP client receives it from a server. `mcp-codemode types --tools FILE`
// declares a server from one (package tools), and the corpora of typegen,
// learn and the benchmark are such files.
//
//	list, err := toolsfile.Read("testdata/memory.tools.json")
//	names := list.Names() // "create_entities", …
//
// It imports only the standard library, so tools, typegen (whose tests
// read the corpus), learn and bench can all use it without a cycle and
// typegen's tests stay free of MCP. That is why [Tool.Annotations] is raw:
// package tools decodes it into mcp-go's ToolAnnotation.
package toolsfile

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
)

// List is a tools/list result.
type List struct {
	Tools []Tool `json:"tools"`
}

// Tool is one tool of a [List], with its schemas and annotations as they
// are in the file.
type Tool struct {
	Name         string          `json:"name"`
	Title        string          `json:"title"`
	Description  string          `json:"description"`
	InputSchema  json.RawMessage `json:"inputSchema"`
	OutputSchema json.RawMessage `json:"outputSchema"`
	Annotations  json.RawMessage `json:"annotations"`
}

// Parse reads data as a tools/list result. A result without a "tools"
// array is an error, an empty array is not.
func Parse(data []byte) (List, error) {
	var l List
	if err := json.Unmarshal(data, &l); err != nil {
		return List{}, fmt.Errorf(`not a tools/list result ({"tools": [...]}): %w`, err)
	}
	if l.Tools == nil {
		return List{}, errors.New(`not a tools/list result: no "tools" array`)
	}
	return l, nil
}

// Read parses the file at path; its errors name the path.
func Read(path string) (List, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return List{}, err
	}
	l, err := Parse(data)
	if err != nil {
		return List{}, fmt.Errorf("%s: %w", path, err)
	}
	return l, nil
}

// Names is the tools' names, in the file's order.
func (l List) Names() []string {
	out := make([]string, len(l.Tools))
	for i, t := range l.Tools {
		out[i] = t.Name
	}
	return out
}
