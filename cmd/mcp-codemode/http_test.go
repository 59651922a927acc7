package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mcp-codemode/mcp-codemode/internal/testenv"
)

// hostedServer is the built binary serving --transport http or sse on a
// loopback port of its choosing.
type hostedServer struct {
	cmd    *exec.Cmd
	base   string // http://127.0.0.1:PORT
	stderr *testenv.Buffer
	exited chan struct{} // closed when the process has exited and been waited for
	err    error         // of the wait, once exited is closed
}

// servingLine finds the address in the "serving" log line, text or JSON.
var servingLine = regexp.MustCompile(`msg"?[=:]"?serving.*address"?[=:]"?([0-9.:\[\]]+)`)

// startHosted runs `serve --transport TRANSPORT --listen 127.0.0.1:0` and
// waits for the address it logs.
func startHosted(t *testing.T, transport, configPath string, env ...string) *hostedServer {
	t.Helper()
	cmd := exec.Command(binary(t), "serve", "--transport", transport, "--listen", "127.0.0.1:0", "--config", configPath)
	cmd.Env = append(os.Environ(), env...)
	pipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &hostedServer{cmd: cmd, stderr: &testenv.Buffer{}, exited: make(chan struct{})}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			fmt.Fprintln(s.stderr, sc.Text())
			if m := servingLine.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
		s.err = cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.exited:
		case <-time.After(15 * time.Second): // a grace before the kill, not a bound
			cmd.Process.Kill()
		}
		if t.Failed() {
			t.Logf("server stderr:\n%s", s.stderr.String())
		}
	})
	select {
	case a := <-addr:
		s.base = "http://" + a
	case <-time.After(testenv.Within(60 * time.Second)):
		t.Fatalf("the server did not start:\n%s", s.stderr.String())
	}
	return s
}

// endpoint is the URL an MCP client connects to.
func (s *hostedServer) endpoint(transport string) string {
	if transport == "sse" {
		return s.base + "/sse"
	}
	return s.base + "/mcp"
}

// waitLog waits until the server's stderr matches re.
func (s *hostedServer) waitLog(t *testing.T, re string) {
	t.Helper()
	rx := regexp.MustCompile(re)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if rx.MatchString(s.stderr.String()) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("the server never logged %q", re)
}

// startHTTPSDK runs testdata/http_client.mjs, the official TypeScript SDK
// client, against url and connects.
func startHTTPSDK(t *testing.T, transport, url, token string) *sdkClient {
	t.Helper()
	args := []string{transport, url}
	if token != "" {
		args = append(args, token)
	}
	c := startDriver(t, "testdata/http_client.mjs", args...)
	c.do(t, map[string]any{"op": "connect"})
	return c
}

// watchedCall is the answer of the driver's "call" op.
type watchedCall struct {
	Result  callResult `json:"result"`
	Events  []string   `json:"events"`
	Aborted string     `json:"aborted"`
	MS      float64    `json:"ms"`
}

func (c *sdkClient) watch(t *testing.T, req map[string]any) watchedCall {
	t.Helper()
	req["op"] = "watch"
	var w watchedCall
	if err := json.Unmarshal(c.do(t, req), &w); err != nil {
		t.Fatal(err)
	}
	return w
}

func (c *sdkClient) errors(t *testing.T) []string {
	t.Helper()
	var e struct{ Errors []string }
	if err := json.Unmarshal(c.do(t, map[string]any{"op": "errors"}), &e); err != nil {
		t.Fatal(err)
	}
	return e.Errors
}

const (
	tokenAlice = "alice-token-0123456789abcdef"
	tokenBob   = "bob-token-0123456789abcdef012"
)

// TestHostedSDK drives the built binary over streamable HTTP and over SSE
// with the official TypeScript SDK client: tools, real upstreams, progress
// and console lines before the result, cancellation, and workspaces kept
// apart by bearer token; executions run in worker processes (isolate).
func TestHostedSDK(t *testing.T) {
	for _, transport := range []string{"http", "sse"} {
		t.Run(transport, func(t *testing.T) {
			t.Parallel()
			cfg := writeConfig(t, map[string]any{"testup": upstreams(t)["testup"], "memory": upstreams(t)["memory"]},
				map[string]any{"timeout": "20s", "auth": map[string]any{"tokens": []string{"${ALICE}", "${BOB}"}}, "isolation": "process"})
			srv := startHosted(t, transport, cfg, "ALICE="+tokenAlice, "BOB="+tokenBob)
			hostedSuite(t, srv, transport)
		})
	}
}

func hostedSuite(t *testing.T, srv *hostedServer, transport string) {
	alice := startHTTPSDK(t, transport, srv.endpoint(transport), tokenAlice)
	t.Run("execute with an upstream", func(t *testing.T) {
		r := alice.execute(t, `await memory.create_entities({ entities: [{ name: "Ada", entityType: "person", observations: [] }] });
return (await memory.read_graph()).entities.map(e => e.name)`)
		if r.IsError || compact(t, r.StructuredContent.Result) != `["Ada"]` {
			t.Fatalf("result: %s", r.text())
		}
	})
	t.Run("progress before the result", func(t *testing.T) {
		// The pauses keep each message in a read of its own: the SDK client
		// handles the notifications of one read after its responses (it
		// defers them to a microtask), so progress that shares a read with
		// the result would look late however the server ordered it. Wire
		// order without pauses is tested in package hosted and server.
		w := alice.watch(t, map[string]any{"name": "execute", "progress": true, "arguments": map[string]any{"code": `
for (let i = 0; i < 7; i++) {
  await workspace.list_files({});
  await new Promise((resolve) => setTimeout(resolve, 20));
}
return 7`}})
		var want []string
		for i := 1; i <= 7; i++ {
			want = append(want, fmt.Sprintf("progress %d/%d tool calls", i, i))
		}
		got := w.Events
		if transport == "sse" {
			// The SDK's SSE client reads whatever the stream holds in one go,
			// and handles the notifications of a read after its responses:
			// when the machine is slow, the last progress events may share a
			// read with the result and reach the SDK "late", as errors. Here
			// they count as delivered; the wire order is tested in hosted.
			got = slices.Concat(got[:len(got)-1], lateProgress(alice.errors(t)), got[len(got)-1:])
		}
		if diff := cmp.Diff(append(want, "result"), got); diff != "" {
			t.Errorf("events as the client saw them (-want +got):\n%s", diff)
		}
	})
	t.Run("console lines as log messages", func(t *testing.T) {
		alice.do(t, map[string]any{"op": "setLevel", "level": "info"})
		w := alice.watch(t, map[string]any{"name": "execute", "arguments": map[string]any{
			"code": `console.log("hello"); await new Promise((resolve) => setTimeout(resolve, 20)); 1`}})
		if diff := cmp.Diff([]string{"log info hello", "result"}, w.Events); diff != "" {
			t.Errorf("events (-want +got):\n%s", diff)
		}
	})
	t.Run("cancel", func(t *testing.T) {
		w := alice.watch(t, map[string]any{"name": "execute", "abortAfterMs": 700,
			"arguments": map[string]any{"code": `await testup.sleep({ ms: 20000 }); return "not reached"`}})
		if w.Aborted == "" || w.MS > 5000 {
			t.Fatalf("the call was not aborted: %+v", w)
		}
		srv.waitLog(t, `\[testup\] sleep cancelled after \d+ms`)
		srv.waitLog(t, `msg=execute outcome=cancelled`)
		if r := alice.execute(t, "return 2"); r.IsError {
			t.Errorf("after a cancel: %s", r.text())
		}
	})
	t.Run("workspaces by subject", func(t *testing.T) {
		bob := startHTTPSDK(t, transport, srv.endpoint(transport), tokenBob)
		alice.execute(t, `await workspace.write_file({ path: "secret.txt", content: "alice's" })`)
		if r := bob.execute(t, `return await workspace.read_file({ path: "secret.txt" })`); !r.IsError {
			t.Errorf("bob read alice's file: %s", r.text())
		}
		again := startHTTPSDK(t, transport, srv.endpoint(transport), tokenAlice)
		if r := again.execute(t, `return await workspace.read_file({ path: "secret.txt" })`); r.IsError || r.text() != `"alice's"` {
			t.Errorf("alice in a new session: %s", r.text())
		}
	})
	errs := alice.errors(t)
	if transport == "sse" {
		errs = slices.DeleteFunc(errs, func(e string) bool { return lateProgressRe.MatchString(e) })
	}
	if len(errs) > 0 {
		t.Errorf("the client reported errors (a late response, or on HTTP a late progress notification, would show here): %q", errs)
	}
}

var lateProgressRe = regexp.MustCompile(`^Received a progress notification for an unknown token: .*"message":"(\d+/\d+ tool calls)"`)

// lateProgress is "progress MESSAGE" for each progress notification the SDK
// reported as arriving after its request's response.
func lateProgress(errs []string) []string {
	var out []string
	for _, e := range errs {
		if m := lateProgressRe.FindStringSubmatch(e); m != nil {
			out = append(out, "progress "+m[1])
		}
	}
	return out
}

// TestHostedRefusesUnauthenticatedNonLoopback: serve on 0.0.0.0 without
// codemode.auth fails at start, saying how to configure it.
func TestHostedRefusesUnauthenticatedNonLoopback(t *testing.T) {
	var stdout, stderr strings.Builder
	code := run(t.Context(), []string{"serve", "--transport", "http", "--listen", "0.0.0.0:0"}, strings.NewReader(""), &stdout, &stderr)
	if code != exitUsage {
		t.Errorf("exit status %d, want %d", code, exitUsage)
	}
	for _, want := range []string{`--listen "0.0.0.0:0" is not a loopback address`, `"auth": {"tokens": ["${MCP_CODEMODE_TOKEN}"]}`, "listen on 127.0.0.1"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
		}
	}
}

// TestHostedSIGTERM: on SIGTERM the binary lets the execution in flight
// finish and answer, refuses new work, and exits 0. Its logs are JSON when
// asked, and name the request of an execution.
func TestHostedSIGTERM(t *testing.T) {
	cfg := writeConfig(t, map[string]any{"testup": upstreams(t)["testup"]}, nil)
	srv := startHosted(t, "http", cfg, "MCP_CODEMODE_LOG_FORMAT=json")
	post := func(session, body string) *http.Response {
		req, _ := http.NewRequest(http.MethodPost, srv.base+"/mcp", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		req.Header.Set("X-Request-Id", "sigterm-test-1")
		if session != "" {
			req.Header.Set("Mcp-Session-Id", session)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	resp := post("", `{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`)
	session := resp.Header.Get("Mcp-Session-Id")
	resp.Body.Close()
	answer := make(chan string, 1)
	go func() {
		r := post(session, `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"execute","arguments":{"code":"throw new Error('slept ' + await testup.sleep({ ms: 1500 }))"}}}`)
		b, _ := io.ReadAll(r.Body)
		r.Body.Close()
		answer <- string(b)
	}()
	time.Sleep(500 * time.Millisecond)
	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case a := <-answer:
		if !strings.Contains(a, "Error: slept 1500") {
			t.Errorf("the execution in flight answered %s", a)
		}
	case <-time.After(testenv.Within(20 * time.Second)):
		t.Fatal("no answer")
	}
	select {
	case <-srv.exited:
		if srv.err != nil {
			t.Errorf("exit: %v", srv.err)
		}
	case <-time.After(testenv.Within(20 * time.Second)):
		t.Fatal("the server did not exit")
	}
	var sawShutdown, sawExecute bool
	for _, line := range strings.Split(strings.TrimSpace(srv.stderr.String()), "\n") {
		var rec map[string]any
		if strings.HasPrefix(line, "[testup]") {
			continue
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Errorf("a log line is not JSON: %q", line)
			continue
		}
		sawShutdown = sawShutdown || rec["msg"] == "shutting down"
		sawExecute = sawExecute || rec["msg"] == "execute" && rec["request_id"] == "sigterm-test-1"
	}
	if !sawShutdown || !sawExecute {
		t.Errorf("logs lack the shutdown (%v) or the execution with its request id (%v):\n%s", sawShutdown, sawExecute, srv.stderr.String())
	}
}
