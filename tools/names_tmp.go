package tools

import "encoding/json"

// Stand-ins for typegen.Namespace and typegen.Tool until typegen exports
// them; this file goes once it does.
type (
	tgNamespace struct {
		Name, Description string
		Tools             []tgTool
	}
	tgTool struct {
		Name, Description         string
		InputSchema, OutputSchema json.RawMessage
	}
)
