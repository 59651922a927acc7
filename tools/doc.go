// Package tools is the registry of everything a code-mode script can call:
// built-in Go tools and the tools of the user's upstream MCP servers (the
// mcpServers entries of a Claude Desktop configuration), behind one Tool
// type and one Call path.
//
// The registry names each tool for JavaScript (typegen.NamespaceNames and
// typegen.MethodNames), hands the declarations' input to typegen
// (Namespaces), ranks tools for search_tools (Search), and performs calls:
// it validates the arguments against the tool's inputSchema, calls the tool,
// unwraps the MCP result into the value the script receives, and scrubs
// secrets from it.
//
//	reg := tools.NewRegistry(tools.Options{Secrets: cfg.Secrets})
//	defer reg.Close()
//	_ = reg.Add(workspace.New(nil, workspace.Limits{}).Tools()...)
//	for _, st := range reg.Connect(ctx, cfg.Servers) {
//		if st.Err != nil {
//			log.Printf("%s: %v", st.Server, st.Err) // retried in the background; the others work
//		}
//	}
//	decls := typegen.Declarations(reg.Namespaces(), typegen.Options{})
//	e, _ := reg.Lookup(id)                                    // e.Path() == "memory.read_graph"
//	out, err := reg.Call(ctx, e.ID, json.RawMessage(`{}`)) // *Registry is a sandbox.Caller
//
// # Results and errors
//
// Call returns the unwrapped result (README: What the model sees): structuredContent when the
// tool sent it; otherwise its text, parsed when it is JSON; otherwise the
// raw content array. Errors are typed, each with the JS error name the
// sandbox throws (ErrorName):
//
//   - *ArgumentError (TypeError): the arguments break the inputSchema; the
//     tool was not called. "memory.create_entities: entities[0].name: required".
//   - *ToolError (ToolError): the tool returned isError; the message is its text.
//   - *UpstreamError (UpstreamError): the server is down, restarting, timed
//     out or broke the protocol; the message says which and what happens next.
//   - *StoreError (StoreError): a built-in tool's database failed (the
//     workspace's, while PostgreSQL is down); the same call may work later.
//   - *UnknownToolError: an id the registry does not hold.
//
// A schema is compiled once, when its tool is added or listed. A schema that
// does not compile (servers publish sloppy ones) is logged once and not
// enforced. References are resolved inside the schema only; nothing is read
// from disk or the network.
//
// # Concurrency
//
// A Registry is safe for concurrent use. Readers (Entries, Lookup, Call,
// Search, Namespaces, Version) load an immutable snapshot without locking;
// Add, Connect and upstream restarts build and publish a new snapshot, and
// Version changes with it. Calls to one upstream run concurrently over its
// one connection: mcp-go matches responses to requests by id. Built-in
// handlers run on the caller's goroutine and must be safe for concurrent
// calls. A panicking handler is recovered in Call and becomes a ToolError.
// Goroutines the package starts: one per server while it is not up (its
// first attempt to connect, then the retries), mcp-go's readers per
// connection (and the listening GET stream of streamable HTTP), and one
// re-listing the tools when a server sends notifications/tools/list_changed.
//
// OnChange hooks run on a goroutine of their own after each new snapshot.
//
// # Built-in tools
//
// Built-in tools are Tools with a Go handler, added like any other: the
// workspace's file tools come from package workspace, which imports this
// one; the registry knows nothing of them but their namespace and
// annotations. Handlers read the caller's subject with Subject.
//
// # Search and pinning
//
// Search ranks a snapshot's tools with package search (a document of each
// tool, an index built once per snapshot); SearchWith adds entries the
// registry does not hold (a subject's snippets) as documents layered on it. The first definition seen of each upstream tool is
// pinned (pin.go); a changed definition is logged, and refused with
// Options.PinToolDefinitions. Options.Pins keeps the pins across restarts:
// StorePins keeps them in the store's pins table, shared by every replica.
//
// # Upstreams, restarts and backoff
//
// Start registers every server and connects them in the background, at
// once; Connect does the same and waits for the first attempts, each
// bounded by the server's timeout and ctx. A server that fails is reported
// in its Status, listed by Unavailable with why, and retried in the
// background (1 s, doubling to 60 s, ±20 %) until it comes up; its tools
// are added then. LeaveOut registers an entry the configuration refused. The
// client pins the legacy protocol (2025-11-25) so that start-up does not
// wait on a server/discover probe that older servers never answer. A stdio
// server runs with our environment plus its entry's env, in its cwd; its
// stdout carries only the protocol and its stderr is forwarded line by line
// to Options.Stderr, each line prefixed with "[name] " and scrubbed of
// secrets. Nothing is ever written to our stdout.
//
// Each call is bounded by the server's timeout (60 s unless its entry sets
// one); a call that runs out or is cancelled is abandoned and
// notifications/cancelled is sent, on every transport (cancel.go), and the
// server is kept. A connection that breaks (the process exits, the SSE
// stream ends) is dropped and the calls on it fail at once with an
// UpstreamError saying how, for a process its exit status and last stderr
// line. The next call restarts (reconnects) the server; an SSE server is
// reconnected in the background at once, and a call that finds an HTTP
// session gone reconnects and is made again. A stdio server leads its own
// process group, stopped with it. Consecutive failures
// back off: the first retry is immediate, then 0.5 s, 1 s, 2 s ... up to
// 30 s; within the backoff window calls fail fast with an UpstreamError that
// says when the next attempt happens. A successful call resets the count.
// A restart that lists different tools updates the registry.
//
// # Redaction
//
// Every value in Options.Secrets (at least 4 bytes long) is replaced by
// "[redacted]", as package redact finds it (the value and every encoding of
// it a script could undo), in: every result (the output stays valid JSON),
// the messages of ToolError, UpstreamError and ArgumentError, Status.Err,
// the forwarded stderr of upstreams, every string of an upstream's
// instructions and tool definitions (a tool whose name holds a secret is
// left out), and every line logged through Options.Logger, mcp-go's
// transports included. It is not applied to what the causes of errors
// (Unwrap) say.
package tools
