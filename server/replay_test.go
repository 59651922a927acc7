package server

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcp-codemode/mcp-codemode/config"
	"github.com/mcp-codemode/mcp-codemode/internal/testenv"
	"github.com/mcp-codemode/mcp-codemode/runs"
	"github.com/mcp-codemode/mcp-codemode/store"
	"github.com/mcp-codemode/mcp-codemode/tools"
)

// counted is a registry of tools that count their calls: t.read (free),
// t.send (needs approval) and t.stamp (returns its argument).
type counted struct {
	mu    sync.Mutex
	calls map[string]int
	args  map[string][]string
	// slowStarted is closed when t.slow is called; t.wait waits for it.
	slowStarted chan struct{}
}

func (c *counted) count(name string, args json.RawMessage) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls[name]++
	c.args[name] = append(c.args[name], string(args))
}

func (c *counted) n(name string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls[name]
}

func replayServer(t testing.TB, pauses PauseStore) (*Server, *counted) {
	t.Helper()
	c := &counted{calls: map[string]int{}, args: map[string][]string{}, slowStarted: make(chan struct{})}
	tool := func(name string) tools.Tool {
		return tools.Tool{Server: "t", Name: name, Handler: func(_ context.Context, args json.RawMessage) (*mcp.CallToolResult, error) {
			switch name {
			case "slow":
				close(c.slowStarted)
				time.Sleep(50 * time.Millisecond) // still in flight when the run pauses
			case "wait":
				<-c.slowStarted
			}
			c.count(name, args)
			return mcp.NewToolResultText(fmt.Sprintf(`{"tool":%q,"n":%d}`, name, c.n(name))), nil
		}}
	}
	reg := tools.NewRegistry(tools.Options{})
	if err := reg.Add(tool("read"), tool("send"), tool("stamp"), tool("slow"), tool("wait")); err != nil {
		t.Fatal(err)
	}
	return New(reg, Options{Limits: config.Codemode{RequireApproval: []string{"t.send"}}, Pauses: pauses}), c
}

// modernMeta is the _meta of a 2026-07-28 request from a client that can
// be asked.
const modernMeta = `{"io.modelcontextprotocol/protocolVersion":"2026-07-28",
	"io.modelcontextprotocol/clientCapabilities":{"elicitation":{"form":{}}}}`

// call sends one execute through mcp-go as a 2026-07-28 request and
// returns the result's JSON.
func call(t testing.TB, s *Server, code, state string, answer any) map[string]any {
	t.Helper()
	return callWith(t, s, modernMeta, code, state, answer)
}

func callWith(t testing.TB, s *Server, meta, code, state string, answer any) map[string]any {
	t.Helper()
	params := map[string]any{"name": "execute", "arguments": map[string]any{"code": code}, "_meta": json.RawMessage(meta)}
	if state != "" {
		params["requestState"] = state
	}
	if answer != nil {
		params["inputResponses"] = map[string]any{"approval": answer}
	}
	msg, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": params})
	out, _ := json.Marshal(s.MCP().HandleMessage(context.Background(), msg))
	var resp struct {
		Result map[string]any
		Error  any
	}
	if err := json.Unmarshal(out, &resp); err != nil || resp.Result == nil {
		t.Fatalf("response %s", out)
	}
	return resp.Result
}

func text(res map[string]any) string {
	var b strings.Builder
	for _, c := range res["content"].([]any) {
		b.WriteString(c.(map[string]any)["text"].(string))
	}
	return b.String()
}

// TestApprovalByReplay: a 2026-07-28 client is asked through
// input_required; its retry resumes the run by replaying it, so every call
// made before the pause happens once, randomness and time included, and
// the answer decides the gated call.
func TestApprovalByReplay(t *testing.T) {
	const code = `const r = Math.random(); const when = Date.now();
		const a = await t.read({});
		const b = await t.stamp({r, when});
		const sent = await t.send({to: "bob", r});
		return {a, b, sent, r, when}`
	for _, tt := range []struct {
		name   string
		answer any
		want   string
	}{
		{"accept", map[string]any{"action": "accept", "content": map[string]any{}}, `"sent":{"tool":"send","n":1}`},
		{"decline", map[string]any{"action": "decline"}, "ApprovalError: the user declined the call of t.send"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, c := replayServer(t, nil)
			first := call(t, s, code, "", nil)
			if first["resultType"] != "input_required" {
				t.Fatalf("first answer: %v", first)
			}
			state, _ := first["requestState"].(string)
			req := first["inputRequests"].(map[string]any)["approval"].(map[string]any)
			if req["method"] != "elicitation/create" || !strings.Contains(fmt.Sprint(req["params"]), "Allow the script to call t.send?") {
				t.Errorf("input request: %v", req)
			}
			if c.n("read") != 1 || c.n("stamp") != 1 || c.n("send") != 0 {
				t.Fatalf("calls before the answer: %v", c.calls)
			}
			res := call(t, s, code, state, tt.answer)
			squeeze := func(s string) string { return strings.Join(strings.Fields(s), "") }
			if got := text(res); !strings.Contains(squeeze(got), squeeze(tt.want)) {
				t.Errorf("after %s: %s\nwant it to contain %s", tt.name, got, tt.want)
			}
			if c.n("read") != 1 || c.n("stamp") != 1 {
				t.Errorf("calls made before the pause were made again: %v", c.calls)
			}
			if tt.name == "accept" {
				if c.n("send") != 1 {
					t.Errorf("send called %d times, want 1", c.n("send"))
				}
				var sent struct{ R float64 }
				json.Unmarshal([]byte(c.args["send"][0]), &sent)
				var stamp struct{ R float64 }
				json.Unmarshal([]byte(c.args["stamp"][0]), &stamp)
				if sent.R != stamp.R {
					t.Errorf("Math.random not replayed: %v before the pause, %v after", stamp.R, sent.R)
				}
				sc := res["structuredContent"].(map[string]any)["result"].(map[string]any)
				if sc["r"] != stamp.R {
					t.Errorf("result's r %v, stamped %v", sc["r"], stamp.R)
				}
			}
			// The same retry again: refused, nothing called.
			again := call(t, s, code, state, tt.answer)
			if got := text(again); !strings.Contains(got, "already resumed") {
				t.Errorf("second retry: %s", got)
			}
			if c.n("read") != 1 || c.n("stamp") != 1 || c.n("send") > 1 {
				t.Errorf("a second retry called something: %v", c.calls)
			}
		})
	}
}

// TestApprovalStateTampered: a forged, altered or foreign state, or one
// sent with other code, calls nothing.
func TestApprovalStateTampered(t *testing.T) {
	const code = `await t.read({}); return await t.send({})`
	s, c := replayServer(t, nil)
	first := call(t, s, code, "", nil)
	state := first["requestState"].(string)
	accept := map[string]any{"action": "accept", "content": map[string]any{}}
	body, sig, _ := strings.Cut(state, ".")
	flipped := []byte(body)
	flipped[3] ^= 1
	other, _ := replayServer(t, nil) // another key
	tests := []struct {
		name, code, state, want string
		s                       *Server
	}{
		{"forged", code, "eyJyIjoieCJ9.AAAA", "not one this server signed", s},
		{"altered", code, string(flipped) + "." + sig, "not one this server signed", s},
		{"other key", code, state, "not one this server signed", other},
		{"other code", code + ";", state, "not the code of the paused run", s},
	}
	for _, tt := range tests {
		res := call(t, tt.s, tt.code, tt.state, accept)
		if got := text(res); !strings.Contains(got, tt.want) || res["isError"] != true {
			t.Errorf("%s: %s\nwant %q", tt.name, got, tt.want)
		}
	}
	if c.n("read") != 1 || c.n("send") != 0 {
		t.Errorf("a refused retry called something: %v", c.calls)
	}
}

// TestReplayDiverges: a script that takes another path when it runs again
// fails with a ReplayError and calls nothing it had not called.
func TestReplayDiverges(t *testing.T) {
	s, c := replayServer(t, nil)
	code := `await t.stamp({x: "a"}); return await t.send({})`
	first := call(t, s, code, "", nil)
	state := first["requestState"].(string)
	// The script now makes another call than its journal says it made.
	p, _ := s.pauses.Load(context.Background(), runOf(t, state))
	var j journal
	json.Unmarshal(p.Journal, &j)
	for _, e := range j.Calls {
		e.Args = runs.Digest([]byte(`{"x":"neither"}`))
	}
	p.Journal, _ = json.Marshal(j)
	s.pauses.Save(context.Background(), p)
	res := call(t, s, code, state, map[string]any{"action": "accept"})
	if got := text(res); !strings.HasPrefix(got, "ReplayError: the script took another path") {
		t.Errorf("diverged replay: %s", got)
	}
	if c.n("stamp") != 1 || c.n("send") != 0 {
		t.Errorf("a diverged replay called: %v", c.calls)
	}
}

func runOf(t *testing.T, requestState string) string {
	t.Helper()
	body, _, _ := strings.Cut(requestState, ".")
	var st state
	raw, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil || json.Unmarshal(raw, &st) != nil {
		t.Fatalf("requestState %q", requestState)
	}
	return st.Run
}

// TestApprovalAcrossServers: a run paused on one server resumes on another
// that shares its store — after a restart (SQLite in a data directory) and
// on another replica (PostgreSQL) — and each call happens once.
func TestApprovalAcrossServers(t *testing.T) {
	backends := map[string]func(t *testing.T) store.Options{
		"sqlite":   func(t *testing.T) store.Options { return store.Options{Dir: t.TempDir()} },
		"postgres": func(t *testing.T) store.Options { return store.Options{URL: testenv.Postgres(t)} },
	}
	for name, opts := range backends {
		t.Run(name, func(t *testing.T) {
			o := opts(t)
			open := func() *store.Store {
				st, err := store.Open(context.Background(), o)
				if err != nil {
					t.Fatal(err)
				}
				return st
			}
			const code = `const seen = await t.read({}); await t.send({r: Math.random()}); return seen`
			st := open()
			a, ca := replayServer(t, StorePauses(st))
			first := call(t, a, code, "", nil)
			state, _ := first["requestState"].(string)
			if state == "" {
				t.Fatalf("first answer: %v", first)
			}
			st.Close() // a restart: the second server opens the store anew
			st2 := open()
			defer st2.Close()
			b, cb := replayServer(t, StorePauses(st2))
			res := call(t, b, code, state, map[string]any{"action": "accept"})
			if res["isError"] == true {
				t.Fatalf("resumed on the other server: %s", text(res))
			}
			if ca.n("read") != 1 || cb.n("read") != 0 || cb.n("send") != 1 {
				t.Errorf("calls: first server %v, second %v; want read once on the first, send once on the second", ca.calls, cb.calls)
			}
			if got := text(call(t, b, code, state, map[string]any{"action": "accept"})); !strings.Contains(got, "already resumed") {
				t.Errorf("the same retry again: %s", got)
			}
		})
	}
}

// TestPauseWithCallsInFlight: a call in flight when the run pauses
// finishes and is journalled (the retry does not make it again); a call
// the script starts after the pause is not made.
func TestPauseWithCallsInFlight(t *testing.T) {
	s, c := replayServer(t, nil)
	const code = `const slow = t.slow({}); await t.wait({});
		const sent = await t.send({}).catch(e => "not sent");
		await t.read({});
		return {slow: await slow, sent}`
	first := call(t, s, code, "", nil)
	if first["resultType"] != "input_required" {
		t.Fatalf("first answer: %v", first)
	}
	if c.n("slow") != 1 || c.n("wait") != 1 || c.n("read") != 0 || c.n("send") != 0 {
		t.Errorf("before the answer: %v; want slow finished, read and send not made", c.calls)
	}
	res := call(t, s, code, first["requestState"].(string), map[string]any{"action": "accept"})
	if res["isError"] == true {
		t.Fatalf("after the answer: %s", text(res))
	}
	if c.n("slow") != 1 || c.n("wait") != 1 || c.n("read") != 1 || c.n("send") != 1 {
		t.Errorf("after the answer: %v; want each call made once", c.calls)
	}
}

// TestApprovalClientCannotBeAsked: a 2026-07-28 client whose request does
// not declare elicitation gets an ApprovalError saying so, and nothing is
// called.
func TestApprovalClientCannotBeAsked(t *testing.T) {
	s, c := replayServer(t, nil)
	const meta = `{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}`
	res := callWith(t, s, meta, `return await t.send({})`, "", nil)
	want := "ApprovalError: t.send needs the user's approval (codemode.require_approval), but this client cannot be asked: " +
		"its requests do not declare the elicitation capability; use a client that does, or take t.send out of codemode.require_approval"
	if got := text(res); !strings.HasPrefix(got, want) || res["resultType"] == "input_required" {
		t.Errorf("got %s\nwant %s", got, want)
	}
	if c.n("send") != 0 {
		t.Errorf("send was called")
	}
}

// TestPauseJournalFull: a call in flight at the pause whose result does
// not fit the journal would be made again by the retry, so the run is not
// paused: the client gets an ApprovalError saying why.
func TestPauseJournalFull(t *testing.T) {
	s, c := replayServer(t, nil)
	d := newDurable(context.Background(), "x")
	d.pause = &asked{Key: "2", Tool: "t.send"}
	d.full = true
	p, journal := d.paused()
	if p == nil || journal != nil {
		t.Fatalf("paused() = %v, %q; want the pause and no journal", p, journal)
	}
	res := s.pauseResult(context.Background(), d, p, journal)
	if !res.IsError || res.ResultType == "input_required" {
		t.Fatalf("result %+v", res)
	}
	if got := res.Content[0].(mcp.TextContent).Text; !strings.HasPrefix(got, "ApprovalError: t.send needs the user's approval, but this run made more tool calls") {
		t.Errorf("got %s", got)
	}
	if c.n("send") != 0 {
		t.Errorf("send called")
	}
}
