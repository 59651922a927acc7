// Package hosted is the HTTP surface of mcp-codemode: streamable HTTP at
// /mcp or SSE at /sse and /message, made safe to expose and able to hold
// load. It authenticates every MCP request, binds sessions to who opened
// them, caps request bodies, checks Host and Origin, cancels what clients
// cancel, and serves /healthz, /readyz and Prometheus /metrics.
//
//	metrics := hosted.NewMetrics()
//	srv := server.New(reg, server.Options{Limits: cfg.Codemode, Observer: metrics})
//	h, err := hosted.New(hosted.Options{Server: srv, Registry: reg, Transport: "http",
//		Config: cfg.Codemode, Metrics: metrics})
//	err = h.Serve(ctx, listener, 30*time.Second)
//
// # Who is asking
//
// With codemode.auth set, every request but /healthz, /readyz and the
// protected-resource metadata needs "Authorization: Bearer TOKEN": one of
// auth.tokens (compared as SHA-256 digests, in constant time) or a JWT that
// auth.jwt's key set signed, for its issuer and audience. The token names a
// subject ("token:" and the start of the token's digest, the name given in
// a token file, or "jwt:" and the JWT's sub). The subject travels in the
// request's context (tools.WithSubject): the workspace keeps each subject's
// files apart, and a session answers only to the subject that opened it.
// The Authorization header is removed once checked; nothing of it reaches
// an upstream. Without codemode.auth every request is the subject "".
//
// # What each request goes through
//
// Request id and logging, Host and Origin (403), authentication (401),
// then for the MCP endpoints: the body cap (413), the bytes of bodies that
// one subject's and all requests in flight may hold (4 and 32 times the
// cap; 429), MCP-Protocol-Version (400) and the session (404 for one that
// is unknown, expired or another subject's; 429 with Retry-After when
// opening one would pass codemode.max_sessions_per_subject or
// codemode.max_sessions). An initialize is capped at 64 KiB and rewritten
// to what a session keeps.
//
// Streamable HTTP is mcp-go's transport; this package gives each POST its
// own Stream, so progress reaches the client on that POST, before its
// response, and answers notifications/cancelled itself, so a cancelled
// request is interrupted and its POST ends without a response (mcp-go
// would cancel it but still send one). A dropped connection cancels
// a request only on protocol version 2026-07-28 and later: before, the
// spec says it is not a cancel. SSE runs on server.Conn, which keeps the
// same promises; the end of its stream ends the session and its requests.
//
// A JSON-RPC batch (a POST whose body is an array) is taken on a session
// of protocol version 2025-03-26, the one revision that has them: each of
// its messages (at most 64) goes through the same handling as one posted
// alone, requests at once, and the answers come back as one JSON array in
// the order of the requests (202 when none asks for one; on SSE, on the
// stream). On other revisions a batch is refused 400, saying so.
//
// # Concurrency and shutdown
//
// Handler is safe for concurrent use. /readyz is 200 from start until
// shutdown, whatever the upstreams do after start (a script can make one
// exit: no tenant may take the replica out of rotation). Serve stops on
// ctx: /readyz turns 503, new MCP requests are refused with 503, standalone streams end, and
// requests in flight get the grace period to finish before their contexts
// are cancelled.
package hosted
