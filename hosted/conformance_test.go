package hosted

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"

	"github.com/mcp-codemode/mcp-codemode/config"
	"github.com/mcp-codemode/mcp-codemode/internal/testenv"
	"github.com/mcp-codemode/mcp-codemode/server"
	"github.com/mcp-codemode/mcp-codemode/tools"
	"github.com/mcp-codemode/mcp-codemode/workspace"
)

// TestConformance runs the official MCP conformance suite, every server
// scenario of it, pending ones included (@modelcontextprotocol/conformance,
// pinned in npm/, on the Node 22 of the npm package "node") against the
// hosted streamable HTTP server, with the
// tools, resources and prompts the suite expects added next to execute and
// search_tools. The fixtures exist only here, in a test: the binary never
// serves them. The suite must pass but for the scenarios listed, each with
// its reason, in testdata/conformance-expected-failures.yaml; a listed
// scenario that passes fails the run too, so the list cannot go stale.
func TestConformance(t *testing.T) {
	node := filepath.Join(testenv.Package(t, "node"), "bin", "node")
	suite := filepath.Join(testenv.Package(t, "@modelcontextprotocol/conformance"), "dist", "index.js")
	reg := tools.NewRegistry(tools.Options{Logger: testLogger(t)})
	defer reg.Close()
	if err := reg.Add(workspace.New(nil, workspace.Limits{}).Tools()...); err != nil {
		t.Fatal(err)
	}
	srv := server.New(reg, server.Options{Logger: testLogger(t)})
	addFixtures(srv)
	h, err := New(Options{Server: srv, Registry: reg, Config: config.Codemode{}, Loopback: true, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	ln := loopbackListener(t)
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- h.Serve(ctx, ln, time.Second) }()
	defer func() { stop(); <-served }()

	ctx2, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	results := t.TempDir()
	cmd := exec.CommandContext(ctx2, node, suite, "server", "--url", "http://"+ln.Addr().String()+"/mcp",
		"--expected-failures", "testdata/conformance-expected-failures.yaml", "-o", results, "--suite", "all")
	out, err := cmd.CombinedOutput()
	summary := string(out)
	if i := strings.Index(summary, "=== SUMMARY ==="); i >= 0 {
		summary = summary[i:]
	}
	t.Logf("conformance:\n%s", summary)
	if err != nil {
		t.Errorf("the conformance suite failed (%v); the failed checks:\n%s", err, failedChecks(t, results))
	}
}

// failedChecks lists the checks that failed, from the suite's results.
func failedChecks(t *testing.T, dir string) string {
	files, _ := filepath.Glob(filepath.Join(dir, "*", "checks.json"))
	var out []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Error(err)
			continue
		}
		var checks []struct{ ID, Status, ErrorMessage string }
		_ = json.Unmarshal(data, &checks)
		for _, c := range checks {
			if c.Status != "SUCCESS" {
				out = append(out, fmt.Sprintf("%s: %s: %s", c.ID, c.Status, c.ErrorMessage))
			}
		}
	}
	return strings.Join(out, "\n")
}

// A 1x1 red PNG and a tiny WAV, as the suite asks for "minimal" media.
const (
	redPixel = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
	tinyWAV  = "UklGRiQAAABXQVZFZm10IBAAAAABAAEAQB8AAEAfAAABAAgAZGF0YQAAAAA="
)

// addFixtures adds what the conformance scenarios call by name.
func addFixtures(srv *server.Server) {
	m := srv.MCP()
	mcpserver.WithResourceCapabilities(true, true)(m)
	mcpserver.WithPromptCapabilities(true)(m)
	mcpserver.WithCompletions()(m)
	mcpserver.WithPromptCompletionProvider(completer{})(m)
	mcpserver.WithElicitation()(m)
	m.EnableSampling()
	addContentTools(m)
	addNotifyingTools(srv)
	addClientRequestTools(m)
	addResources(m)
	addPrompts(m)
}

func text(s string) mcpserver.ToolHandlerFunc {
	return func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return mcp.NewToolResultText(s), nil
	}
}

func content(c ...mcp.Content) mcpserver.ToolHandlerFunc {
	return func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return &mcp.CallToolResult{Content: c}, nil
	}
}

func addContentTools(m *mcpserver.MCPServer) {
	m.AddTool(mcp.NewTool("test_simple_text", mcp.WithDescription("Conformance fixture test_simple_text.")), text("This is a simple text response for testing."))
	m.AddTool(mcp.NewTool("test_image_content", mcp.WithDescription("Conformance fixture test_image_content.")), content(mcp.NewImageContent(redPixel, "image/png")))
	m.AddTool(mcp.NewTool("test_audio_content", mcp.WithDescription("Conformance fixture test_audio_content.")), content(mcp.NewAudioContent(tinyWAV, "audio/wav")))
	m.AddTool(mcp.NewTool("test_embedded_resource", mcp.WithDescription("Conformance fixture test_embedded_resource.")), content(mcp.NewEmbeddedResource(mcp.TextResourceContents{
		URI: "test://embedded-resource", MIMEType: "text/plain", Text: "This is an embedded resource content."})))
	m.AddTool(mcp.NewTool("test_multiple_content_types", mcp.WithDescription("Conformance fixture test_multiple_content_types.")), content(
		mcp.NewTextContent("Multiple content types test:"),
		mcp.NewImageContent(redPixel, "image/png"),
		mcp.NewEmbeddedResource(mcp.TextResourceContents{URI: "test://mixed-content-resource",
			MIMEType: "application/json", Text: `{"test":"data","value":123}`})))
	m.AddTool(mcp.NewTool("test_error_handling", mcp.WithDescription("Conformance fixture test_error_handling.")), func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return mcp.NewToolResultError("This tool intentionally returns an error for testing"), nil
	})
	m.AddTool(mcp.NewToolWithRawSchema("json_schema_2020_12_tool", "Tool with JSON Schema 2020-12 features", json.RawMessage(`{
		"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
		"$defs": {"address": {"type": "object", "properties": {"street": {"type": "string"}, "city": {"type": "string"}}}},
		"properties": {"name": {"type": "string"}, "address": {"$ref": "#/$defs/address"}},
		"additionalProperties": false}`)), text("ok"))
}

// addNotifyingTools adds the tools that send progress and log messages,
// through server.Notify so that they go out on the request's own stream.
func addNotifyingTools(srv *server.Server) {
	m := srv.MCP()
	m.AddTool(mcp.NewTool("test_tool_with_logging", mcp.WithDescription("Conformance fixture test_tool_with_logging.")), func(ctx context.Context, _ mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		for i, msg := range []string{"Tool execution started", "Tool processing data", "Tool execution completed"} {
			if i > 0 {
				time.Sleep(50 * time.Millisecond)
			}
			srv.Notify(ctx, "notifications/message", map[string]any{"level": "info", "logger": "conformance", "data": msg})
		}
		return mcp.NewToolResultText("Tool with logging executed successfully"), nil
	})
	m.AddTool(mcp.NewTool("test_tool_with_progress", mcp.WithDescription("Conformance fixture test_tool_with_progress.")), func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		var token mcp.ProgressToken
		if req.Params.Meta != nil {
			token = req.Params.Meta.ProgressToken
		}
		for i, p := range []int{0, 50, 100} {
			if i > 0 {
				time.Sleep(50 * time.Millisecond)
			}
			if token != nil {
				srv.Notify(ctx, "notifications/progress", map[string]any{"progressToken": token, "progress": p, "total": 100})
			}
		}
		return mcp.NewToolResultText("Tool with progress executed successfully"), nil
	})
}

// addClientRequestTools adds the tools that ask the client for sampling
// and elicitation.
func addClientRequestTools(m *mcpserver.MCPServer) {
	m.AddTool(mcp.NewTool("test_sampling", mcp.WithDescription("Conformance fixture test_sampling."), mcp.WithString("prompt", mcp.Required())), func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		r := mcp.CreateMessageRequest{}
		r.CreateMessageParams.Messages = []mcp.SamplingMessage{{Role: mcp.RoleUser, Content: mcp.NewTextContent(req.GetString("prompt", ""))}}
		r.CreateMessageParams.MaxTokens = 100
		//lint:ignore SA1019 the conformance suite still tests sampling (2025-06-18, 2025-11-25)
		res, err := m.RequestSampling(ctx, r)
		if err != nil {
			return mcp.NewToolResultError(err.Error()), nil
		}
		return mcp.NewToolResultText(fmt.Sprintf("LLM response: %v", res.Content)), nil
	})
	elicit := func(message string, schema map[string]any) mcpserver.ToolHandlerFunc {
		return func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			r := mcp.ElicitationRequest{}
			r.Params.Message = req.GetString("message", message)
			r.Params.RequestedSchema = schema
			res, err := m.RequestElicitation(ctx, r)
			if err != nil {
				return mcp.NewToolResultError(err.Error()), nil
			}
			return mcp.NewToolResultText(fmt.Sprintf("Elicitation completed: action=%s, content=%v", res.Action, res.Content)), nil
		}
	}
	obj := func(props map[string]any, required ...string) map[string]any {
		s := map[string]any{"type": "object", "properties": props}
		if len(required) > 0 {
			s["required"] = required
		}
		return s
	}
	str := func(extra map[string]any) map[string]any { extra["type"] = "string"; return extra }
	m.AddTool(mcp.NewTool("test_elicitation", mcp.WithDescription("Conformance fixture test_elicitation."), mcp.WithString("message", mcp.Required())), elicit("", obj(map[string]any{
		"username": str(map[string]any{"description": "User's response"}),
		"email":    str(map[string]any{"description": "User's email address"}),
	}, "username", "email")))
	m.AddTool(mcp.NewTool("test_elicitation_sep1034_defaults", mcp.WithDescription("Conformance fixture test_elicitation_sep1034_defaults.")), elicit("Please review the defaults", obj(map[string]any{
		"name":     str(map[string]any{"default": "John Doe"}),
		"age":      map[string]any{"type": "integer", "default": 30},
		"score":    map[string]any{"type": "number", "default": 95.5},
		"status":   str(map[string]any{"enum": []string{"active", "inactive", "pending"}, "default": "active"}),
		"verified": map[string]any{"type": "boolean", "default": true},
	})))
	titled := func(pairs ...string) []map[string]any {
		var out []map[string]any
		for i := 0; i < len(pairs); i += 2 {
			out = append(out, map[string]any{"const": pairs[i], "title": pairs[i+1]})
		}
		return out
	}
	m.AddTool(mcp.NewTool("test_elicitation_sep1330_enums", mcp.WithDescription("Conformance fixture test_elicitation_sep1330_enums.")), elicit("Please choose", obj(map[string]any{
		"untitledSingle": str(map[string]any{"enum": []string{"option1", "option2", "option3"}}),
		"titledSingle":   str(map[string]any{"oneOf": titled("value1", "First Option", "value2", "Second Option", "value3", "Third Option")}),
		"legacyEnum":     str(map[string]any{"enum": []string{"opt1", "opt2", "opt3"}, "enumNames": []string{"Option One", "Option Two", "Option Three"}}),
		"untitledMulti":  map[string]any{"type": "array", "items": str(map[string]any{"enum": []string{"option1", "option2", "option3"}})},
		"titledMulti":    map[string]any{"type": "array", "items": map[string]any{"anyOf": titled("value1", "First Choice", "value2", "Second Choice", "value3", "Third Choice")}},
	})))
}

func addResources(m *mcpserver.MCPServer) {
	res := func(uri, name, desc, mime string, contents mcp.ResourceContents) {
		m.AddResource(mcp.NewResource(uri, name, mcp.WithResourceDescription(desc), mcp.WithMIMEType(mime)),
			func(context.Context, mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
				return []mcp.ResourceContents{contents}, nil
			})
	}
	res("test://static-text", "Static text", "A static text resource", "text/plain",
		mcp.TextResourceContents{URI: "test://static-text", MIMEType: "text/plain", Text: "This is the content of the static text resource."})
	res("test://static-binary", "Static binary", "A static binary resource", "image/png",
		mcp.BlobResourceContents{URI: "test://static-binary", MIMEType: "image/png", Blob: redPixel})
	res("test://watched-resource", "Watched", "A resource to subscribe to", "text/plain",
		mcp.TextResourceContents{URI: "test://watched-resource", MIMEType: "text/plain", Text: "watched"})
	m.AddResourceTemplate(mcp.NewResourceTemplate("test://template/{id}/data", "Template",
		mcp.WithTemplateDescription("Data by id"), mcp.WithTemplateMIMEType("application/json")),
		func(_ context.Context, req mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
			id := strings.TrimSuffix(strings.TrimPrefix(req.Params.URI, "test://template/"), "/data")
			data, _ := json.Marshal(map[string]any{"id": id, "templateTest": true, "data": "Data for ID: " + id})
			return []mcp.ResourceContents{mcp.TextResourceContents{URI: req.Params.URI, MIMEType: "application/json", Text: string(data)}}, nil
		})
}

func addPrompts(m *mcpserver.MCPServer) {
	msgs := func(desc string, c ...mcp.Content) *mcp.GetPromptResult {
		var out []mcp.PromptMessage
		for _, x := range c {
			out = append(out, mcp.NewPromptMessage(mcp.RoleUser, x))
		}
		return mcp.NewGetPromptResult(desc, out)
	}
	m.AddPrompt(mcp.NewPrompt("test_simple_prompt", mcp.WithPromptDescription("A simple prompt")),
		func(context.Context, mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {
			return msgs("simple", mcp.NewTextContent("This is a simple prompt for testing.")), nil
		})
	m.AddPrompt(mcp.NewPrompt("test_prompt_with_arguments", mcp.WithPromptDescription("A prompt with arguments"),
		mcp.WithArgument("arg1", mcp.RequiredArgument(), mcp.ArgumentDescription("First test argument")),
		mcp.WithArgument("arg2", mcp.RequiredArgument(), mcp.ArgumentDescription("Second test argument"))),
		func(_ context.Context, req mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {
			a := req.Params.Arguments
			return msgs("with args", mcp.NewTextContent(fmt.Sprintf("Prompt with arguments: arg1='%s', arg2='%s'", a["arg1"], a["arg2"]))), nil
		})
	m.AddPrompt(mcp.NewPrompt("test_prompt_with_embedded_resource", mcp.WithPromptDescription("A prompt with a resource"),
		mcp.WithArgument("resourceUri", mcp.RequiredArgument(), mcp.ArgumentDescription("URI of the resource to embed"))),
		func(_ context.Context, req mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {
			return msgs("embedded", mcp.NewEmbeddedResource(mcp.TextResourceContents{URI: req.Params.Arguments["resourceUri"],
				MIMEType: "text/plain", Text: "Embedded resource content for testing."}),
				mcp.NewTextContent("Please process the embedded resource above.")), nil
		})
	m.AddPrompt(mcp.NewPrompt("test_prompt_with_image", mcp.WithPromptDescription("A prompt with an image")),
		func(context.Context, mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {
			return msgs("image", mcp.NewImageContent(redPixel, "image/png"), mcp.NewTextContent("Please analyze the image above.")), nil
		})
}

type completer struct{}

func (completer) CompletePromptArgument(_ context.Context, _ string, arg mcp.CompleteArgument, _ mcp.CompleteContext) (*mcp.Completion, error) {
	var out []string
	for _, v := range []string{"paris", "park", "party"} {
		if strings.HasPrefix(v, arg.Value) {
			out = append(out, v)
		}
	}
	return &mcp.Completion{Values: out}, nil
}
