package server

// Approvals under MCP 2026-07-28, where a server can no longer ask its
// client in the middle of a request: the call that needs approval pauses
// the run, execute answers resultType "input_required" with the question
// and a signed requestState naming the run, and the client retries the
// same execute with the user's answer. The retry may reach any replica,
// and a live goja runtime cannot move, so the run resumes by replay:
//
//   - While a run that may pause executes, every call it makes (tools,
//     fetches, codemode.save and codemode.run, not codemode.search or
//     describe) is journalled under its key: the order the script started
//     it in (sandbox.CallSeq), prefixed by the key of the codemode.run
//     that made it for a snippet's calls ("3/2"). Each entry holds the
//     tool, a digest of the arguments and the outcome. Math.random is
//     seeded and the clock recorded (sandbox.Replay).
//   - At a call that needs approval, the run pauses: calls still in
//     flight finish and are journalled, later ones are not made, and the
//     run is stopped. The journal is saved (PauseStore) and execute
//     returns the question and the state.
//   - The retry, on any replica: the state's signature, expiry, subject
//     and round are checked, the round is claimed once (so the same answer
//     cannot run twice), and the script runs again from the start with the
//     same seed and clock. Every journalled call is answered from the
//     journal (the upstream is not called again); one that differs from
//     its entry (another tool, other arguments) stops the run with a
//     ReplayError. The paused call gets the answer: accepted, it is made;
//     declined, it throws an ApprovalError. A later call that needs
//     approval pauses again, with the journal grown.
//
// Journalling costs memory: a run keeps the outcome of its calls up to
// maxJournalBytes; past that it can no longer pause, and a call that needs
// approval fails with an ApprovalError saying so. Runs journal only when
// they can pause: a 2026-07-28 client that declared elicitation, on a
// server where some call needs approval.

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"

	"github.com/mcp-codemode/mcp-codemode/runs"
	"github.com/mcp-codemode/mcp-codemode/sandbox"
	"github.com/mcp-codemode/mcp-codemode/tools"
)

const (
	// maxJournalBytes bounds the outcomes one run journals.
	maxJournalBytes = 16 << 20
	// pauseTTL is how long a paused run waits for its answer.
	pauseTTL = 15 * time.Minute
	// approvalInput is the key of the question in inputRequests.
	approvalInput = "approval"
)

// Paused is a run waiting for the user's answer, as a PauseStore keeps it.
type Paused struct {
	Run     string    // the run's id, named by the requestState
	Subject string    // whose run it is
	Round   int       // answers given so far; a state names the round it asks in
	Expires time.Time // past it the state is refused
	Journal []byte    // JSON of the journal
}

// PauseStore keeps paused runs where every replica finds them.
type PauseStore interface {
	// Key returns the key requestStates are signed with, the same on every
	// replica that shares the store.
	Key(ctx context.Context) ([]byte, error)
	// Save stores p, replacing an earlier round of the same run.
	Save(ctx context.Context, p *Paused) error
	// Load returns the run, or nil when there is none (or it expired).
	Load(ctx context.Context, run string) (*Paused, error)
	// Claim moves the run from round to round+1, once: false when another
	// retry claimed it first.
	Claim(ctx context.Context, run string, round int) (bool, error)
}

// journal is what a run that may pause records. Its JSON is what a
// PauseStore keeps.
type journal struct {
	Code    string             `json:"code"` // digest of the code: a retry must send the same
	Seed    uint64             `json:"seed"`
	Times   map[string][]int64 `json:"times,omitempty"`   // clock values, by snippet key ("" the script)
	Calls   map[string]*entry  `json:"calls,omitempty"`   // by key
	Answers map[string]answer  `json:"answers,omitempty"` // by key of the call asked about
	Pending *asked             `json:"pending,omitempty"` // the call waiting for its answer
}

// entry is one journalled call.
type entry struct {
	Tool     string          `json:"tool"`
	Args     string          `json:"args"` // SHA-256 of the arguments, hex
	Result   json.RawMessage `json:"result,omitempty"`
	ErrName  string          `json:"err_name,omitempty"`
	ErrMsg   string          `json:"err,omitempty"`
	ErrProps map[string]any  `json:"err_props,omitempty"` // an HttpError's status
}

// replayedError is a journalled call's error, given again.
type replayedError struct {
	sandbox.NamedError
	props map[string]any
}

func (e *replayedError) ErrorProps() map[string]any { return e.props }

// answer is the user's answer to one approval.
type answer struct {
	Accept   bool   `json:"accept"`
	Remember bool   `json:"remember,omitempty"` // allowed for the rest of the run
	Action   string `json:"action,omitempty"`
}

// asked is the call a paused run asks about.
type asked struct {
	Key  string `json:"key"`
	Tool string `json:"tool"`
	Args string `json:"args"`
}

// durable is the state of one run that may pause. It is shared by the
// run's caller and its snippets' callers.
type durable struct {
	run     string
	subject string
	round   int

	mu       sync.Mutex
	j        journal
	bytes    int  // of the outcomes journalled
	full     bool // past maxJournalBytes: cannot pause any more
	pause    *asked
	question mcp.ElicitationParams
	diverged error
	inflight sync.WaitGroup
	request  context.Context         // the request's: ends the calls of a paused run too
	stop     context.CancelCauseFunc // stops the run
}

// errPaused is what calls get once the run has paused.
var errPaused = errors.New("the run paused for an approval")

type durableKey struct{}

// durableFrom returns the run state and call key ctx carries, if any.
func durableFrom(ctx context.Context) (*durable, string) {
	v, _ := ctx.Value(durableKey{}).(durableCall)
	return v.d, v.key
}

type durableCall struct {
	d   *durable
	key string
}

func withDurable(ctx context.Context, d *durable, key string) context.Context {
	return context.WithValue(ctx, durableKey{}, durableCall{d, key})
}

// mayPause says whether the run of ctx's request journals: a 2026-07-28
// client that can be asked, on a server where a call may need approval.
func (s *Server) mayPause(ctx context.Context) bool {
	if !mcpserver.IsModernRequest(ctx) || (len(s.limits.RequireApproval) == 0 && !s.limits.ApproveDestructive) {
		return false
	}
	info := mcpserver.RequestProtocolInfoFromContext(ctx)
	return info.ClientCapabilities != nil && info.ClientCapabilities.Elicitation != nil
}

// newDurable starts the journal of a fresh run of code.
func newDurable(ctx context.Context, code string) *durable {
	var seed [8]byte
	rand.Read(seed[:])
	return &durable{
		run:     newRunID(),
		subject: tools.Subject(ctx),
		j: journal{Code: runs.Digest([]byte(code)), Seed: binary.LittleEndian.Uint64(seed[:]),
			Times: map[string][]int64{}, Calls: map[string]*entry{}, Answers: map[string]answer{}},
	}
}

func newRunID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// replay is the sandbox's Replay for the run or snippet at prefix.
func (d *durable) replay(prefix string) *sandbox.Replay {
	d.mu.Lock()
	defer d.mu.Unlock()
	seed := d.j.Seed
	if prefix != "" {
		sum := sha256.Sum256([]byte(strconv.FormatUint(seed, 10) + "/" + prefix))
		seed = binary.LittleEndian.Uint64(sum[:8])
	}
	return &sandbox.Replay{Seed: seed, Times: d.j.Times[prefix]}
}

// ran records the clock values the run or snippet at prefix saw.
func (d *durable) ran(prefix string, times []int64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(times) > len(d.j.Times[prefix]) {
		d.j.Times[prefix] = times
	}
}

// call makes one call of the run through d: from the journal when it was
// made before, not at all once the run paused, else by do, journalled.
func (d *durable) call(ctx context.Context, key, tool string, args json.RawMessage, approved *sync.Map,
	do func(context.Context) (json.RawMessage, error)) (json.RawMessage, error) {
	argsDigest := runs.Digest(args)
	d.mu.Lock()
	if e := d.j.Calls[key]; e != nil {
		d.mu.Unlock()
		if e.Tool != tool || e.Args != argsDigest {
			return nil, d.diverge(key, e, tool)
		}
		if a, ok := d.answerFor(key); ok && a.Remember && approved != nil {
			approved.Store(tool, true) // as when the user first allowed it
		}
		if e.ErrName != "" || e.ErrMsg != "" {
			return nil, &replayedError{sandbox.NamedError{Name: e.ErrName, Message: e.ErrMsg}, e.ErrProps}
		}
		return e.Result, nil
	}
	if d.pause != nil || d.diverged != nil {
		d.mu.Unlock()
		return d.held(ctx)
	}
	d.inflight.Add(1)
	d.mu.Unlock()
	var once sync.Once
	done := func() { once.Do(d.inflight.Done) }
	defer done() // also when do panics
	dctx, cancel := d.detach(ctx)
	out, err := do(withDurable(dctx, d, key))
	cancel()
	if errors.Is(err, errPaused) {
		done() // the run stops once the others in flight are done
		return d.held(ctx)
	}
	d.record(key, tool, argsDigest, out, err)
	return out, err
}

// held is what a call gets once the run has paused: nothing until the
// run stops, so the script never sees the pause (it cannot catch it and
// go on) and the call settles never, not even as a progress notification.
func (d *durable) held(ctx context.Context) (json.RawMessage, error) {
	<-ctx.Done()
	return nil, errPaused
}

// detach returns the context a journalled call runs in: cancelled with
// the run's, unless the run paused — then the call finishes, so that its
// outcome is journalled and the retry need not make it again — and in any
// case when the request ends.
func (d *durable) detach(ctx context.Context) (context.Context, context.CancelFunc) {
	out, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, func() {
		d.mu.Lock()
		paused := d.pause != nil
		d.mu.Unlock()
		if !paused {
			cancel()
		}
	})
	stopReq := context.AfterFunc(d.request, cancel)
	return out, func() { stop(); stopReq(); cancel() }
}

func (d *durable) answerFor(key string) (answer, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	a, ok := d.j.Answers[key]
	return a, ok
}

// record journals the outcome of one call.
func (d *durable) record(key, tool, argsDigest string, out json.RawMessage, err error) {
	e := &entry{Tool: tool, Args: argsDigest, Result: out}
	if err != nil {
		e.Result, e.ErrMsg = nil, err.Error()
		var named interface{ ErrorName() string }
		if errors.As(err, &named) {
			e.ErrName = named.ErrorName()
		}
		if e.ErrName == "" {
			e.ErrName = sandbox.NameError
		}
		var props interface{ ErrorProps() map[string]any }
		if errors.As(err, &props) {
			e.ErrProps = props.ErrorProps()
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.full {
		return
	}
	if d.bytes += len(e.Result) + len(e.ErrMsg) + len(key) + 100; d.bytes > maxJournalBytes {
		d.full = true
		return
	}
	d.j.Calls[key] = e
}

// diverge stops the run: the script took another path than its journal.
func (d *durable) diverge(key string, e *entry, tool string) error {
	what := "another tool"
	if e.Tool == tool {
		what = "other arguments"
	}
	err := sandbox.NewError(sandbox.NameReplay, fmt.Sprintf(
		"the script took another path when it ran again after the approval: its call %s was %s before, and now is %s with %s; "+
			"code that resumes after an approval must make the same calls in the same order (it may use Math.random and Date.now, which are replayed)",
		key, e.Tool, tool, what))
	d.mu.Lock()
	if d.diverged == nil {
		d.diverged = err
	}
	d.mu.Unlock()
	d.stop(err)
	return err
}

// ask answers the approval of the call at key: with the user's answer when
// the retry brought one, else by pausing the run.
func (d *durable) ask(key string, e tools.Entry, args json.RawMessage, question mcp.ElicitationRequest) (remember bool, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if a, ok := d.j.Answers[key]; ok {
		if a.Accept {
			return a.Remember, nil
		}
		if a.Action == string(mcp.ElicitationResponseActionCancel) {
			return false, approvalError("the user dismissed the approval of %s without allowing it", e.Path())
		}
		return false, approvalError("the user declined the call of %s", e.Path())
	}
	if d.full {
		return false, approvalError("%s needs the user's approval, but this run made more tool calls (over %d MB of results) "+
			"than can be replayed after the answer; make the call that needs approval earlier, or in a run of its own", e.Path(), maxJournalBytes>>20)
	}
	if d.pause == nil {
		d.pause = &asked{Key: key, Tool: e.Path(), Args: runs.Digest(args)}
		d.question = question.Params
		// The calls in flight finish and are journalled; then the run stops.
		go func() {
			d.inflight.Wait()
			d.stop(errPaused)
		}()
	}
	return false, errPaused
}

// paused reports whether the run paused, with the journal to save.
func (d *durable) paused() (*asked, []byte) {
	if d == nil {
		return nil, nil
	}
	d.inflight.Wait() // the calls in flight at the pause are journalled
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.pause == nil || d.diverged != nil {
		return nil, nil
	}
	if d.full {
		// A call that finished after the pause did not fit the journal:
		// the retry would make it again, so the run cannot resume.
		return d.pause, nil
	}
	j := d.j
	j.Pending = d.pause
	b, _ := json.Marshal(j) // of strings, numbers and valid JSON
	return d.pause, b
}

// settle records the clock values the script saw and makes a run that
// diverged from its journal a ReplayError.
func (d *durable) settle(res sandbox.Result) sandbox.Result {
	if d == nil {
		return res
	}
	d.ran("", res.Times)
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.diverged != nil {
		res.Value, res.Err = nil, &sandbox.Error{Name: sandbox.NameReplay, Message: d.diverged.Error()}
	}
	return res
}

// durableRun is the journal of the run req asks for: resumed from its
// requestState, fresh when the run may pause, nil when it cannot; or the
// result refusing a retry.
func (s *Server) durableRun(ctx context.Context, req mcp.CallToolRequest, code string) (*durable, *mcp.CallToolResult) {
	switch {
	case req.Params.RequestState != "":
		return s.resume(ctx, req, code)
	case s.mayPause(ctx):
		return newDurable(ctx, code), nil
	}
	return nil, nil
}

// state is what a requestState carries, signed.
type state struct {
	Run     string `json:"r"`
	Round   int    `json:"n"`
	Subject string `json:"s"` // digest of the subject
	Expires int64  `json:"e"` // Unix seconds
}

// signState returns the requestState of st under key.
func signState(key []byte, st state) string {
	body, _ := json.Marshal(st)
	b := base64.RawURLEncoding.EncodeToString(body)
	return b + "." + base64.RawURLEncoding.EncodeToString(mac(key, b))
}

func mac(key []byte, body string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte("mcp-codemode requestState v1\x00" + body))
	return h.Sum(nil)
}

// openState checks a requestState's signature and returns what it says.
func openState(key []byte, s string) (state, bool) {
	body, sig, ok := strings.Cut(s, ".")
	if !ok {
		return state{}, false
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, mac(key, body)) {
		return state{}, false
	}
	raw, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil {
		return state{}, false
	}
	var st state
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if dec.Decode(&st) != nil || st.Run == "" {
		return state{}, false
	}
	return st, true
}

// stateRefused is the error of a retry whose requestState cannot resume
// anything: nothing was called for it.
func stateRefused(why string) *mcp.CallToolResult {
	return mcp.NewToolResultError("ApprovalError: this retry cannot resume the paused run: " + why +
		"; nothing was called. Run the code again without requestState to start over.")
}

// resume loads the run a retry names and claims its round: the durable
// state to run it again with, or the result refusing it.
func (s *Server) resume(ctx context.Context, req mcp.CallToolRequest, code string) (*durable, *mcp.CallToolResult) {
	key, err := s.pauses.Key(ctx)
	if err != nil {
		return nil, storeFailed(err)
	}
	st, ok := openState(key, req.Params.RequestState)
	switch {
	case !ok:
		return nil, stateRefused("its requestState is not one this server signed (altered or forged)")
	case time.Now().Unix() > st.Expires:
		return nil, stateRefused("its requestState expired (a paused run waits " + pauseTTL.String() + ")")
	case st.Subject != runs.Digest([]byte(tools.Subject(ctx))):
		return nil, stateRefused("its requestState belongs to another user")
	}
	p, err := s.pauses.Load(ctx, st.Run)
	if err != nil {
		return nil, storeFailed(err)
	}
	if p == nil || p.Round != st.Round {
		return nil, stateRefused("the run was already resumed with this answer, or has ended")
	}
	var j journal
	if err := json.Unmarshal(p.Journal, &j); err != nil || j.Pending == nil {
		return nil, stateRefused("the paused run's record is unreadable")
	}
	if j.Code != runs.Digest([]byte(code)) {
		return nil, stateRefused("the code is not the code of the paused run (a retry must send the same arguments)")
	}
	res := mcpserver.ElicitationResponse(req.Params.InputResponses, approvalInput)
	if res == nil {
		return nil, stateRefused(`it carries no answer under inputResponses["` + approvalInput + `"]`)
	}
	claimed, err := s.pauses.Claim(ctx, st.Run, st.Round)
	if err != nil {
		return nil, storeFailed(err)
	}
	if !claimed {
		return nil, stateRefused("another retry with this answer resumed the run first")
	}
	a := answer{Accept: res.Action == mcp.ElicitationResponseActionAccept, Action: string(res.Action)}
	a.Remember = a.Accept && rememberChecked(res.Content)
	if j.Answers == nil {
		j.Answers = map[string]answer{}
	}
	if j.Calls == nil {
		j.Calls = map[string]*entry{}
	}
	if j.Times == nil {
		j.Times = map[string][]int64{}
	}
	j.Answers[j.Pending.Key] = a
	j.Pending = nil
	s.log.InfoContext(ctx, "approval", "run", st.Run, "action", res.Action, "for_the_run", a.Remember)
	d := &durable{run: st.Run, subject: p.Subject, round: st.Round + 1, j: j}
	for _, e := range j.Calls {
		d.bytes += len(e.Result) + len(e.ErrMsg) + 100
	}
	return d, nil
}

// pauseResult saves a paused run and returns the input_required result
// asking the client for the answer.
func (s *Server) pauseResult(ctx context.Context, d *durable, p *asked, journal []byte) *mcp.CallToolResult {
	if journal == nil {
		return mcp.NewToolResultError(fmt.Sprintf("ApprovalError: %s needs the user's approval, but this run made more tool calls "+
			"(over %d MB of results) than can be replayed after the answer; make the call that needs approval earlier, "+
			"or in a run of its own", p.Tool, maxJournalBytes>>20))
	}
	key, err := s.pauses.Key(ctx)
	if err != nil {
		return storeFailed(err)
	}
	expires := time.Now().Add(pauseTTL)
	err = s.pauses.Save(ctx, &Paused{Run: d.run, Subject: d.subject, Round: d.round, Expires: expires, Journal: journal})
	if err != nil {
		return storeFailed(err)
	}
	st := signState(key, state{Run: d.run, Round: d.round, Subject: runs.Digest([]byte(d.subject)), Expires: expires.Unix()})
	s.log.InfoContext(ctx, "approval", "run", d.run, "tool", p.Tool, "action", "asked", "round", d.round)
	return mcpserver.NewInputRequestBuilder(st).Elicit(approvalInput, d.question).ToolResult()
}

// storeFailed is the result of a retry or pause the store failed.
func storeFailed(err error) *mcp.CallToolResult {
	msg := err.Error()
	if !strings.HasPrefix(msg, sandbox.NameStore) {
		msg = sandbox.NameStore + ": " + msg
	}
	return mcp.NewToolResultError(msg + " (the paused run could not be saved or read; try again)")
}

// memoryPauses is the PauseStore of a server without a shared store: the
// process's memory, a key of its own.
type memoryPauses struct {
	key []byte
	mu  sync.Mutex
	m   map[string]*Paused
}

func newMemoryPauses() *memoryPauses {
	key := make([]byte, 32)
	rand.Read(key)
	return &memoryPauses{key: key, m: map[string]*Paused{}}
}

func (m *memoryPauses) Key(context.Context) ([]byte, error) { return m.key, nil }

func (m *memoryPauses) Save(_ context.Context, p *Paused) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := time.Now()
	for id, q := range m.m {
		if now.After(q.Expires) {
			delete(m.m, id)
		}
	}
	c := *p
	m.m[p.Run] = &c
	return nil
}

func (m *memoryPauses) Load(_ context.Context, run string) (*Paused, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p := m.m[run]
	if p == nil || time.Now().After(p.Expires) {
		return nil, nil
	}
	c := *p
	return &c, nil
}

func (m *memoryPauses) Claim(_ context.Context, run string, round int) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p := m.m[run]
	if p == nil || p.Round != round {
		return false, nil
	}
	p.Round++
	return true, nil
}
