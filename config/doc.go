// Package config loads mcp-codemode's configuration file: a superset of
// Claude Desktop's claude_desktop_config.json, so a user can point --config
// at that file as it is.
//
//	cfg, err := config.Load("claude_desktop_config.json", os.LookupEnv)
//	if err != nil {
//		// err names the file, the key and the fix; exit status 2.
//	}
//	for _, s := range cfg.Servers { ... }
//
// # What is accepted
//
// mcpServers entries with "command" (stdio) or "url" (streamable HTTP, or SSE
// with "type": "sse"), or "type": "openapi" with "spec" (a REST API); unknown
// keys inside an entry and unknown top-level keys are ignored, because other
// MCP hosts write their own. Unknown keys inside
// "codemode" are an error: they are almost always typos of a limit.
//
// # Variables and secrets
//
// ${VAR} in env, headers, url, args, auth.tokens and inject_headers is
// expanded at load time, never to an empty string. A missing variable in a
// server entry leaves that server out (Config.Unavailable, with an error
// naming the variable) and the others work; under "codemode" it is an
// error. Every expanded value is collected in Config.Secrets so that
// the tools layer can scrub it from anything the model sees.
package config
