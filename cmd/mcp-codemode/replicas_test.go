package main

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcp-codemode/mcp-codemode/internal/testenv"
)

// replicaSetup is what every replica of a test shares: one configuration
// (two subjects' tokens, the database, the test upstream, testup.noise
// behind an approval) and its environment.
type replicaSetup struct {
	pg     *testenv.PGServer
	config string
	env    []string
}

func newReplicaSetup(t *testing.T) *replicaSetup {
	t.Helper()
	haproxyPath(t) // skip (or fail under CI) before starting anything
	pg := testenv.PostgresServer(t)
	cfg := writeConfig(t, map[string]any{"testup": upstreams(t)["testup"]}, map[string]any{
		"auth":         map[string]any{"tokens": []string{"${ALICE}", "${BOB}"}},
		"database_url": "${DATABASE_URL}",
		// A new connection to a PostgreSQL just restarted, on a machine
		// busy with -race tests, once took over the default 5 s.
		"database_connect_timeout": testenv.Within(5 * time.Second).String(),
		"require_approval":         []string{"testup.noise"},
		// the test's clients are one subject (stateless: one session too)
		"max_sessions_per_subject": 64, "max_concurrent_per_subject": 64, "max_concurrent_per_session": 64,
	})
	return &replicaSetup{pg: pg, config: cfg,
		env: []string{"ALICE=" + tokenAlice, "BOB=" + tokenBob, "DATABASE_URL=" + pg.NewDatabase(t)}}
}

// TestReplicas runs three replicas of the built binary on one PostgreSQL
// database behind HAProxy (round robin, no stickiness: deploy/haproxy.cfg)
// and checks README "Run several replicas" through the balancer: any replica serves a 2026-07-28
// request or a legacy session's, the workspace is the same on every
// replica, a cancel and an elicitation answer that reach another replica
// than the execution's take effect, PostgreSQL stopping fails only what
// needs it and recovers by itself, and a replica killed under load fails
// only its own requests in flight, losing no acknowledged write.
func TestReplicas(t *testing.T) {
	setup := newReplicaSetup(t)
	c := startCluster(t, 3, setup.config, setup.env...)
	t.Run("stateless requests land on every replica", func(t *testing.T) { replicasStateless(t, c) })
	t.Run("a legacy session on every replica", func(t *testing.T) { replicasLegacySession(t, c) })
	t.Run("workspace written on one replica, read on the others", func(t *testing.T) { replicasWorkspace(t, c) })
	t.Run("cancel crosses replicas", func(t *testing.T) { replicasCancel(t, c) })
	t.Run("elicitation answer crosses replicas", func(t *testing.T) { replicasElicitation(t, c) })
	t.Run("PostgreSQL stopped and restarted", func(t *testing.T) { replicasOutage(t, c, setup.pg) })
	t.Run("kill -9 of one replica under load", func(t *testing.T) { replicasKill(t, c) })
}

// TestReplicasSSE: an SSE session through the balancer. Its stream stays
// on one replica, and the messages the client posts reach any replica:
// those that reach another are forwarded to the stream's replica, which
// runs every call.
func TestReplicasSSE(t *testing.T) {
	setup := newReplicaSetup(t)
	// debug: each replica logs every HTTP request it serves
	c := startClusterOf(t, "sse", 3, setup.config, append(setup.env, "MCP_CODEMODE_LOG_LEVEL=debug")...)
	sdk := startHTTPSDK(t, "sse", c.lb+"/sse", tokenAlice)
	served := c.servedBy(t, sdk, 6)
	posted := map[string]int{}
	for _, r := range c.replicas {
		if n := r.count(postedMessage); n > 0 {
			posted[c.name(r)] = n
		}
	}
	t.Logf("calls of one SSE session by replica: %v; its messages posted by replica: %v", served, posted)
	if len(served) != 1 {
		t.Errorf("the session's calls ran on %v, want the one replica holding its stream", served)
	}
	if len(posted) != len(c.replicas) {
		t.Errorf("the session's messages reached %v, want every replica", posted)
	}
	if errs := sdk.errors(t); len(errs) > 0 {
		t.Errorf("the client reported errors: %q", errs)
	}
}

// servedBy makes n calls of sdk's session and counts them by the replica
// that ran each (its testup's pid says which).
func (c *cluster) servedBy(t *testing.T, sdk *sdkClient, n int) map[string]int {
	t.Helper()
	served := map[string]int{}
	for range n {
		r := sdk.execute(t, "return await testup.pid()")
		if r.IsError {
			t.Fatalf("execute: %s", r.text())
		}
		pid, _ := strconv.Atoi(r.text())
		rep := c.byPid(pid)
		if rep == nil {
			t.Fatalf("testup pid %s belongs to no replica", r.text())
		}
		served[c.name(rep)]++
	}
	return served
}

var postedMessage = regexp.MustCompile(`msg=http method=POST path=/message status=202`)

// statelessClient is mcp-go's client on 2026-07-28 (no session) at url,
// its requests noted in rt when rt is not nil.
func statelessClient(t testing.TB, url, token string, rt *routes) *client.Client {
	t.Helper()
	if rt == nil {
		rt = newRoutes()
	}
	return mcpClientVersion(t, url, token, rt.client(), mcp.ProtocolVersion20260728)
}

// execText runs code and returns the result's text, failing t on an error
// of the call or of the script.
func execText(t testing.TB, c *client.Client, code string) string {
	t.Helper()
	return execTextCtx(t, context.Background(), c, code)
}

// execTextCtx is execText with a context (whose values the client's HTTP
// requests carry).
func execTextCtx(t testing.TB, ctx context.Context, c *client.Client, code string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, testenv.Within(30*time.Second))
	defer cancel()
	r, err := callExecute(ctx, c, code)
	if err != nil {
		t.Fatalf("execute %q: %v", code, err)
	}
	if r.IsError {
		t.Fatalf("execute %q: %s", code, textOf(r.Content))
	}
	return textOf(r.Content)
}

func replicasStateless(t *testing.T, c *cluster) {
	const n = 12
	before := make([]int, len(c.replicas))
	for i, r := range c.replicas {
		before[i] = r.executions(t, tokenAlice)
	}
	cl := statelessClient(t, c.lb+"/mcp", tokenAlice, nil)
	for range n {
		if got := execText(t, cl, "return 6 * 7"); got != "42" {
			t.Fatalf("execute: %q", got)
		}
	}
	total := 0
	for i, r := range c.replicas {
		d := r.executions(t, tokenAlice) - before[i]
		t.Logf("r%d ran %d executions", i+1, d)
		if d == 0 {
			t.Errorf("r%d ran none of the %d executions", i+1, n)
		}
		total += d
	}
	if total != n {
		t.Errorf("the replicas ran %d executions, want %d", total, n)
	}
}

// replicasLegacySession: the official TypeScript SDK client opens one
// session (2025-11-25) through the balancer and uses it for calls that
// land on every replica (each answers with its own testup's pid).
func replicasLegacySession(t *testing.T, c *cluster) {
	sdk := startHTTPSDK(t, "http", c.lb+"/mcp", tokenAlice)
	served := c.servedBy(t, sdk, 9)
	t.Logf("calls of one session by replica: %v", served)
	if len(served) != len(c.replicas) {
		t.Errorf("the session's calls ran on %v, want every replica", served)
	}
	if errs := sdk.errors(t); len(errs) > 0 {
		t.Errorf("the client reported errors: %q", errs)
	}
}

// replicasWorkspace writes through r1 directly and reads through r2 and r3;
// another subject sees none of it.
func replicasWorkspace(t *testing.T, c *cluster) {
	w := statelessClient(t, c.replicas[0].endpoint("http"), tokenAlice, nil)
	execText(t, w, `await workspace.write_file({ path: "shared/from-r1.txt", content: "written on r1" })`)
	for _, r := range c.replicas[1:] {
		cl := statelessClient(t, r.endpoint("http"), tokenAlice, nil)
		if got := execText(t, cl, `return await workspace.read_file({ path: "shared/from-r1.txt" })`); got != `"written on r1"` {
			t.Errorf("%s reads %s", c.name(r), got)
		}
	}
	bob := statelessClient(t, c.replicas[1].endpoint("http"), tokenBob, nil)
	if got := execText(t, bob, `return await workspace.list_files({})`); got != "[]" {
		t.Errorf("another subject on r2 sees %s", got)
	}
}

// replicasCancel: an execution waiting in an upstream call on one replica
// is cancelled by a notifications/cancelled that the balancer sends to
// another: the upstream sees the cancel, and the call's stream ends without
// a result, within a second (stretched by testenv.Slack).
func replicasCancel(t *testing.T, c *cluster) {
	rt := newRoutes()
	s := openRaw(t, c.lb+"/mcp", tokenAlice, rt.client())
	crossed := 0
	for id := 1; id <= 3; id++ {
		took, running, reached := cancelOnce(t, c, s, id)
		t.Logf("call %d ran on %s, its cancel reached %s; the stream ended %v after the cancel", id, running, reached, took)
		if running != reached {
			crossed++
		}
	}
	if crossed == 0 {
		t.Error("no cancel reached another replica than its call's: the balancer is not round robin")
	}
}

var sleepCancelled = regexp.MustCompile(`\[testup\] sleep cancelled after`)

// cancelOnce starts a call that waits in testup.sleep, cancels it, and
// checks that it stopped: it returns how long after the cancel the call's
// stream ended, and the replicas of the call and of the cancel.
func cancelOnce(t *testing.T, c *cluster, s *rawSession, id int) (took time.Duration, running, reached string) {
	t.Helper()
	call := s.start(t, id, `await testup.pid(); await testup.sleep({ ms: 60000 }); return "not cancelled"`)
	rep := c.byName(call.served)
	if rep == nil {
		t.Fatalf("the call was served by %q, not a replica", call.served)
	}
	cancelledBefore := rep.count(sleepCancelled)
	select {
	case <-call.progress: // testup.pid settled: the sleep is next
	case <-time.After(testenv.Within(10 * time.Second)):
		t.Fatal("no progress from the call")
	}
	// The script calls testup.sleep next: let the call reach the upstream
	// (a cancel before it would stop the run without the upstream seeing
	// one).
	time.Sleep(testenv.Within(50 * time.Millisecond))
	sent := time.Now()
	reached = s.cancel(t, id)
	select {
	case <-call.done:
	case <-time.After(testenv.Within(time.Second)):
		t.Fatalf("the call on %s was still running %v after a cancel that reached %s", call.served, testenv.Within(time.Second), reached)
	}
	took = call.ended.Sub(sent)
	if call.result != "" {
		t.Errorf("a cancelled call was answered: %s", call.result)
	}
	waitFor(t, fmt.Sprintf("testup on %s to see the cancel", call.served), func() bool { return rep.count(sleepCancelled) > cancelledBefore })
	return took, call.served, reached
}

// busBack: after PostgreSQL's restart, a cancel that reaches another
// replica than its call's takes effect again. Each replica's LISTEN
// connection comes back with a backoff of its own, so the cancel is sent
// again each second until the call stops.
func busBack(t *testing.T, c *cluster) {
	s := openRaw(t, c.lb+"/mcp", tokenAlice, newRoutes().client())
	call := s.start(t, 1, `await testup.pid(); await testup.sleep({ ms: 60000 }); return "not cancelled"`)
	select {
	case <-call.progress:
	case <-time.After(testenv.Within(10 * time.Second)):
		t.Fatal("no progress from the call")
	}
	time.Sleep(testenv.Within(50 * time.Millisecond))
	start := time.Now()
	deadline := start.Add(testenv.Within(15 * time.Second))
	for sent := 0; ; sent++ {
		if reached := s.cancel(t, 1); reached == call.served {
			t.Fatalf("the cancel reached %s, the call's own replica", reached)
		}
		select {
		case <-call.done:
			t.Logf("the call on %s stopped %v after the first cancel (%d sent)", call.served, call.ended.Sub(start), sent+1)
			if call.result != "" {
				t.Errorf("a cancelled call was answered: %s", call.result)
			}
			return
		case <-time.After(time.Second):
		}
		if time.Now().After(deadline) {
			t.Fatalf("the call on %s still runs %v after the first of %d cancels", call.served, time.Since(start), sent+1)
		}
	}
}

// waitFor polls cond for up to testenv.Within(5 s).
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(testenv.Within(5 * time.Second))
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited in vain for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// answers is mcp-go's elicitation handler answering from a queue.
type answers struct {
	mu    sync.Mutex
	queue []mcp.ElicitationResponseAction
	asked []string
}

func (a *answers) push(action mcp.ElicitationResponseAction) {
	a.mu.Lock()
	a.queue = append(a.queue, action)
	a.mu.Unlock()
}

func (a *answers) Elicit(_ context.Context, req mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.asked = append(a.asked, req.Params.Message)
	action := mcp.ElicitationResponseActionCancel
	if len(a.queue) > 0 {
		action, a.queue = a.queue[0], a.queue[1:]
	}
	return &mcp.ElicitationResult{ElicitationResponse: mcp.ElicitationResponse{Action: action}}, nil
}

// legacyElicitClient is mcp-go's client on 2025-11-25 at url, answering
// elicitations from a.
func legacyElicitClient(t testing.TB, url, token string, rt *routes, a *answers) *client.Client {
	t.Helper()
	tr, err := transport.NewStreamableHTTP(url, transport.WithHTTPBasicClient(rt.client()),
		transport.WithHTTPHeaders(map[string]string{"Authorization": "Bearer " + token}))
	if err != nil {
		t.Fatal(err)
	}
	c := client.NewClient(tr, client.WithProtocolVersion(rev20251125), client.WithElicitationHandler(a))
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	req := mcp.InitializeRequest{}
	req.Params.ProtocolVersion = rev20251125
	req.Params.ClientInfo = mcp.Implementation{Name: "replicas", Version: "1"}
	if _, err := c.Initialize(context.Background(), req); err != nil {
		t.Fatalf("initialize: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

var noiseCalled = regexp.MustCompile(`\[testup\] noise on stderr`)

// noises counts the calls of testup.noise on every replica.
func (c *cluster) noises() int {
	n := 0
	for _, r := range c.replicas {
		n += r.count(noiseCalled)
	}
	return n
}

// replicasElicitation: testup.noise needs approval; the legacy client's
// answer to the elicitation/create that came on the call's stream reaches
// another replica, which forwards it: accepted, the call proceeds and the
// upstream is called once; declined, the script gets an ApprovalError and
// the upstream is not called.
func replicasElicitation(t *testing.T, c *cluster) {
	rt := newRoutes()
	a := &answers{}
	cl := legacyElicitClient(t, c.lb+"/mcp", tokenAlice, rt, a)
	cases := []struct {
		action mcp.ElicitationResponseAction
		want   string
		calls  int
	}{
		{mcp.ElicitationResponseActionAccept, `"ok"`, 1},
		{mcp.ElicitationResponseActionDecline, `"ApprovalError: the user declined the call of testup.noise"`, 0},
	}
	for _, tc := range cases {
		before, answered := c.noises(), len(rt.of("response"))
		a.push(tc.action)
		rec := newHopRec()
		got := execTextCtx(t, withHop(context.Background(), rec), cl, `try { return await testup.noise() } catch (e) { return e.name + ": " + e.message }`)
		if got != tc.want {
			t.Errorf("%s: execute = %s, want %s", tc.action, got, tc.want)
		}
		answers := rt.await("response", answered+1)
		if len(answers) <= answered {
			t.Fatalf("%s: the client sent no answer", tc.action)
		}
		last, h := answers[len(answers)-1], rec.get()
		t.Logf("%s: the call ran on %s, its answer reached %s", tc.action, h.served, last.served)
		if last.served == h.served || last.served == "" {
			t.Errorf("%s: the answer reached %q, the call ran on %q: the answer did not cross replicas", tc.action, last.served, h.served)
		}
		if tc.calls > 0 {
			waitFor(t, "testup.noise to be called", func() bool { return c.noises() >= before+tc.calls })
		}
		if n := c.noises() - before; n != tc.calls {
			t.Errorf("%s: testup.noise was called %d times, want %d", tc.action, n, tc.calls)
		}
	}
	if len(a.asked) != len(cases) {
		t.Errorf("the client was asked %d times, want %d", len(a.asked), len(cases))
	}
}

// ackedWrite runs an execution that writes path and returns it; true says the
// server acknowledged the write.
func ackedWrite(ctx context.Context, c *client.Client, path string) bool {
	r, err := callExecute(ctx, c, fmt.Sprintf(`await workspace.write_file({ path: %q, content: %q }); return %q`, path, path, path))
	return err == nil && !r.IsError && textOf(r.Content) == strconv.Quote(path)
}

// readBack checks that every path holds its own name, reading through c in
// batches within max_tool_calls.
func readBack(t testing.TB, c *client.Client, paths []string) {
	t.Helper()
	for len(paths) > 0 {
		batch := paths[:min(len(paths), 150)]
		paths = paths[len(batch):]
		list, _ := json.Marshal(batch)
		got := execText(t, c, fmt.Sprintf(`const missing = [];
for (const p of %s) {
  try { if (await workspace.read_file({ path: p }) !== p) missing.push(p + " (changed)") } catch (e) { missing.push(p + " (" + e.message + ")") }
}
return missing`, list))
		if got != "[]" {
			t.Errorf("acknowledged writes lost: %s", got)
		}
	}
}

func replicasOutage(t *testing.T, c *cluster, pg *testenv.PGServer) {
	cl := statelessClient(t, c.lb+"/mcp", tokenAlice, nil)
	var acked []string
	ctx := context.Background()
	for i := range 5 {
		p := fmt.Sprintf("outage/before-%d.txt", i)
		if !ackedWrite(ctx, cl, p) {
			t.Fatalf("writing %s before the outage failed", p)
		}
		acked = append(acked, p)
	}
	if err := pg.Stop(); err != nil {
		t.Fatalf("stopping PostgreSQL: %v", err)
	}
	for _, r := range c.replicas {
		waitFor(t, c.name(r)+"'s /readyz to answer 503", func() bool { return r.readyz() == 503 })
	}
	// HAProxy sees it too, and falls back to the live replicas
	// (deploy/haproxy.cfg).
	waitFor(t, "HAProxy to take every replica out of rotation", func() bool {
		return strings.Contains(c.output.String(), "backend 'ready' has no server available")
	})
	t.Run("executions without the store run", func(t *testing.T) {
		for range len(c.replicas) {
			if got := execText(t, cl, "return 6 * 7"); got != "42" {
				t.Errorf("execute: %s", got)
			}
		}
	})
	t.Run("the store's calls fail with StoreError", func(t *testing.T) {
		for _, code := range []string{
			`return await workspace.read_file({ path: "outage/before-0.txt" })`,
			`await workspace.write_file({ path: "outage/during.txt", content: "x" })`,
		} {
			r, err := callExecute(ctx, cl, code)
			if err != nil {
				t.Fatalf("execute: %v", err)
			}
			if text := textOf(r.Content); !r.IsError || !strings.HasPrefix(text, "StoreError: ") {
				t.Errorf("%s during the outage: %s", code, text)
			}
		}
	})
	seen := len(c.output.String())
	if err := pg.Start(); err != nil {
		t.Fatalf("starting PostgreSQL again: %v", err)
	}
	for _, r := range c.replicas {
		waitFor(t, c.name(r)+"'s /readyz to answer 200 again", func() bool { return r.readyz() == 200 })
		waitFor(t, "HAProxy to put "+c.name(r)+" back in rotation", func() bool {
			return strings.Contains(c.output.String()[seen:], "Server ready/"+c.name(r)+" is UP")
		})
	}
	if !ackedWrite(ctx, cl, "outage/after.txt") {
		t.Error("a write after the outage failed")
	}
	readBack(t, cl, append(acked, "outage/after.txt"))
	t.Run("the bus is back", func(t *testing.T) { busBack(t, c) })
}

// loadCall is one execution of the kill test's load as its client saw it.
type loadCall struct {
	client int
	path   string
	hop    *hopRec
	ok     bool
	err    string
}

// replicasKill: six clients (three in legacy sessions, three stateless)
// loop through the balancer, each execution writing a file and then waiting
// in an upstream call, while r2 is killed with SIGKILL. Only calls in flight
// on r2 fail; every session carries on through the others; every
// acknowledged write reads back.
func replicasKill(t *testing.T, c *cluster) {
	victim := c.replicas[1]
	rt := newRoutes()
	clients := make([]*client.Client, 6)
	for i := range clients {
		if i%2 == 0 {
			clients[i] = legacyElicitClient(t, c.lb+"/mcp", tokenAlice, rt, &answers{})
		} else {
			clients[i] = statelessClient(t, c.lb+"/mcp", tokenAlice, rt)
		}
	}
	// One of the sessions was created on r2, which will be gone.
	for !slices.ContainsFunc(rt.of("initialize"), func(h hop) bool { return h.served == "r2" }) {
		if len(rt.of("initialize")) >= 6 {
			t.Fatal("no session was created on r2: the balancer is not round robin")
		}
		clients[0] = legacyElicitClient(t, c.lb+"/mcp", tokenAlice, rt, &answers{})
	}
	var created []string
	for _, h := range rt.of("initialize") {
		created = append(created, h.served)
	}
	t.Logf("the legacy sessions were created on %v", created)
	var mu sync.Mutex
	var calls []loadCall
	inFlightOnVictim := make(chan struct{}, 1)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for k, cl := range clients {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				lc := loadCall{client: k, path: fmt.Sprintf("load/%d-%d.txt", k, i), hop: newHopRec()}
				lc.ok, lc.err = loadExecute(cl, &lc, inFlightOnVictim)
				mu.Lock()
				calls = append(calls, lc)
				mu.Unlock()
			}
		})
	}
	select {
	case <-inFlightOnVictim:
	case <-time.After(testenv.Within(20 * time.Second)):
		t.Fatal("no execution ran on r2")
	}
	signalled := time.Now()
	if err := victim.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	// SIGKILL takes effect as the process exits; from when it has been
	// reaped, nothing can be in flight on it.
	var killed time.Time
	select {
	case <-victim.exited:
		killed = time.Now()
		t.Logf("r2 was reaped %v after SIGKILL", killed.Sub(signalled))
	case <-time.After(testenv.Within(5 * time.Second)):
		t.Fatal("r2 did not die of SIGKILL")
	}
	// The load runs on, through r1 and r3, until every client has had an
	// execution succeed after the kill (a second at least).
	time.Sleep(time.Second)
	deadline := time.Now().Add(testenv.Within(10 * time.Second))
	for time.Now().Before(deadline) {
		mu.Lock()
		n := len(succeededAfter(calls, killed))
		mu.Unlock()
		if n == len(clients) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	checkKill(t, calls, killed)
	var acked []string
	for _, lc := range calls {
		if lc.ok {
			acked = append(acked, lc.path)
		}
	}
	readBack(t, statelessClient(t, c.lb+"/mcp", tokenAlice, nil), acked)
}

// loadExecute writes lc.path and waits in testup.sleep, with a progress
// token so that the answer turns into a stream (whose headers name the
// replica) once the write is done; it signals inFlight when that replica is
// r2.
func loadExecute(cl *client.Client, lc *loadCall, inFlight chan struct{}) (bool, string) {
	ctx, cancel := context.WithTimeout(withHop(context.Background(), lc.hop), 60*time.Second)
	defer cancel()
	req := mcp.CallToolRequest{}
	req.Params.Name = "execute"
	req.Params.Arguments = map[string]any{"code": fmt.Sprintf(
		`await workspace.write_file({ path: %q, content: %q }); await testup.sleep({ ms: 300 }); return %q`, lc.path, lc.path, lc.path)}
	req.Params.Meta = &mcp.Meta{ProgressToken: lc.path}
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-done:
		case <-lc.hop.filled:
			if lc.hop.h.served == "r2" {
				select {
				case inFlight <- struct{}{}:
				default:
				}
			}
		}
	}()
	r, err := cl.CallTool(ctx, req)
	switch {
	case err != nil:
		return false, err.Error()
	case r.IsError || textOf(r.Content) != strconv.Quote(lc.path):
		return false, textOf(r.Content)
	}
	return true, ""
}

// succeededAfter are the clients that had an execution start after the
// kill and succeed.
func succeededAfter(calls []loadCall, killed time.Time) map[int]bool {
	ok := map[int]bool{}
	for _, lc := range calls {
		if lc.ok && lc.hop.get().start.After(killed) {
			ok[lc.client] = true
		}
	}
	return ok
}

// checkKill: every call that failed was on r2 (or had no answer from any
// replica) and had started before it died; some did; every client
// succeeded after it.
func checkKill(t *testing.T, calls []loadCall, killed time.Time) {
	t.Helper()
	failed := 0
	for _, lc := range calls {
		h := lc.hop.get()
		if lc.ok {
			continue
		}
		failed++
		// A request that r2 had not answered yet when it died gets no
		// response at all: HAProxy closes the connection, naming no
		// replica. It must still have been sent before the kill.
		unanswered := h.served == "" && h.err != nil
		if (h.served != "r2" && !unanswered) || !h.start.Before(killed) {
			t.Errorf("client %d: %s failed on %q, started %v after r2 died: %s", lc.client, lc.path, h.served, h.start.Sub(killed), lc.err)
		}
	}
	t.Logf("%d executions, %d failed (in flight on r2 when it was killed)", len(calls), failed)
	if failed == 0 {
		t.Error("no execution failed, though one was in flight on r2 when it was killed")
	}
	recovered := succeededAfter(calls, killed)
	for k := range 6 {
		if !recovered[k] {
			t.Errorf("client %d had no execution succeed after the kill", k)
		}
	}
}
