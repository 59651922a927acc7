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
// # Several replicas
//
// With Options.Store, replicas that share one database serve the same
// clients without sticky sessions (replicas.go has the design):
//
//   - A legacy session is a row of the store's sessions table; this
//     replica's table caches the ones it served. A session it never saw
//     is loaded, and mcp-go is given it by posting its initialize (and
//     logging/setLevel) again from the row's state (restore.go), so the
//     client's capabilities (approvals) and log level hold everywhere.
//   - max_sessions_per_subject and max_sessions are counted in the
//     creating transaction, exactly (one advisory lock on PostgreSQL, the
//     one writer on SQLite): a session is created once per conversation,
//     so serialising creations costs nothing a client notices, where an
//     approximate count would let a burst of initializes on N replicas
//     pass a cap N times over.
//   - A row is touched at most every 5 s (touchEvery), not on each
//     request: expiry across replicas is exact to within that, and a
//     replica learns that a session was deleted or expired elsewhere from
//     the bus at once, or at its next touch at the latest. Every replica
//     sweeps expired rows; mcp-go's own idle sweep and a replica's cache
//     only forget a session here.
//   - notifications/cancelled for a request not running here, an answer to
//     another replica's server request and a message for an SSE session
//     whose stream is elsewhere go over the bus to the replica that acts,
//     keyed by subject and session as they are here. A tool-list change
//     of one replica reaches every replica's streams, and an upstream's
//     notifications/tools/list_changed that one replica received has the
//     others list that upstream's tools again on their own connections
//     (once per second at most), so their declarations follow.
//   - max_concurrent, max_concurrent_per_session and
//     max_concurrent_per_subject stay per replica: an execution's CPU and
//     memory are its process's, and a global count would need a database
//     round trip at every execution's start and leases for the slots of a
//     replica that dies. N replicas admit N times max_concurrent_per_subject.
//   - Per replica too: the one GET stream of a session (a session may hold
//     one on each replica) and the sessions metric (those it served).
//   - An SSE session ends with its stream, so with its process: it has a
//     row only on PostgreSQL, where other replicas take its posts. The row
//     names the replica holding the stream, which records a heartbeat every
//     10 s (heartbeat.go); the rows of a replica whose last heartbeat is
//     older than 30 s (store.ReplicaLease: it died) no longer count
//     against the caps, and the next sweep deletes them.
//
// /readyz is 503 while Options.Ready (default: the Store's) fails.
//
// # Concurrency and shutdown
//
// Handler is safe for concurrent use. /readyz is 200 from start until
// shutdown, whatever the upstreams do after start (a script can make one
// exit: no tenant may take the replica out of rotation), unless the
// database does not answer. Serve stops on
// ctx: /readyz turns 503, new MCP requests are refused with 503, standalone streams end, and
// requests in flight get the grace period to finish before their contexts
// are cancelled.
package hosted
