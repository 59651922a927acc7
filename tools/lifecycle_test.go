package tools

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/mcp-codemode/mcp-codemode/config"
	"github.com/mcp-codemode/mcp-codemode/internal/testenv"
)

// fastRetry shortens the background retries for one test.
func fastRetry(t *testing.T) {
	first, most := retryFirst, retryMax
	retryFirst, retryMax = 50*time.Millisecond, 200*time.Millisecond
	t.Cleanup(func() { retryFirst, retryMax = first, most })
}

// eventually polls cond for up to 10 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after 10 s: %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func shell(name, script string, timeout time.Duration) config.Server {
	return config.Server{Name: name, Type: config.Stdio, Command: "sh", Args: []string{"-c", script}, Timeout: timeout}
}

// TestStartDoesNotWait (issue 20.10, 13.5): Start returns at once with an
// upstream that hangs at start; the other upstream's tools arrive as it
// connects, announced by OnChange; the hanging one is listed as
// unavailable, first connecting, then with why once its own timeout (not
// a fixed 30 s) has passed.
func TestStartDoesNotWait(t *testing.T) {
	fastRetry(t)
	r := newTestRegistry(t, Options{})
	changed := make(chan struct{}, 100)
	r.OnChange(func() { changed <- struct{}{} })
	timeout := testenv.Within(100 * time.Millisecond) // hang's; waiting for it is what must not happen
	began := time.Now()
	r.Start([]config.Server{shell("hang", "sleep 300", timeout), fakeServer("good", nil)})
	took := time.Since(began)
	t.Logf("Start returned after %v", took)
	if took > timeout/2 {
		t.Errorf("Start took %v; it must not wait on upstreams", took)
	}
	if got := strings.Join(r.Unavailable(), "\n"); got != "good (connecting)\nhang (connecting)" {
		t.Errorf("unavailable at start:\n%s", got)
	}
	began = time.Now()
	if waited, _ := r.AwaitFirst(context.Background(), `return 1`); waited || time.Since(began) > timeout/2 {
		t.Errorf("AwaitFirst waited for code that names no upstream")
	}
	if waited, connecting := r.AwaitFirst(context.Background(), `return await good.echo({text: "x"})`); !waited || connecting != nil {
		t.Errorf("AwaitFirst for good: waited %v, still connecting %q", waited, connecting)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if waited, connecting := r.AwaitFirst(ctx, `await hang.x()`); !waited || len(connecting) != 1 || connecting[0] != "hang" {
		t.Errorf("AwaitFirst for hang: waited %v, still connecting %q", waited, connecting)
	}
	if _, ok := r.Lookup(toolID("good", "echo")); !ok {
		t.Fatal("good's tools are not there after AwaitFirst")
	}
	if len(changed) == 0 {
		t.Error("no OnChange when good's tools arrived")
	}
	mustCall(t, r, "good", "echo", `{"text":"x"}`)
	want := `hang (not connected: no answer to initialize within ` + timeout.String() + ` (the entry's "timeout"); check that the command ` +
		`starts an MCP server on stdin and stdout (run it by hand: it should wait for input without printing), or raise ` +
		`"timeout" if it is slow to start (a first npx -y download can take minutes); retried in the background)`
	eventually(t, "hang listed as not connected", func() bool {
		u := r.Unavailable()
		return len(u) == 1 && u[0] == want
	})
	h := r.Health()
	if len(h) != 2 || h[0].Server != "good" || !h[0].Up || h[1].Up || !strings.HasPrefix(h[1].Down, "no answer to initialize") {
		t.Errorf("health = %+v", h)
	}
}

// TestConnectWaitsEachItsTimeout: Connect (run, check, types) waits for
// the first attempts in parallel, each at most its own timeout.
func TestConnectWaitsEachItsTimeout(t *testing.T) {
	r := newTestRegistry(t, Options{})
	timeout := testenv.Within(300 * time.Millisecond)
	began := time.Now()
	sts := r.Connect(context.Background(), []config.Server{
		shell("a", "sleep 300", timeout), shell("b", "sleep 300", timeout),
		shell("c", "sleep 300", timeout), fakeServer("good", nil),
	})
	took := time.Since(began)
	t.Logf("Connect took %v", took)
	if took > 3*timeout { // three timeouts in a row, plus stopping each
		t.Errorf("Connect took %v", took)
	}
	for _, st := range sts[:3] {
		if st.Err == nil || !strings.HasPrefix(st.Err.Error(), "no answer to initialize within "+timeout.String()) {
			t.Errorf("%s: %v", st.Server, st.Err)
		}
	}
	if sts[3].Err != nil || sts[3].Tools == 0 {
		t.Errorf("good: %+v", sts[3])
	}
}

// TestRetryUntilUp (issue 13.5): an upstream that fails at start is
// retried in the background and its tools are added when it comes up.
func TestRetryUntilUp(t *testing.T) {
	fastRetry(t)
	r := newTestRegistry(t, Options{})
	refuse := filepath.Join(t.TempDir(), "refuse")
	must(t, os.WriteFile(refuse, nil, 0o600))
	st := r.Connect(context.Background(), []config.Server{fakeServer("late", map[string]string{"FAKE_REFUSE": refuse})})[0]
	if st.Err == nil {
		t.Fatal("the first attempt succeeded")
	}
	want := `late (not connected: process exited (status 1), last stderr line: "refusing to start on purpose"; retried in the background)`
	if u := r.Unavailable(); len(u) != 1 || u[0] != want {
		t.Errorf("unavailable = %q", u)
	}
	v := r.Version()
	must(t, os.Remove(refuse))
	eventually(t, "late's tools", func() bool { _, ok := r.Lookup(toolID("late", "echo")); return ok })
	if r.Version() == v || len(r.Unavailable()) != 0 {
		t.Errorf("version %d -> %d, unavailable %q", v, r.Version(), r.Unavailable())
	}
	mustCall(t, r, "late", "echo", `{"text":"x"}`)
}

// TestHungStartKillsGroup (issue 20.10): a server started through a
// wrapper that hangs at start is stopped with what it started.
func TestHungStartKillsGroup(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	r := newTestRegistry(t, Options{})
	st := r.Connect(context.Background(), []config.Server{
		shell("wrapped", "sleep 300 & echo $! > "+pidFile+"; wait", 300*time.Millisecond)})[0]
	if st.Err == nil {
		t.Fatal("connected")
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	eventually(t, fmt.Sprintf("the wrapper's child %d gone", pid), func() bool { return !alive(pid) })
}

// alive says whether pid runs (a zombie does not).
func alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	return err == nil && !strings.Contains(string(stat), ") Z ")
}

// TestJunkOnStdout (issue 20.11): a server that writes logs to stdout
// never answers; the error says what it wrote.
func TestJunkOnStdout(t *testing.T) {
	r := newTestRegistry(t, Options{})
	st := r.Connect(context.Background(), []config.Server{
		shell("noisy", `echo "Server listening on port 3000"; echo '{"not": "an answer"}'; echo "ready"; sleep 300`, 300*time.Millisecond)})[0]
	want := `no answer to initialize within 300ms (the entry's "timeout"); it wrote 2 line(s) to stdout that are not ` +
		`JSON-RPC messages, the first: "Server listening on port 3000"; a stdio server must write only protocol ` +
		`messages to stdout (its logs belong on stderr)`
	if st.Err == nil || st.Err.Error() != want {
		t.Errorf("got:  %v\nwant: %s", st.Err, want)
	}
}

// TestWrongURLPath (issue 20.11): a streamable HTTP url with the wrong
// path says to check the path, not only "likely a legacy SSE server".
func TestWrongURLPath(t *testing.T) {
	ts := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(ts.Close)
	r := newTestRegistry(t, Options{})
	st := r.Connect(context.Background(), []config.Server{{Name: "web", Type: config.HTTP, URL: ts.URL + "/wrong", Timeout: 5 * time.Second}})[0]
	want := ts.URL + `/wrong answered initialize with an HTTP 4xx status: check the url's path (streamable HTTP servers ` +
		`are usually at /mcp), and for a server of the older HTTP+SSE transport set "type": "sse"`
	if st.Err == nil || st.Err.Error() != want {
		t.Errorf("got:  %v\nwant: %s", st.Err, want)
	}
}

// TestLeaveOut: a refused entry is listed with why and never started.
func TestLeaveOut(t *testing.T) {
	r := newTestRegistry(t, Options{Secrets: []string{"ghp_secret123"}})
	st := r.LeaveOut("github", config.Stdio, errors.New("environment variable GITHUB_TOKEN is not set (ghp_secret123)"))
	if st.Err == nil || st.Err.Error() != "environment variable GITHUB_TOKEN is not set ([redacted])" {
		t.Errorf("status = %+v", st)
	}
	if u := r.Unavailable(); len(u) != 1 || u[0] != "github (left out: environment variable GITHUB_TOKEN is not set ([redacted]))" {
		t.Errorf("unavailable = %q", u)
	}
	if h := r.Health(); len(h) != 1 || h[0].Up {
		t.Errorf("health = %+v", h)
	}
}

// TestRefusedAtRunTime (issue 20.2): a wrapper that starts mcp-codemode
// passes the static check; the child refuses (config.ParentEnv) and the
// entry is left out for good, not retried.
func TestRefusedAtRunTime(t *testing.T) {
	fastRetry(t)
	count := filepath.Join(t.TempDir(), "count")
	r := newTestRegistry(t, Options{})
	script := `echo x >> ` + count + `; [ -n "$` + config.ParentEnv + `" ] && echo "mcp-codemode: ` + config.SelfSpawnRefusal + ` (pid $` + config.ParentEnv + `)" >&2; exit 2`
	st := r.Connect(context.Background(), []config.Server{shell("loop", script, 5*time.Second)})[0]
	if st.Err == nil || !strings.Contains(st.Err.Error(), config.SelfSpawnRefusal+" (pid "+strconv.Itoa(os.Getpid())+")") {
		t.Fatalf("status: %v", st.Err)
	}
	eventually(t, "left out", func() bool {
		u := r.Unavailable()
		return len(u) == 1 && strings.HasPrefix(u[0], "loop (left out: it starts mcp-codemode itself (through a wrapper)")
	})
	time.Sleep(4 * retryMax)
	if b, _ := os.ReadFile(count); strings.Count(string(b), "x") != 1 {
		t.Errorf("started %d times, want once", strings.Count(string(b), "x"))
	}
}

// remote is an mcp-go server over streamable HTTP or SSE on loopback,
// with a tool "block" that waits until its call is cancelled and reports
// that on cancelled.
type remote struct {
	ts        *httptest.Server
	mcp       *server.MCPServer
	started   chan struct{}
	cancelled chan struct{}
	notes     chan string   // the method of every notification posted
	answered  chan struct{} // a tools/call POST was answered (over SSE: its 202), to the last byte
}

// connKey holds a request's connection in its context (remote's ConnContext).
type connKey struct{}

func newRemote(t *testing.T, transport string) *remote {
	rm := &remote{mcp: server.NewMCPServer("remote", "1.0.0", server.WithToolCapabilities(true)),
		started: make(chan struct{}, 10), cancelled: make(chan struct{}, 10), notes: make(chan string, 100),
		answered: make(chan struct{}, 10)}
	addFakeTools(rm.mcp)
	rm.mcp.AddTool(mcp.NewTool("block"), func(ctx context.Context, _ mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		rm.started <- struct{}{}
		select {
		case <-ctx.Done():
			rm.cancelled <- struct{}{}
			return nil, ctx.Err()
		case <-time.After(testenv.Within(20 * time.Second)):
			return mcp.NewToolResultText("not cancelled"), nil
		}
	})
	var h http.Handler
	// A tools/call POST counts as answered once its response is written to
	// the connection, when the connection closes, not when the handler
	// returns: the response is still in the server's buffer then, and a test
	// that closes the connections at that point failed the POST instead of
	// the call. Its connection is not kept alive: the client would reuse it
	// for its next request (reconnecting the SSE stream), which the same
	// CloseClientConnections could then end too.
	var calls sync.Map // net.Conn → true: a tools/call POST is being answered on it
	rm.ts = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		call := false
		if r.Method == http.MethodPost {
			body, _ := io.ReadAll(r.Body)
			var msg struct {
				ID     any    `json:"id"`
				Method string `json:"method"`
			}
			if json.Unmarshal(body, &msg) == nil && msg.ID == nil {
				select {
				case rm.notes <- msg.Method:
				default:
				}
			}
			call = msg.Method == "tools/call"
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		if call {
			calls.Store(r.Context().Value(connKey{}), true)
			w.Header().Set("Connection", "close")
		}
		h.ServeHTTP(w, r)
	}))
	rm.ts.Config.ConnContext = func(ctx context.Context, c net.Conn) context.Context {
		return context.WithValue(ctx, connKey{}, c)
	}
	rm.ts.Config.ConnState = func(c net.Conn, s http.ConnState) {
		if s != http.StateClosed && s != http.StateHijacked {
			return
		}
		if _, ok := calls.LoadAndDelete(c); ok {
			select {
			case rm.answered <- struct{}{}:
			default:
			}
		}
	}
	rm.ts.Start()
	t.Cleanup(rm.ts.Close)
	if transport == config.SSE {
		h = server.NewSSEServer(rm.mcp, server.WithBaseURL(rm.ts.URL))
	} else {
		h = server.NewStreamableHTTPServer(rm.mcp)
	}
	return rm
}

func (rm *remote) entry(transport string) config.Server {
	path := "/mcp"
	if transport == config.SSE {
		path = "/sse"
	}
	return config.Server{Name: "remote", Type: transport, URL: rm.ts.URL + path, Timeout: 30 * time.Second}
}

// TestRemoteCancel (issue 20.6): a cancelled call reaches an HTTP or SSE
// upstream as notifications/cancelled: its handler's context ends.
func TestRemoteCancel(t *testing.T) {
	for _, tr := range []string{config.HTTP, config.SSE} {
		t.Run(tr, func(t *testing.T) {
			rm := newRemote(t, tr)
			r := newTestRegistry(t, Options{})
			mustConnect(t, r, rm.entry(tr))
			ctx, cancel := context.WithCancel(context.Background())
			errc := make(chan error, 1)
			go func() {
				_, err := r.Call(ctx, toolID("remote", "block"), nil)
				errc <- err
			}()
			<-rm.started
			cancel()
			sent := time.Now()
			select {
			case <-rm.cancelled:
				t.Logf("the upstream saw the cancellation %v after it", time.Since(sent))
			case <-time.After(testenv.Within(5 * time.Second)):
				t.Fatal("the upstream was not told the call was cancelled")
			}
			if err := <-errc; err == nil || !strings.Contains(err.Error(), "the call was cancelled") {
				t.Errorf("call: %v", err)
			}
			// Over HTTP the request's end cancels it in mcp-go's server;
			// other servers (a legacy session of the TypeScript SDK's) go
			// by the notification only.
			for deadline := time.After(testenv.Within(5 * time.Second)); ; {
				select {
				case m := <-rm.notes:
					if m != "notifications/cancelled" {
						continue
					}
				case <-deadline:
					t.Fatal("no notifications/cancelled was posted")
				}
				break
			}
		})
	}
}

// TestSSEDiesMidCall (issue 20.3): calls in flight on an SSE upstream
// whose event stream ends fail at once, naming the server, not at their
// timeout (30 s here); the next call finds it reconnected.
func TestSSEDiesMidCall(t *testing.T) {
	rm := newRemote(t, config.SSE)
	r := newTestRegistry(t, Options{})
	mustConnect(t, r, rm.entry(config.SSE))
	errc := make(chan error, 1)
	go func() {
		_, err := r.Call(context.Background(), toolID("remote", "block"), nil)
		errc <- err
	}()
	<-rm.started
	// The POST that carried the call is answered (202) on its own
	// connection; closing that before its answer fails the call on the
	// POST instead, which is not what this test is about.
	<-rm.answered
	rm.ts.CloseClientConnections()
	died := time.Now()
	select {
	case err := <-errc:
		t.Logf("failed %v after the stream ended: %v", time.Since(died), err)
		var ue *UpstreamError
		if !errors.As(err, &ue) || !strings.HasPrefix(err.Error(), `remote.block: upstream "remote" is not available: its SSE event stream ended (`) {
			t.Errorf("call: %v", err)
		}
	case <-time.After(testenv.Within(5 * time.Second)):
		t.Fatal("the call in flight still waits 5 s after the stream ended")
	}
	if got := mustCall(t, r, "remote", "echo", `{"text":"back"}`); got != `"back"` {
		t.Errorf("after the stream ended: %s", got)
	}
}

// TestRemoteRestartNoFailedCall (issue 20.13): a streamable HTTP server
// that restarted (our session is gone) costs no failed call: the call
// reconnects and is made again.
func TestRemoteRestartNoFailedCall(t *testing.T) {
	var h http.Handler = server.NewStreamableHTTPServer(headerServer())
	var mu = make(chan struct{}, 1)
	mu <- struct{}{}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-mu
		cur := h
		mu <- struct{}{}
		cur.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	r := newTestRegistry(t, Options{})
	mustConnect(t, r, config.Server{Name: "remote", Type: config.HTTP, URL: ts.URL + "/mcp"})
	mustCall(t, r, "remote", "echo", `{"text":"a"}`)
	<-mu
	h = server.NewStreamableHTTPServer(headerServer()) // restarted: it knows no session
	mu <- struct{}{}
	if got := mustCall(t, r, "remote", "echo", `{"text":"b"}`); got != `"b"` {
		t.Errorf("after the restart: %s", got)
	}
}

// TestHTTPToolListChanged (issue 20.7): a streamable HTTP upstream's
// tools/list_changed, sent between calls, is followed.
func TestHTTPToolListChanged(t *testing.T) {
	rm := newRemote(t, config.HTTP)
	r := newTestRegistry(t, Options{})
	mustConnect(t, r, rm.entry(config.HTTP))
	time.Sleep(100 * time.Millisecond) // the listening stream opens after initialize
	rm.mcp.AddTool(mcp.NewTool("added"), textTool(`"added"`))
	eventually(t, "the added tool", func() bool { _, ok := r.Lookup(toolID("remote", "added")); return ok })
	if got := mustCall(t, r, "remote", "added", `{}`); got != `"added"` {
		t.Errorf("added = %s", got)
	}
}

// TestCloseDoesNotStall (issue 20.6): closing a streamable HTTP upstream
// whose server does not answer the session's DELETE takes at most
// closeWait, not mcp-go's 5 s.
func TestCloseDoesNotStall(t *testing.T) {
	inner := server.NewStreamableHTTPServer(headerServer())
	hang := make(chan struct{})
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodDelete {
			<-hang
			return
		}
		inner.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	t.Cleanup(func() { close(hang) }) // before ts.Close, which waits for the DELETE
	r := NewRegistry(Options{Logger: testLogger(t)})
	mustConnect(t, r, config.Server{Name: "remote", Type: config.HTTP, URL: ts.URL + "/mcp"})
	began := time.Now()
	r.Close()
	took := time.Since(began)
	t.Logf("Close took %v", took)
	if took > min(testenv.Within(time.Second), 4*time.Second) { // 0.5 s; mcp-go alone waits 5 s
		t.Errorf("Close took %v", took)
	}
}

// TestSSETooLarge: a result over the bound on an SSE upstream closes its
// event stream (mcp-go drops it as it streams); the call fails at once
// naming the bound, not at its timeout, and the next call reconnects.
func TestSSETooLarge(t *testing.T) {
	rm := newRemote(t, config.SSE)
	rm.mcp.AddTool(bigTool())
	r := newTestRegistry(t, Options{MaxResultBytes: 1 << 20})
	mustConnect(t, r, rm.entry(config.SSE))
	began := time.Now()
	_, err := call(t, r, "remote", "big", `{"bytes":4000000}`)
	t.Logf("failed after %v: %v", time.Since(began), err)
	want := `remote.big: upstream "remote": the result of big is larger than 1048576 bytes, the most a script can take; ` +
		`it was dropped unread, and the connection with it (ask the tool for less: a page, a filter, fewer fields)`
	if err == nil || err.Error() != want {
		t.Errorf("got:  %v\nwant: %s", err, want)
	}
	if time.Since(began) > testenv.Within(2*time.Second) { // the entry's timeout is 30 s
		t.Errorf("took %v", time.Since(began))
	}
	if got := mustCall(t, r, "remote", "echo", `{"text":"small"}`); got != `"small"` {
		t.Errorf("after: %s", got)
	}
}

// TestRemoteHung: a call an HTTP or SSE upstream never answers is
// abandoned at the entry's timeout, saying so, and the upstream is told
// (notifications/cancelled); a server that never answers initialize is
// reported after the timeout with what to check.
func TestRemoteHung(t *testing.T) {
	for _, tr := range []string{config.HTTP, config.SSE} {
		t.Run(tr, func(t *testing.T) {
			rm := newRemote(t, tr)
			r := newTestRegistry(t, Options{})
			e := rm.entry(tr)
			e.Timeout = testenv.Within(75 * time.Millisecond) // initialize must answer within it too
			mustConnect(t, r, e)
			_, err := call(t, r, "remote", "block", `{}`)
			want := `remote.block: upstream "remote" did not answer within ` + e.Timeout.String() + `; the call was abandoned ` +
				`(raise "timeout" in its mcpServers entry if it needs longer)`
			if err == nil || err.Error() != want {
				t.Errorf("got:  %v\nwant: %s", err, want)
			}
			select {
			case <-rm.cancelled:
			case <-time.After(testenv.Within(5 * time.Second)):
				t.Error("the upstream was not told the call was abandoned")
			}

			hang := make(chan struct{})
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				select {
				case <-hang:
				case <-r.Context().Done():
				}
			}))
			t.Cleanup(ts.Close)
			t.Cleanup(func() { close(hang) })
			st := r.Connect(context.Background(), []config.Server{{Name: "mute", Type: tr, URL: ts.URL + "/mcp", Timeout: 300 * time.Millisecond}})[0]
			want = `no answer to initialize within 300ms (the entry's "timeout"); check that the url is the server's MCP ` +
				`endpoint and that the server is up, or raise "timeout"`
			if st.Err == nil || st.Err.Error() != want {
				t.Errorf("hung at start: %v", st.Err)
			}
			t.Logf("hung at start: %v", st.Err)
		})
	}
}

// TestSSEToolListChanged: an SSE upstream's tools/list_changed is followed.
func TestSSEToolListChanged(t *testing.T) {
	rm := newRemote(t, config.SSE)
	r := newTestRegistry(t, Options{})
	mustConnect(t, r, rm.entry(config.SSE))
	rm.mcp.AddTool(mcp.NewTool("added"), textTool(`"added"`))
	eventually(t, "the added tool", func() bool { _, ok := r.Lookup(toolID("remote", "added")); return ok })
	if got := mustCall(t, r, "remote", "added", `{}`); got != `"added"` {
		t.Errorf("added = %s", got)
	}
}

// TestHTTPWithoutListening: a streamable HTTP server that offers no
// listening stream (405 to GET, as stateless servers answer) works, and
// that is logged at debug level, not as an error.
func TestHTTPWithoutListening(t *testing.T) {
	inner := server.NewStreamableHTTPServer(headerServer())
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			w.WriteHeader(http.StatusMethodNotAllowed)
			return
		}
		inner.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	logs := &testenv.Buffer{}
	r := newTestRegistry(t, Options{Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))})
	mustConnect(t, r, config.Server{Name: "remote", Type: config.HTTP, URL: ts.URL + "/mcp"})
	mustCall(t, r, "remote", "echo", `{"text":"x"}`)
	time.Sleep(100 * time.Millisecond) // the GET goes out after initialize
	if strings.Contains(logs.String(), "listening") {
		t.Errorf("logged:\n%s", logs.String())
	}
}
