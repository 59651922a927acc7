package tools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mcp-codemode/mcp-codemode/config"
	"github.com/mcp-codemode/mcp-codemode/internal/rawio"
)

// conn is one connection to an upstream: for stdio, one child process.
// It is replaced, never repaired.
type conn struct {
	client *client.Client
	stderr *lineWriter // stdio only
	info   mcp.InitializeResult

	startDone chan struct{} // closed when client.Start has returned

	// http and sse only: the transport, which the client sees wrapped in
	// cancelling.
	remote transport.Interface

	// stdio only: the process is started here rather than by mcp-go, so
	// that its stdout is read through a lineLimiter.
	spawn  func() error  // starts the process and makes client; nil for other transports
	stdout *os.File      // the read end of the process's stdout
	lines  *lineLimiter  // reading stdout
	junk   *junkWatch    // what on stdout is not JSON-RPC
	exited chan struct{} // closed when the process has been waited for

	mu   sync.Mutex
	cmd  *exec.Cmd // stdio only, once spawned
	hung bool      // it did not answer in time: stop gives it no grace

	failOnce sync.Once
	why      error
}

// stdio prepares the connection to a child process: our environment plus
// the entry's and config.ParentEnv, its cwd, and stderr forwarded line by
// line. stdout carries the protocol, each message bounded by maxMessage
// bytes. The process leads a process group of its own (ownGroup; not on
// Windows), so that what it started (npx's node, a shell's children) is
// stopped with it.
func (c *conn) stdio(cfg config.Server, maxMessage int, log *slog.Logger, opts ...client.ClientOption) {
	c.spawn = func() error {
		cmd := exec.Command(cfg.Command, cfg.Args...)
		cmd.Env = append(envList(cfg.Env), config.ParentEnv+"="+strconv.Itoa(os.Getpid()))
		cmd.Dir = cfg.Cwd
		cmd.Stderr = c.stderr
		ownGroup(cmd)
		cmd.WaitDelay = time.Second // grandchildren holding stderr open must not stall Wait
		stdin, err := c.startProcess(cmd)
		if err != nil {
			return err
		}
		c.junk = &junkWatch{r: rawio.Wrap(c.stdout), start: true}
		c.lines = newLineLimiter(c.junk, maxMessage, log)
		t := transport.NewIO(c.lines, stdin, nil)
		transport.WithCommandLogger(log)(t)
		c.client = client.NewClient(rawResults{Interface: t, lines: c.lines}, opts...)
		return nil
	}
}

// startProcess starts cmd with its stdin and stdout on pipes of ours
// (rawio.Start): Wait does not close stdout, so what the process wrote
// before it exited is still read. Our ends are read and written raw; stdin
// is closed once the process has exited, as exec's StdinPipe would be.
func (c *conn) startProcess(cmd *exec.Cmd) (io.WriteCloser, error) {
	c.mu.Lock()
	c.cmd = cmd
	c.mu.Unlock()
	stdin, stdout, err := rawio.Start(cmd)
	if err != nil {
		return nil, fmt.Errorf("failed to start command: %w", err) // mcp-go's words, as before
	}
	c.stdout, c.exited = stdout, make(chan struct{})
	go func() {
		cmd.Wait()
		stdin.Close()
		close(c.exited)
	}()
	return struct {
		io.Writer
		io.Closer
	}{rawio.Wrap(stdin), stdin}, nil
}

// stop ends the process once its stdin is closed: it has 2 s to exit (none
// when it was abandoned), then its process group is sent SIGTERM, then
// after 2 s more killed (signalGroup; on Windows the process alone is
// killed). What is left of the group when the process has exited is
// killed: a wrapper (sh, npx) that was stopped leaves the server it started
// running otherwise.
func (c *conn) stop() {
	if c.exited == nil {
		return
	}
	defer func() {
		signalGroup(c.cmd.Process, syscall.SIGKILL)
		c.stdout.Close()
	}()
	c.mu.Lock()
	grace := 2 * time.Second
	if c.hung {
		grace = 0
	}
	c.mu.Unlock()
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL} {
		select {
		case <-c.exited:
			return
		case <-time.After(grace):
		}
		signalGroup(c.cmd.Process, sig)
		grace = 2 * time.Second
	}
	<-c.exited
}

// abandon marks c as not answering: it is stopped without waiting for it
// to exit by itself.
func (c *conn) abandon() {
	c.mu.Lock()
	c.hung = true
	c.mu.Unlock()
}

// open starts the transport for the lifetime of life, performs the
// handshake and lists the tools, all within ctx.
func (c *conn) open(ctx, life context.Context) ([]Tool, error) {
	if err := c.start(ctx, life); err != nil {
		return nil, err
	}
	info, err := c.client.Initialize(ctx, initRequest())
	if err != nil {
		return nil, fmt.Errorf("initialize: %w", err)
	}
	c.info = *info
	if h, ok := c.remote.(transport.HTTPConnection); ok {
		h.SetProtocolVersion(info.ProtocolVersion) // as the client would, had it seen the transport (cancel.go)
	}
	return listTools(ctx, c.client)
}

// start runs client.Start with the long-lived context (stdio and SSE tie
// the process and the event stream to it) while waiting only as long as
// ctx allows.
func (c *conn) start(ctx, life context.Context) error {
	if c.spawn != nil {
		if err := c.spawn(); err != nil {
			return err
		}
	}
	c.startDone = make(chan struct{})
	done := make(chan error, 1)
	go func() {
		defer close(c.startDone)
		done <- c.client.Start(life)
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func initRequest() mcp.InitializeRequest {
	version := "(devel)"
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		version = bi.Main.Version
	}
	var req mcp.InitializeRequest
	req.Params.ProtocolVersion = mcp.LATEST_LEGACY_PROTOCOL_VERSION
	req.Params.ClientInfo = mcp.Implementation{Name: "mcp-codemode", Version: version}
	return req
}

// fail closes c after err and returns err, described better when the child
// process died on its own: its exit status and last stderr line. Every
// caller gets the first description.
func (c *conn) fail(err error) error {
	c.failOnce.Do(func() {
		c.close()
		c.why = err
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
			return
		}
		if c.lines != nil && c.lines.broken.Load() {
			c.why = &messageError{msg: fmt.Sprintf("it sent a response of more than %d bytes, the most a tool result may be, "+
				"with no id before its result; the connection was closed", c.lines.max), err: err}
			return
		}
		if exit := c.exitDescription(); exit != "" {
			c.why = &messageError{msg: exit, err: err}
		}
	})
	return c.why
}

// close shuts the connection down: for stdio, stdin is closed, then the
// child is sent SIGTERM, then killed (stop). A remote transport is closed
// before its Start has returned: mcp-go's SSE Start waits for the server's
// answer to its GET, which a hung server never sends, until it is closed.
func (c *conn) close() {
	if c.remote != nil {
		c.closeClient()
	}
	if c.startDone != nil {
		<-c.startDone
	}
	if c.remote == nil && c.client != nil {
		c.closeClient() // stdio and in-process: not while Start runs
	}
	c.stop()
	if c.stderr != nil {
		c.stderr.Flush()
	}
}

// closeWait bounds how long closing a remote connection waits: streamable
// HTTP ends its session with a DELETE that mcp-go gives 5 s, and a hung
// server must not hold up shutdown for that long. The DELETE carries on.
const closeWait = 500 * time.Millisecond

func (c *conn) closeClient() {
	if c.remote == nil {
		_ = c.client.Close()
		return
	}
	done := make(chan struct{})
	go func() {
		_ = c.client.Close()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(closeWait):
	}
}

// exitDescription says how the child process ended, after close.
func (c *conn) exitDescription() string {
	c.mu.Lock()
	cmd := c.cmd
	c.mu.Unlock()
	if cmd == nil || cmd.ProcessState == nil {
		return ""
	}
	ps := cmd.ProcessState
	msg := fmt.Sprintf("process exited (status %d)", ps.ExitCode())
	if !ps.Exited() {
		msg = fmt.Sprintf("process was stopped (%s)", ps)
	}
	if last := c.stderr.Last(); last != "" {
		msg += fmt.Sprintf(", last stderr line: %q", truncate(last, 200))
	}
	return msg
}

func truncate(s string, n int) string {
	if rs := []rune(s); len(rs) > n {
		return string(rs[:n-1]) + "…"
	}
	return s
}

// listRequestID numbers our own tools/list requests; string ids never
// collide with the client's numeric ones.
var listRequestID atomic.Int64

// wireTool is a tool as tools/list sends it. It is decoded here rather
// than through mcp.Tool, whose schema type keeps only a few keywords:
// schemas reach validation and the declarations exactly as the server
// wrote them.
type wireTool struct {
	Name         string             `json:"name"`
	Title        string             `json:"title"`
	Description  string             `json:"description"`
	InputSchema  json.RawMessage    `json:"inputSchema"`
	OutputSchema json.RawMessage    `json:"outputSchema"`
	Annotations  mcp.ToolAnnotation `json:"annotations"`
}

// listTools lists every page of tools.
func listTools(ctx context.Context, c *client.Client) ([]Tool, error) {
	var out []Tool
	seen := map[string]bool{}
	cursor := ""
	for {
		page, next, err := listPage(ctx, c, cursor)
		if err != nil {
			return nil, err
		}
		for _, t := range page {
			if t.Name != "" && !seen[t.Name] {
				seen[t.Name] = true
				out = append(out, t.tool())
			}
		}
		if next == "" || next == cursor {
			return out, nil
		}
		cursor = next
	}
}

func listPage(ctx context.Context, c *client.Client, cursor string) ([]wireTool, string, error) {
	params := map[string]any{}
	if cursor != "" {
		params["cursor"] = cursor
	}
	id := fmt.Sprintf("codemode-tools-list-%d", listRequestID.Add(1))
	resp, err := c.GetTransport().SendRequest(ctx, transport.JSONRPCRequest{
		JSONRPC: mcp.JSONRPC_VERSION, ID: mcp.NewRequestId(id), Method: string(mcp.MethodToolsList), Params: params,
	})
	if err != nil {
		return nil, "", fmt.Errorf("tools/list: %w", transport.NewError(err))
	}
	if resp.Error != nil {
		return nil, "", fmt.Errorf("tools/list: %w", resp.Error.AsError())
	}
	var page struct {
		Tools      []wireTool `json:"tools"`
		NextCursor string     `json:"nextCursor"`
	}
	if err := json.Unmarshal(resp.Result, &page); err != nil {
		return nil, "", fmt.Errorf("tools/list: decoding result: %w", err)
	}
	return page.Tools, page.NextCursor, nil
}

func (w wireTool) tool() Tool {
	t := Tool{Name: w.Name, Title: w.Title, Description: w.Description, Annotations: w.Annotations}
	if len(w.InputSchema) > 0 && string(w.InputSchema) != "null" {
		t.InputSchema = w.InputSchema
	}
	if len(w.OutputSchema) > 0 && string(w.OutputSchema) != "null" {
		t.OutputSchema = w.OutputSchema
	}
	return t
}
