package tools

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/mark3labs/mcp-go/mcp"
)

// Handler runs a built-in tool. args are the arguments as the model passed
// them, already validated against the tool's InputSchema. The result goes
// through the same unwrapping as an upstream result (README: What the model sees): build it with
// mcp.NewToolResultStructured, mcp.NewToolResultText or
// mcp.NewToolResultError. A returned error becomes a *ToolError the script can
// catch, unless it already is one of this package's error types.
type Handler func(ctx context.Context, args json.RawMessage) (*mcp.CallToolResult, error)

// Tool is one callable tool, built-in or upstream.
type Tool struct {
	Server       string          // namespace as configured ("memory", "workspace")
	Name         string          // the tool's own name as its server knows it
	Title        string          // optional display title the server gave
	Description  string          //
	InputSchema  json.RawMessage // JSON Schema; nil means {"type":"object"}
	OutputSchema json.RawMessage // may be nil
	Annotations  mcp.ToolAnnotation
	Handler      Handler // for built-in tools; upstream tools get theirs from the registry
}

// Entry is a tool as the model sees it.
type Entry struct {
	Tool
	ID        string // stable opaque id used by Call: server and name joined by a NUL
	Namespace string // JS global identifier
	Method    string // JS method identifier within Namespace
}

// Path is the name the model writes: "memory.create_entities".
func (e Entry) Path() string { return e.Namespace + "." + e.Method }

// toolID is the id of a tool: stable across restarts and renames of the
// JS identifiers, and never a valid identifier itself.
func toolID(server, name string) string { return server + "\x00" + name }

// inputSchema returns the tool's input schema, defaulting to an object.
func (t *Tool) inputSchema() json.RawMessage {
	if len(t.InputSchema) == 0 {
		return json.RawMessage(`{"type":"object"}`)
	}
	return t.InputSchema
}

// NewTool returns a built-in tool with a hand-written input schema (nil
// means any object).
func NewTool(server, name, description string, inputSchema json.RawMessage, h Handler) Tool {
	return Tool{Server: server, Name: name, Description: description, InputSchema: inputSchema, Handler: h}
}

// Func returns a built-in tool whose schemas are derived from In and Out
// (struct field tags as in mcp-go: json, jsonschema, jsonschema_description).
// fn's result is returned as structured content; its error becomes a
// ToolError carrying the error's text.
func Func[In, Out any](server, name, description string, fn func(ctx context.Context, in In) (Out, error)) (Tool, error) {
	in, err := mcp.SchemaForRaw[In]()
	if err != nil {
		return Tool{}, fmt.Errorf("tool %s.%s: input schema: %w", server, name, err)
	}
	out, err := mcp.SchemaForRaw[Out]()
	if err != nil {
		return Tool{}, fmt.Errorf("tool %s.%s: output schema: %w", server, name, err)
	}
	t := NewTool(server, name, description, in, funcHandler(fn))
	t.OutputSchema = out
	return t, nil
}

// MustFunc is Func for package-level tool definitions: it panics when a
// schema cannot be derived, which is a programming error.
func MustFunc[In, Out any](server, name, description string, fn func(ctx context.Context, in In) (Out, error)) Tool {
	t, err := Func(server, name, description, fn)
	if err != nil {
		panic(err)
	}
	return t
}

func funcHandler[In, Out any](fn func(ctx context.Context, in In) (Out, error)) Handler {
	return func(ctx context.Context, args json.RawMessage) (*mcp.CallToolResult, error) {
		var in In
		if err := json.Unmarshal(args, &in); err != nil {
			return mcp.NewToolResultError("invalid arguments: " + err.Error()), nil
		}
		out, err := fn(ctx, in)
		if err != nil {
			return mcp.NewToolResultError(err.Error()), nil
		}
		text, err := json.Marshal(out)
		if err != nil {
			return nil, fmt.Errorf("encoding result: %w", err)
		}
		return mcp.NewToolResultStructured(json.RawMessage(text), string(text)), nil
	}
}
