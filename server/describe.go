package server

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcp-codemode/mcp-codemode/config"
	"github.com/mcp-codemode/mcp-codemode/sandbox"
	"github.com/mcp-codemode/mcp-codemode/tools"
)

// instructions is sent to clients at initialization.
const instructions = "Use the execute tool to run TypeScript that calls the available tools; " +
	"its description lists their TypeScript API. Use search_tools to find a tool by what it does."

// executeOutputSchema accepts both the success and the failure shape: MCP
// clients validate structuredContent against it even when isError is true,
// so nothing is required.
const executeOutputSchema = `{
  "type": "object",
  "properties": {
    "result": {"description": "JSON value the code returned (null when it returned nothing, or when it was larger than the output limit: then stats.truncated gives its size and the text shows its start)"},
    "logs": {"type": "array", "items": {"type": "string"}, "description": "console output, one entry per call"},
    "error": {
      "type": "object",
      "properties": {
        "name": {"type": "string"},
        "message": {"type": "string"},
        "line": {"type": "integer"},
        "column": {"type": "integer"}
      },
      "required": ["name", "message"]
    },
    "truncated": {"type": "boolean", "description": "true when result or logs were cut to the output limit (stats.truncated says how much)"},
    "stats": {
      "type": "object",
      "properties": {
        "tool_calls": {"type": "integer"},
        "duration_ms": {"type": "number"},
        "run_id": {"type": "string", "description": "id of the run's record (mcp-codemode runs show ID)"},
        "fetches": {
          "type": "array",
          "description": "each request fetch sent or refused: method, url, rule, status, bytes, duration_ms, error",
          "items": {"type": "object"}
        },
        "truncated": {
          "type": "object",
          "description": "what the output limit cut: bytes of the result's text (its pretty JSON, or the error's text) in all and shown; console lines in all and shown",
          "properties": {
            "result_bytes": {"type": "integer"},
            "result_shown_bytes": {"type": "integer"},
            "log_lines": {"type": "integer"},
            "log_lines_shown": {"type": "integer"}
          }
        }
      }
    }
  }
}`

const executeInputSchema = `{
  "type": "object",
  "properties": {
    "code": {"type": "string", "description": "TypeScript or JavaScript: the body of an async function. Use await; return the result."}
  },
  "required": ["code"],
  "additionalProperties": false
}`

func executeTool(description string) mcp.Tool {
	t := mcp.NewToolWithRawSchema("execute", description, json.RawMessage(executeInputSchema))
	t.RawOutputSchema = json.RawMessage(executeOutputSchema)
	t.Annotations = mcp.ToolAnnotation{Title: "Run code against the tools"}
	return t
}

func searchTool() mcp.Tool {
	return mcp.NewToolWithRawSchema("search_tools",
		"Find tools by what they do. Returns the TypeScript declarations of the best matches, ready to call from execute "+
			"(and, as structured content, their names, namespaces and one-line descriptions).",
		json.RawMessage(`{
  "type": "object",
  "properties": {
    "query": {"type": "string", "description": "what you want to do, in words"},
    "limit": {"type": "integer", "minimum": 1, "maximum": 50, "description": "how many tools to return (default 5)"}
  },
  "required": ["query"],
  "additionalProperties": false
}`))
}

// describe writes the execute tool's description: how to write the code,
// the API, and one example. The API is the declarations of every tool when
// they fit codemode.description_budget_tokens, else a compact index and
// how to discover the rest (discovery.go).
func describe(a *api, limits config.Codemode, network string) string {
	budget := limits.DescriptionBudgetTokens
	if budget <= 0 {
		budget = defaultBudget
	}
	if full := describeFull(a, limits, network); fits(full, budget) {
		return full
	}
	return describeIndex(a, limits, network, budget)
}

// describeFull is the description with every declaration.
func describeFull(a *api, limits config.Codemode, network string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Run TypeScript (or JavaScript) that calls the tools declared below and return its result. "+
		"The code is the body of an async function: use `await`, run independent calls at once with `Promise.all`, "+
		"and `return` a JSON-serialisable value (or end with an expression). "+
		"Tool results are plain values; a failing tool throws an Error (name ToolError) you can catch. "+
		"console.log output is returned too. `codemode.search(query)` finds tools by what they do and "+
		"`codemode.describe(\"ns.tool\")` returns their declarations. "+
		snippetsLine+
		"%s"+
		"Limits: %s and %d tool calls per run.\n\n", networkLine(network), limits.Timeout, limits.MaxToolCalls)
	b.WriteString("```ts\n")
	b.WriteString(unavailableLines(a))
	b.WriteString(a.declarations)
	if !strings.HasSuffix(a.declarations, "\n") {
		b.WriteByte('\n')
	}
	b.WriteString("```\n\nExample:\n```ts\n")
	b.WriteString(example(a.entries))
	b.WriteString("```")
	return b.String()
}

// unavailableLines tells the model, one comment each, which servers'
// tools are missing and why (connecting, failing and retried, or left out
// of the configuration), so that it neither calls them nor concludes that
// they do not exist. Their tools are added, and the description changes,
// when they connect.
func unavailableLines(a *api) string {
	var b strings.Builder
	for _, line := range a.unavailable {
		fmt.Fprintf(&b, "// unavailable: %s\n", line)
	}
	return b.String()
}

// example shows one call, on a tool that exists, or the workspace when it is
// there.
func example(entries []tools.Entry) string {
	for _, e := range entries {
		if e.Server == "workspace" && e.Name == "write_file" {
			return fmt.Sprintf("await %s.write_file({ path: \"notes.txt\", content: \"hello\" });\n"+
				"const files = await %s.list_files({});\nreturn files.length;\n", e.Namespace, e.Namespace)
		}
	}
	if len(entries) == 0 {
		return "return 1 + 1;\n"
	}
	e := entries[0]
	return fmt.Sprintf("const [a, b] = await Promise.all([%s({ /* ... */ }), %s({ /* ... */ })]);\nreturn { a, b };\n", e.Path(), e.Path())
}

// ReservedServerName says what the namespace name already is when an
// upstream may not take it, or "". An upstream named "snippets" would be
// hidden by the saved scripts codemode.describe("snippets") lists and
// search_tools ranks as snippets.NAME.
func ReservedServerName(name string) string {
	if name == snippetNamespace {
		return `the saved scripts' namespace (codemode.describe("snippets"), snippets.NAME in search results)`
	}
	return ""
}

// wholeDescription is the description length codemode.describe allows:
// it shows a tool's description whole, where the declarations in the
// execute description and search results cut it at 500 characters.
const wholeDescription = 1 << 30

// describeMatches are the entries codemode.describe(name) shows: a
// namespace or a tool, named as the declarations name it ("my_srv",
// "my_srv.list_items_2") or as upstream does ("my-srv",
// "my-srv.list-items", or "my_srv.list-items").
func describeMatches(entries []tools.Entry, name string) []tools.Entry {
	var found []tools.Entry
	for _, e := range entries {
		switch name {
		case e.Namespace, e.Server, e.Path(), e.Server + "." + e.Name, e.Namespace + "." + e.Name:
			found = append(found, e)
		}
	}
	return found
}

// nearestNames are the namespaces and tools nearest to name by edit
// distance, nearest first.
func nearestNames(entries []tools.Entry, name string) []string {
	var names []string
	for _, e := range entries {
		names = append(names, e.Namespace, e.Path())
	}
	return sandbox.Closest(name, names, 3)
}

// warnBudget warns when even the most compact description is over
// codemode.description_budget_tokens, naming the smallest budget it fits:
// the model is then sent more than the user asked for (a budget of 300
// gave 493 tokens without a word).
func (s *Server) warnBudget(desc string) {
	budget := s.limits.DescriptionBudgetTokens
	if budget <= 0 {
		budget = defaultBudget
	}
	if fits(desc, budget) {
		return
	}
	tokens := estimateTokens(desc)
	s.log.Warn(fmt.Sprintf("the execute description takes about %d tokens, over codemode.description_budget_tokens (%d) "+
		"even as the most compact index; set it to at least %d", tokens, budget, smallestBudget(tokens)),
		"description_tokens", tokens, "budget", budget)
}

// smallestBudget is the least description_budget_tokens a description of
// tokens fits (see fits).
func smallestBudget(tokens int) int {
	return (tokens*100 + estimateMargin - 1) / estimateMargin
}
