package hosted

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mcp-codemode/mcp-codemode/config"
)

// TestHostileSessions: what a client can do to the hosted server with
// sessions alone, which no script in the sandbox corpus can express. Each
// case holds one subject to its share: sessions are capped per subject and
// in total (429 with Retry-After and the cap's config key), an initialize
// is capped in size (413), and a session keeps only what it uses of it.
func TestHostileSessions(t *testing.T) {
	tests := []struct {
		name      string
		transport string
		config    config.Codemode
		run       func(t *testing.T, f *fixture)
	}{
		{"many sessions of one subject, streamable HTTP", HTTP,
			config.Codemode{MaxSessionsPerSubject: 3}, manySessionsHTTP},
		{"many sessions of one subject, SSE", SSE,
			config.Codemode{MaxSessionsPerSubject: 3}, manySessionsSSE},
		{"the server full, streamable HTTP", HTTP,
			config.Codemode{MaxSessionsPerSubject: 2, MaxSessions: 3}, serverFullHTTP},
		{"the server full, SSE", SSE,
			config.Codemode{MaxSessionsPerSubject: 2, MaxSessions: 3}, serverFullSSE},
		{"GET streams without a session id", HTTP,
			config.Codemode{MaxSessionsPerSubject: 2}, sessionlessStreams},
		{"GET streams of one session", HTTP, config.Codemode{}, sessionStreams},
		{"an initialize of 1 MB", HTTP, config.Codemode{}, hugeInitialize},
		{"an initialize of 1 MB, SSE", SSE, config.Codemode{}, hugeInitialize},
		{"large initializes, each kept small", HTTP,
			config.Codemode{MaxSessionsPerSubject: 1000}, largeInitializes},
		{"large initializes, SSE: the session keeps what it uses", SSE, config.Codemode{}, slimClientInfo},
		{"an SSE client that stops reading", SSE, config.Codemode{}, stopsReading},
		{"an SSE client that posts faster than it reads", SSE, config.Codemode{}, postsUnread},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixtureBody(t, authConfig(tt.config), tt.transport, DefaultMaxBodyBytes)
			tt.run(t, f)
		})
	}
	t.Run("slow uploads of one subject", func(t *testing.T) {
		slowUploads(t, newFixtureBody(t, authConfig(config.Codemode{}), HTTP, 256<<10))
	})
}

// slowUploads: request bodies being read or held by requests in flight
// count against the subject's budget (4 times the body cap) and the
// server's (32 times): a subject that uploads slowly, or many at once,
// is refused 429 past its share; another subject is served.
func slowUploads(t *testing.T, f *fixture) {
	const part = 255 << 10
	var pipes []*io.PipeWriter
	for range 4 {
		pr, pw := io.Pipe()
		pipes = append(pipes, pw)
		req, _ := http.NewRequest(http.MethodPost, f.srv.URL+"/mcp", pr)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tokenA)
		go func() {
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
			}
		}()
		go func() {
			_, _ = pw.Write([]byte(`{"jsonrpc":"2.0","id":1,"method":"ping","params":{"_meta":{"pad":"` + strings.Repeat("x", part-60)))
		}()
	}
	t.Cleanup(func() {
		for _, pw := range pipes {
			pw.CloseWithError(io.ErrUnexpectedEOF)
		}
	})
	held := func() int64 { f.h.bodies.mu.Lock(); defer f.h.bodies.mu.Unlock(); return f.h.bodies.all }
	waitFor(t, "the server to read alice's slow uploads", func() bool { return held() >= 4*(part-60) })
	resp := f.client(t, tokenA).post(bigInitialize(40 << 10))
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "1" {
		t.Fatalf("alice, her uploads holding %d bytes: %s, Retry-After %q; want 429, 1", held(), resp.Status, resp.Header.Get("Retry-After"))
	}
	want := "this subject's requests in flight hold too many bytes: the bodies of requests in flight may take " +
		"1048576 bytes for one subject (4 times the body cap); retry once some have finished"
	if got := refusal(t, resp); got != want {
		t.Errorf("message:\n got %q\nwant %q", got, want)
	}
	f.client(t, tokenB).initialize()
	for _, pw := range pipes {
		pw.CloseWithError(io.ErrUnexpectedEOF)
	}
	waitFor(t, "the uploads' bytes to be given back", func() bool { return held() == 0 })
	f.client(t, tokenA).initialize()
}

const wantTooManyHTTP = "too many sessions: this subject has 3 open, the most codemode.max_sessions_per_subject allows; " +
	"end one (DELETE /mcp with its Mcp-Session-Id header), or wait until one has been idle for 30m0s " +
	"(codemode.session_idle_timeout), or raise codemode.max_sessions_per_subject"

// manySessionsHTTP: alice's fourth session is refused; bob still gets
// one; alice gets one again once she ends one.
func manySessionsHTTP(t *testing.T, f *fixture) {
	var alice []*client
	for range 3 {
		alice = append(alice, f.client(t, tokenA).initialize())
	}
	resp := f.client(t, tokenA).post(initialize)
	checkTooMany(t, resp, wantTooManyHTTP)
	f.client(t, tokenB).initialize()
	if r := alice[0].do(http.MethodDelete, ""); r.StatusCode != http.StatusOK {
		t.Fatalf("DELETE: %s", r.Status)
	}
	f.client(t, tokenA).initialize()
	if n := f.h.sessions.count(); n != 4 {
		t.Errorf("%d sessions open, want 4", n)
	}
}

// manySessionsSSE: the same over SSE, where a session is a stream.
func manySessionsSSE(t *testing.T, f *fixture) {
	var alice []*sseClient
	for range 3 {
		alice = append(alice, f.sse(t, tokenA))
	}
	checkTooMany(t, getSSE(t, f, tokenA), strings.Replace(wantTooManyHTTP,
		"DELETE /mcp with its Mcp-Session-Id header", "close its /sse stream", 1))
	f.sse(t, tokenB)
	alice[0].cancel()
	waitFor(t, "alice's closed stream to end its session", func() bool { return f.h.sessions.count() == 3 })
	f.sse(t, tokenA)
}

// serverFullHTTP: with max_sessions taken, nobody gets one, and the error
// names max_sessions.
func serverFullHTTP(t *testing.T, f *fixture) {
	f.client(t, tokenA).initialize()
	f.client(t, tokenA).initialize()
	f.client(t, tokenB).initialize()
	checkTooMany(t, f.client(t, tokenB).post(initialize), "too many sessions: the server has 3 open, "+
		"the most codemode.max_sessions allows; end one (DELETE /mcp with its Mcp-Session-Id header), or wait until "+
		"one has been idle for 30m0s (codemode.session_idle_timeout), or raise codemode.max_sessions")
}

func serverFullSSE(t *testing.T, f *fixture) {
	f.sse(t, tokenA)
	f.sse(t, tokenA)
	f.sse(t, tokenB)
	checkTooMany(t, getSSE(t, f, tokenB), "too many sessions: the server has 3 open, "+
		"the most codemode.max_sessions allows; end one (close its /sse stream), or wait until "+
		"one has been idle for 30m0s (codemode.session_idle_timeout), or raise codemode.max_sessions")
}

// sessionlessStreams: a GET /mcp without a session id makes mcp-go open a
// session for the stream; it counts while the stream lasts, and is gone
// when it ends.
func sessionlessStreams(t *testing.T, f *fixture) {
	var cancels []context.CancelFunc
	for range 2 {
		ctx, cancel := context.WithCancel(context.Background())
		cancels = append(cancels, cancel)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, f.srv.URL+"/mcp", nil)
		req.Header.Set("Authorization", "Bearer "+tokenA)
		req.Header.Set("Accept", "text/event-stream")
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /mcp: %v %v", resp, err)
		}
		t.Cleanup(func() { cancel(); resp.Body.Close() })
	}
	c := f.client(t, tokenA)
	c.header["Accept"] = "text/event-stream"
	resp := c.do(http.MethodGet, "")
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("a third stream: %s, want 429", resp.Status)
	}
	for _, cancel := range cancels {
		cancel()
	}
	waitFor(t, "the streams' sessions to be forgotten", func() bool { return f.h.sessions.count() == 0 })
	f.client(t, tokenA).initialize()
}

// sessionStreams: a session listens on one GET stream at a time; another
// gets 409 until the first ends.
func sessionStreams(t *testing.T, f *fixture) {
	c := f.client(t, tokenA).initialize()
	c.header["Accept"] = "text/event-stream"
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, c.url, nil)
	req.Header.Set("Authorization", "Bearer "+tokenA)
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Mcp-Session-Id", c.session)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /mcp: %v %v", resp, err)
	}
	t.Cleanup(func() { cancel(); resp.Body.Close() })
	second := c.do(http.MethodGet, "")
	if second.StatusCode != http.StatusConflict {
		t.Fatalf("a second stream: %s, want 409", second.Status)
	}
	if msg := refusal(t, second); msg != "this session already has a GET stream open; "+
		"a session listens on one at a time: close the other first" {
		t.Errorf("message %q", msg)
	}
	cancel()
	waitFor(t, "the first stream to end", func() bool {
		f.h.sessions.mu.Lock()
		defer f.h.sessions.mu.Unlock()
		return !f.h.sessions.byID[c.session].listening
	})
	ctx2, cancel2 := context.WithCancel(context.Background())
	t.Cleanup(cancel2)
	again, err := http.DefaultClient.Do(req.Clone(ctx2))
	if err != nil || again.StatusCode != http.StatusOK {
		t.Fatalf("a stream after the first ended: %v %v", again, err)
	}
	again.Body.Close()
}

// hugeInitialize: an initialize over maxInitializeBytes (but within the
// body cap) is refused before any session opens.
func hugeInitialize(t *testing.T, f *fixture) {
	var resp *http.Response
	if f.h.opts.Transport == SSE {
		c := sseStream(t, f, tokenA)
		resp = c.postResp(bigInitialize(1 << 20))
	} else {
		resp = f.client(t, tokenA).post(bigInitialize(1 << 20))
	}
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("a 1 MB initialize: %s, want 413", resp.Status)
	}
	msg := refusal(t, resp)
	want := "over the 65536 this server accepts for one: a client's name, version and capabilities take a few hundred"
	if !strings.HasPrefix(msg, "the initialize request is 10") || !strings.HasSuffix(msg, want) {
		t.Errorf("message %q, want it to end %q", msg, want)
	}
}

// largeInitializes: sessions opened by initializes just under the cap,
// each with 60 KB of experimental capabilities and client info, keep a
// small part of it: the heap grows by far less than was sent.
func largeInitializes(t *testing.T, f *fixture) {
	const size = 60 << 10
	const sent = 8 << 20 // bytes of initializes, whatever the machine's speed
	n := sent / size
	msg := bigInitialize(size) // one string the client holds, n copies the server could keep
	before := heapAfterGC()
	for range n {
		req, _ := http.NewRequest(http.MethodPost, f.srv.URL+"/mcp", strings.NewReader(msg))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		req.Header.Set("Authorization", "Bearer "+tokenA)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body) // and the connection is reused
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Mcp-Session-Id") == "" {
			t.Fatalf("initialize: %s", resp.Status)
		}
	}
	grown := int64(heapAfterGC()) - int64(before)
	t.Logf("%d initializes of %d KB (%d MB): heap %+.1f MB, %.1f KB a session",
		n, size>>10, sent>>20, float64(grown)/(1<<20), float64(grown)/float64(n)/1024)
	if f.h.sessions.count() != n {
		t.Fatalf("%d sessions open, want %d", f.h.sessions.count(), n)
	}
	if grown > sent/3 { // sessions keeping their initialize grow it by more than sent
		t.Errorf("the heap grew by %d bytes for %d sessions opened with %d bytes: sessions keep their initialize", grown, n, sent)
	}
}

// slimClientInfo: over SSE the session's Conn keeps the client info; it
// holds the name cut to maxClientField bytes and no experimental
// capabilities, but keeps the capabilities the server uses.
func slimClientInfo(t *testing.T, f *fixture) {
	c := sseStream(t, f, tokenA)
	if r := c.postResp(bigInitialize(60 << 10)); r.StatusCode != http.StatusAccepted {
		t.Fatalf("initialize: %s", r.Status)
	}
	c.until(0)
	conns := f.h.sse.each()
	if len(conns) != 1 {
		t.Fatalf("%d conns", len(conns))
	}
	info, caps := conns[0].GetClientInfo(), conns[0].GetClientCapabilities()
	if len(info.Name) != maxClientField || info.Version != "1" || info.Description != "" {
		t.Errorf("client info kept: name of %d bytes, version %q, description of %d bytes; want %d, \"1\", 0",
			len(info.Name), info.Version, len(info.Description), maxClientField)
	}
	if caps.Experimental != nil || caps.Elicitation == nil || caps.Roots == nil || !caps.Roots.ListChanged {
		t.Errorf("capabilities kept: experimental %d entries, elicitation %v, roots %v; want elicitation and roots, no experimental",
			len(caps.Experimental), caps.Elicitation != nil, caps.Roots)
	}
}

// stopsReading: a client that posts requests to its SSE session but no
// longer reads the stream does not make their answers pile up in the
// server: once a write to the stream has waited writeTimeout, the session
// ends, and so do its requests.
func stopsReading(t *testing.T, f *fixture) {
	f.h.sse.writeTimeout = 300 * time.Millisecond
	c := unreadSSE(t, f)
	const answer = 20_000
	const most = 64 << 20 // bytes of answers posted for, whatever the machine's speed
	for n := 1; n*answer < most; n++ {
		r := c.post(executeReq(n, fmt.Sprintf(`return "x".repeat(%d)`, answer), ""))
		if r.StatusCode == http.StatusNotFound {
			t.Logf("the session ended after %d requests (%d MB of answers)", n-1, (n-1)*answer>>20)
			return
		}
	}
	t.Fatalf("the session of a client that stopped reading still takes requests after %d MB of answers", most>>20)
}

// postsUnread: before that, requests whose answers wait for the stream
// are capped at maxUnanswered: one more gets 429.
func postsUnread(t *testing.T, f *fixture) {
	c := unreadSSE(t, f)
	const answer = 20_000
	const most = 64 << 20
	for n := 1; n*answer < most; n++ {
		r := c.postResp(executeReq(n, fmt.Sprintf(`return "x".repeat(%d)`, answer), ""))
		if r.StatusCode == http.StatusTooManyRequests {
			t.Logf("refused after %d requests (%d MB of answers)", n-1, (n-1)*answer>>20)
			want := "this session has 64 requests unanswered, the most an SSE session may have: " +
				"read their answers from its /sse stream before posting more"
			if got := refusal(t, r); got != want || r.Header.Get("Retry-After") != "1" {
				t.Errorf("429 with Retry-After %q, message %q; want 1, %q", r.Header.Get("Retry-After"), got, want)
			}
			return
		}
		r.Body.Close()
	}
	t.Fatalf("a client that does not read still posts requests after %d MB of answers", most>>20)
}

// unreadSSE opens an SSE session, initializes it, and never reads its
// stream again.
func unreadSSE(t *testing.T, f *fixture) *sseClient {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, f.srv.URL+"/sse", nil)
	req.Header.Set("Authorization", "Bearer "+tokenA)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	c := &sseClient{t: t, base: f.srv.URL, token: tokenA}
	sc := bufio.NewScanner(resp.Body)
	for c.endpoint == "" && sc.Scan() {
		if ep, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			c.endpoint = ep
		}
	}
	c.post(initialize)
	return c
}

// bigInitialize is an initialize of about size bytes: mostly experimental
// capabilities, with a long client name and description.
func bigInitialize(size int) string {
	pad := strings.Repeat("x", max(size-2400, 0))
	long := strings.Repeat("n", 1000)
	return `{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18",` +
		`"capabilities":{"elicitation":{},"roots":{"listChanged":true},"experimental":{"pad":"` + pad + `"}},` +
		`"clientInfo":{"name":"` + long + `","version":"1","description":"` + long + `"}}}`
}

// checkTooMany checks a 429: Retry-After within the idle timeout, and the
// JSON-RPC error's message.
func checkTooMany(t *testing.T, resp *http.Response, want string) {
	t.Helper()
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("status %s, want 429 (%s)", resp.Status, body(resp))
	}
	if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || s < 1 || s > 1800 {
		t.Errorf("Retry-After %q, want seconds until a session of the cap expires idle (at most 1800)", resp.Header.Get("Retry-After"))
	}
	if got := refusal(t, resp); got != want {
		t.Errorf("message:\n got %q\nwant %q", got, want)
	}
}

// refusal is the message of a JSON-RPC error body.
func refusal(t *testing.T, resp *http.Response) string {
	t.Helper()
	var m struct {
		Error struct {
			Code    int
			Message string
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil || m.Error.Code != -32600 {
		t.Fatalf("not a JSON-RPC error body: %v %+v", err, m)
	}
	return m.Error.Message
}

// getSSE opens GET /sse and returns the response, whatever its status.
func getSSE(t *testing.T, f *fixture, token string) *http.Response {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, f.srv.URL+"/sse", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); resp.Body.Close() })
	return resp
}

func heapAfterGC() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 10 s for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
