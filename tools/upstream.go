package tools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/mcp-codemode/mcp-codemode/config"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// Transport of servers handed over with AddMCPServer.
const inProcess = "inprocess"

// defaultCallTimeout bounds a call when the server entry sets no timeout.
const defaultCallTimeout = 60 * time.Second

// Status reports how connecting to one upstream went.
type Status struct {
	Server    string
	Transport string // config.Stdio, config.HTTP, config.SSE or "inprocess"
	Tools     int
	Err       error // nil when connected; its text is redacted
	Duration  time.Duration
}

// upstream is one upstream MCP server: its configuration and, while it is
// up, its connection. It is connected in the background (start.go); a
// broken connection is dropped and replaced on the next call, subject to
// backoff, or at once in the background for a remote server.
type upstream struct {
	reg  *Registry
	name string
	cfg  config.Server
	srv  *server.MCPServer // in-process servers only
	log  *slog.Logger

	mu       sync.Mutex
	conn     *conn         // nil while down
	starting chan struct{} // closed when the running restart finishes
	failures int           // consecutive failures; a successful call resets
	retryAt  time.Time     // no restart before this
	down     string        // why it is down, redacted
	closed   bool

	first    chan struct{} // closed when the first attempt to connect has ended
	status   Status        // of the first attempt
	everUp   bool          // connected once: its tools are declared
	leftOut  bool          // never started: its entry is refused (down says why)
	reviving bool          // a background loop is reconnecting it
	shown    string        // what Unavailable last published for it
}

func (u *upstream) transportName() string {
	switch {
	case u.srv != nil:
		return inProcess
	case u.cfg.Type != "":
		return u.cfg.Type
	case u.cfg.URL != "":
		return config.HTTP // as config.Parse decides for a url without a type
	}
	return config.Stdio
}

// timeout bounds each call, and each attempt to connect: a server that
// needs long to start (a first npx -y download) has its entry's timeout
// raised, not a fixed start timeout of ours.
func (u *upstream) timeout() time.Duration {
	if u.cfg.Timeout > 0 {
		return u.cfg.Timeout
	}
	return defaultCallTimeout
}

// AddMCPServer hands over the tools of an in-process mcp-go server under
// namespace name.
func (r *Registry) AddMCPServer(ctx context.Context, name string, s *server.MCPServer) error {
	u := r.newUpstream(config.Server{Name: name})
	u.srv = s
	if err := r.claim(u); err != nil {
		return err
	}
	return r.connectUpstream(ctx, u).Err
}

func (r *Registry) newUpstream(s config.Server) *upstream {
	return &upstream{reg: r, name: s.Name, cfg: s, log: r.log.With("upstream", s.Name), first: make(chan struct{})}
}

// connectUpstream connects a claimed in-process upstream and installs its
// tools; on failure the namespace is released.
func (r *Registry) connectUpstream(ctx context.Context, u *upstream) Status {
	defer close(u.first) // nobody waits: the caller does
	st := Status{Server: u.name, Transport: u.transportName()}
	start := time.Now()
	c, tools, err := u.connect(ctx)
	st.Duration = time.Since(start)
	if err != nil {
		r.release(u)
		st.Err = err
		u.log.Error("upstream not connected", "transport", st.Transport, "err", err)
		return st
	}
	if !u.install(c) {
		st.Err = errors.New("registry closed while connecting")
		return st
	}
	r.setUpstreamTools(u, u.description(c), tools)
	st.Tools = len(tools)
	u.log.Info("upstream connected", "transport", st.Transport, "tools", st.Tools, "duration", st.Duration.Round(time.Millisecond))
	return st
}

// claim reserves the namespace for u so that two servers cannot share it.
func (r *Registry) claim(u *upstream) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ctx.Err() != nil {
		return errors.New("registry is closed")
	}
	if r.servers[u.name] != nil {
		return fmt.Errorf("server name %q is already in use", u.name)
	}
	r.servers[u.name] = &serverTools{name: u.name, up: u, tools: map[string]*toolRec{}}
	return nil
}

func (r *Registry) release(u *upstream) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if st := r.servers[u.name]; st != nil && st.up == u {
		delete(r.servers, u.name)
		r.rebuild()
	}
}

// connect starts a connection and lists the tools, within the server's
// timeout. Its error is redacted and says what happened and what to check
// (explain.go).
func (u *upstream) connect(ctx context.Context) (*conn, []Tool, error) {
	ctx, cancel := context.WithTimeout(ctx, u.timeout())
	defer cancel()
	if u.cfg.Type == config.OpenAPI {
		return u.openAPI(ctx)
	}
	c, err := u.dial()
	if err != nil {
		return nil, nil, u.reg.red.Error(err)
	}
	tools, err := c.open(ctx, u.reg.ctx)
	if err != nil {
		if ctx.Err() != nil {
			c.abandon() // its timeout is all it gets
		}
		return nil, nil, u.reg.red.Error(u.explain(c, c.fail(err)))
	}
	for i := range tools {
		tools[i].Server = u.name
		tools[i].Handler = u.handler(tools[i].Name)
	}
	c.client.OnNotification(func(n mcp.JSONRPCNotification) {
		if n.Method == mcp.MethodNotificationToolsListChanged {
			go func() {
				u.refresh(c)
				u.reg.upstreamChanged(u.name) // the other replicas re-list it too (refresh.go)
			}()
		}
	})
	return c, tools, nil
}

// dial builds the client for the configured transport, not yet started.
func (u *upstream) dial() (*conn, error) {
	opt := client.WithProtocolVersion(mcp.LATEST_LEGACY_PROTOCOL_VERSION)
	c := &conn{}
	switch {
	case u.srv == nil && u.cfg.Command == "" && u.cfg.URL == "":
		return nil, errors.New(`the server entry has neither "command" nor "url"`)
	case u.srv != nil:
		c.client, _ = client.NewInProcessClient(u.srv)
		c.client = client.NewClient(rawResults{Interface: c.client.GetTransport()}, opt)
	case u.transportName() == config.HTTP:
		// The listening GET stream carries tools/list_changed between calls.
		// Upstreams are spoken to in 2025-11-25, which has that stream;
		// subscriptions/listen (2026-07-28) is what replaces it.
		//lint:ignore SA1019 the legacy GET stream is the one our upstream sessions have
		listen := []transport.StreamableHTTPCOption{transport.WithContinuousListening(), transport.WithContinuousListeningBackoff(retryFirst, retryMax)}
		t, err := transport.NewStreamableHTTP(u.cfg.URL, append([]transport.StreamableHTTPCOption{transport.WithHTTPHeaders(u.cfg.Headers),
			transport.WithHTTPLogger(quietListen(u.log)), transport.WithHTTPMaxMessageBytes(int64(u.reg.maxResult))}, listen...)...)
		if err != nil {
			return nil, err
		}
		c.remote = t
		c.client = client.NewClient(rawResults{Interface: cancelling{t}}, opt)
	case u.transportName() == config.SSE:
		t, err := transport.NewSSE(u.cfg.URL, transport.WithHeaders(u.cfg.Headers), transport.WithSSELogger(u.log),
			transport.WithEndpointTimeout(u.timeout()), transport.WithMaxMessageBytes(int64(u.reg.maxResult)),
			transport.WithResponseTimeout(u.timeout()+time.Minute)) // callContext times calls out, not the transport
		if err != nil {
			return nil, err
		}
		// Calls in flight fail at once when the event stream that carries
		// their answers ends, not at their timeout.
		t.SetConnectionLostHandler(func(err error) { go u.lost(c, err) })
		c.remote = t
		c.client = client.NewClient(rawResults{Interface: cancelling{t}}, opt)
	default:
		c.stderr = newLineWriter(u.reg.stderr, u.name, u.reg.red)
		c.stdio(u.cfg, u.reg.maxResult, u.log, opt)
	}
	return c, nil
}

// handler is the Handler of an upstream tool: a call through whatever
// connection is current.
func (u *upstream) handler(tool string) Handler {
	return func(ctx context.Context, args json.RawMessage) (*mcp.CallToolResult, error) {
		return u.call(ctx, tool, args)
	}
}

// call calls tool on the live connection. A remote server that no longer
// knows our session (it restarted) never saw the call: it is reconnected
// and the call made again, once, rather than failed.
func (u *upstream) call(ctx context.Context, tool string, args json.RawMessage) (*mcp.CallToolResult, error) {
	res, retry, err := u.callOnce(ctx, tool, args)
	if retry {
		res, _, err = u.callOnce(ctx, tool, args)
	}
	return res, err
}

func (u *upstream) callOnce(ctx context.Context, tool string, args json.RawMessage) (*mcp.CallToolResult, bool, error) {
	c, err := u.get(ctx)
	if err != nil {
		return nil, false, u.errorf(tool, err, "%s", err.Error())
	}
	cctx, cancel := u.callContext(ctx)
	defer cancel()
	req := mcp.CallToolRequest{Params: mcp.CallToolParams{Name: tool, Arguments: args, Meta: traceMeta(ctx)}}
	cctx, raw := withRawSlot(cctx)
	res, err := c.client.CallTool(cctx, req)
	if err == nil && raw.res != nil {
		res = raw.res // decoded from the bytes (wire.go)
	}
	if errors.Is(err, transport.ErrSessionTerminated) {
		u.forget(c)
		return nil, true, err
	}
	if err != nil {
		return nil, false, u.callFailed(ctx, cctx, c, tool, err)
	}
	u.mu.Lock()
	u.failures = 0
	u.mu.Unlock()
	return res, false, nil
}

// traceMeta is the _meta of a tools/call that carries the trace context
// of ctx's span (traceparent and tracestate, SEP-414), or nil without one
// (tracing off).
func traceMeta(ctx context.Context) *mcp.Meta {
	if !trace.SpanContextFromContext(ctx).IsValid() {
		return nil
	}
	carrier := propagation.MapCarrier{}
	propagation.TraceContext{}.Inject(ctx, carrier)
	meta := &mcp.Meta{AdditionalFields: map[string]any{}}
	for k, v := range carrier {
		meta.AdditionalFields[k] = v
	}
	return meta
}

// callContext is what a call runs under: ctx without its deadline,
// cancelled when ctx ends or after the server's timeout (its cause is then
// context.DeadlineExceeded). mcp-go's SSE transport times a request out
// at its context's deadline by itself, as a failure of the connection,
// which was dropped, and told the server nothing; cancelled, the client
// sends notifications/cancelled and the connection stays.
func (u *upstream) callContext(ctx context.Context) (context.Context, func()) {
	cctx, cancel := context.WithCancelCause(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, func() { cancel(context.Cause(ctx)) })
	timer := time.AfterFunc(u.timeout(), func() { cancel(context.DeadlineExceeded) })
	return cctx, func() {
		timer.Stop()
		stop()
		cancel(nil)
	}
}

// callFailed tells a cancelled call, a timeout, a broken connection and an
// error the server answered apart. Only a broken connection is dropped.
func (u *upstream) callFailed(ctx, cctx context.Context, c *conn, tool string, err error) error {
	var terr *transport.Error
	switch {
	case isTooLarge(err):
		return u.errorf(tool, err, "upstream %q: the result of %s is larger than %d bytes, the most a script can take; "+
			"it was dropped unread (ask the tool for less: a page, a filter, fewer fields)", u.name, tool, u.reg.maxResult)
	case ctx.Err() != nil:
		return u.errorf(tool, ctx.Err(), "upstream %q: the call was cancelled (%v)", u.name, ctx.Err())
	case cctx.Err() != nil:
		if junk := c.junk.String(); junk != "" {
			return u.errorf(tool, context.Cause(cctx), "upstream %q did not answer within %s; the call was abandoned; %s",
				u.name, u.timeout(), junk)
		}
		return u.errorf(tool, context.Cause(cctx), "upstream %q did not answer within %s; the call was abandoned "+
			`(raise "timeout" in its mcpServers entry if it needs longer)`, u.name, u.timeout())
	case errors.As(err, &terr):
		why := u.broken(c, u.explain(c, err))
		if isTooLarge(c.fail(err)) { // the SSE stream that carried the result was closed for it
			return u.errorf(tool, err, "upstream %q: the result of %s is larger than %d bytes, the most a script can take; "+
				"it was dropped unread, and the connection with it (ask the tool for less: a page, a filter, fewer fields)",
				u.name, tool, u.reg.maxResult)
		}
		return u.errorf(tool, err, "upstream %q is not available: %s", u.name, why)
	}
	return u.errorf(tool, err, "upstream %q answered with an error: %v", u.name, err)
}

func (u *upstream) errorf(tool string, cause error, format string, args ...any) *UpstreamError {
	return &UpstreamError{
		Server: u.name, Tool: tool, Path: u.name + "." + tool,
		Msg: u.reg.red.String(fmt.Sprintf(format, args...)), Err: cause,
	}
}

// broken drops c after a transport failure and says what happened and
// when the server comes back. Concurrent calls on c all get the same story.
func (u *upstream) broken(c *conn, err error) string {
	why := c.fail(err).Error()
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.conn == c {
		u.conn = nil
		u.noteFailure(why)
		u.log.Warn("upstream connection lost", "err", u.down, "failures", u.failures)
	}
	return why + "; " + u.whenRetry()
}

// forget drops c, whose session the server no longer knows (it restarted,
// or the session expired). That is no failure of the server's: the next
// attempt is at once and the backoff does not grow.
func (u *upstream) forget(c *conn) {
	c.fail(errors.New("the server no longer knows our session (it restarted, or the session expired)"))
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.conn == c {
		u.conn, u.retryAt = nil, time.Time{}
		u.down = "its session ended"
	}
}

// noteFailure counts a failure and schedules the next attempt: at once
// after a first failure, then after 0.5 s, 1 s, 2 s ... up to 30 s.
// u.mu must be held.
func (u *upstream) noteFailure(why string) {
	u.failures++
	u.down = u.reg.red.String(why)
	delay := time.Duration(0)
	if u.failures > 1 {
		delay = u.reg.minBackoff << min(u.failures-2, 16)
		delay = min(delay, u.reg.maxBackoff)
	}
	u.retryAt = time.Now().Add(delay)
}

// whenRetry says when the next attempt happens; u.mu must be held.
func (u *upstream) whenRetry() string {
	verb := "reconnected"
	if u.transportName() == config.Stdio {
		verb = "restarted"
	}
	wait := time.Until(u.retryAt)
	if wait <= 0 {
		return "it will be " + verb + " on the next call"
	}
	return fmt.Sprintf("it will be %s on the first call after %s (in %s)",
		verb, u.retryAt.Format(time.TimeOnly), wait.Round(100*time.Millisecond))
}

// get returns the live connection, restarting the server when it is down
// and its backoff has passed. One restart runs at a time; concurrent calls
// wait for it.
func (u *upstream) get(ctx context.Context) (*conn, error) {
	for {
		c, starting, err := u.check()
		switch {
		case c != nil || err != nil:
			return c, err
		case starting != nil:
			select {
			case <-starting:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		default:
			if err := u.restartOnce(ctx); err != nil {
				return nil, err
			}
		}
	}
}

// check reports the live connection, or a restart in progress to wait for,
// or why no call can be made now (closed, or within the backoff window).
// All nil means the caller may restart the server.
func (u *upstream) check() (*conn, chan struct{}, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	switch {
	case u.closed:
		return nil, nil, fmt.Errorf("upstream %q is closed", u.name)
	case u.conn != nil || u.starting != nil:
		return u.conn, u.starting, nil
	case time.Now().Before(u.retryAt):
		return nil, nil, fmt.Errorf("upstream %q is not available: %s; %s", u.name, u.down, u.whenRetry())
	}
	return nil, nil, nil
}

// restartOnce restarts the server unless another call got there first,
// and says why a restart that failed did.
func (u *upstream) restartOnce(ctx context.Context) error {
	if _, ran, err := u.attempt(ctx); !ran || err == nil {
		return nil
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	return fmt.Errorf("upstream %q is not available: %s; %s", u.name, u.down, u.whenRetry())
}

// attempt connects once, unless u is up, closed, left out or being
// connected already (ran is false then). A failure is counted and kept as
// why u is down; a success installs the connection and its tools, and
// tells the model's description that u is no longer missing.
func (u *upstream) attempt(ctx context.Context) (tools int, ran bool, err error) {
	u.mu.Lock()
	if u.conn != nil || u.starting != nil || u.closed || u.leftOut {
		u.mu.Unlock()
		return 0, false, nil
	}
	ch := make(chan struct{})
	u.starting = ch
	again := u.everUp
	u.mu.Unlock()
	connected, failed, prefix := "upstream connected", "upstream not connected", ""
	if again {
		connected, failed, prefix = "upstream restarted", "upstream restart failed", "restart failed: "
		u.log.Info("restarting upstream")
	}
	start := time.Now()
	c, list, err := u.connect(ctx)
	if err == nil && !u.install(c) {
		err = fmt.Errorf("upstream %q is closed", u.name)
	}
	u.mu.Lock()
	u.starting = nil
	close(ch)
	if err != nil {
		u.noteFailure(prefix + err.Error())
	}
	failures := u.failures
	u.mu.Unlock()
	if err != nil {
		u.log.Error(failed, "transport", u.transportName(), "err", err, "failures", failures)
		u.publish()
		return 0, true, err
	}
	u.reg.setUpstreamTools(u, u.description(c), list)
	u.mu.Lock()
	u.everUp = true // only now: Unavailable lists u until its tools are in
	u.mu.Unlock()
	u.log.Info(connected, "transport", u.transportName(), "tools", len(list), "duration", time.Since(start).Round(time.Millisecond))
	u.publish()
	return len(list), true, nil
}

// install makes c the live connection, unless the upstream was closed
// meanwhile: then c is closed and install reports false.
func (u *upstream) install(c *conn) bool {
	u.mu.Lock()
	closed := u.closed
	if !closed {
		u.conn, u.down = c, ""
	}
	u.mu.Unlock()
	if closed {
		c.close()
	}
	return !closed
}

// refresh re-lists the tools after a list_changed notification.
func (u *upstream) refresh(c *conn) { u.relist(u.reg.ctx, c) }

// relist lists c's tools again, within the server's timeout, and installs
// them; a failure is logged and leaves the tools as they were.
func (u *upstream) relist(ctx context.Context, c *conn) {
	ctx, cancel := context.WithTimeout(ctx, u.timeout())
	defer cancel()
	tools, err := listTools(ctx, c.client)
	if err != nil {
		u.log.Warn("re-listing tools failed", "err", u.reg.red.String(err.Error()))
		return
	}
	for i := range tools {
		tools[i].Server, tools[i].Handler = u.name, u.handler(tools[i].Name)
	}
	u.reg.setUpstreamTools(u, u.description(c), tools)
}

func (u *upstream) close() {
	u.mu.Lock()
	u.closed = true
	c := u.conn
	u.conn = nil
	u.mu.Unlock()
	if c != nil {
		c.close()
	}
}

// description is the namespace description an upstream gets: the first
// line of its instructions, redacted before it is cut so that no part of a
// secret is left.
func (u *upstream) description(c *conn) string {
	return firstLine(u.reg.red.String(c.info.Instructions), 200)
}

// envList is the child's environment: inheritedEnv of ours plus the entry's, sorted so the
// child sees the same order every time.
func envList(env map[string]string) []string {
	var out []string
	for _, k := range inheritedEnv {
		if v, ok := os.LookupEnv(k); ok && env[k] == "" {
			out = append(out, k+"="+v)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(env)) {
		out = append(out, k+"="+env[k])
	}
	return out
}

// inheritedEnv is what a stdio server gets of our environment, besides its
// entry's env: the same short list the official MCP SDKs (and so Claude
// Desktop) pass. Anything else — tokens, cloud credentials — a server only
// sees when its entry names it, so a tool that echoes its environment cannot
// hand the host's secrets to a script.
var inheritedEnv = []string{"HOME", "LOGNAME", "PATH", "SHELL", "TERM", "USER"}
