package server

import (
	"context"
	"errors"
	"fmt"
	"sync"

	mcpserver "github.com/mark3labs/mcp-go/server"

	"github.com/mcp-codemode/mcp-codemode/sandbox"
	"github.com/mcp-codemode/mcp-codemode/tools"
)

// admission caps the executions running at once, in all and per session.
// It never queues: an execution over a cap is turned away at once with a
// BusyError the model can act on, so load shows as fast errors rather than
// as a queue that grows without bound.
type admission struct {
	max, perSession int

	mu       sync.Mutex
	running  int
	sessions map[string]int
	aborts   map[*context.CancelCauseFunc]struct{} // of the executions running
}

func newAdmission(max, perSession int) *admission {
	return &admission{max: max, perSession: perSession, sessions: map[string]int{}, aborts: map[*context.CancelCauseFunc]struct{}{}}
}

// nameBusy is the error name of an execution turned away by admission.
const nameBusy = "BusyError"

// admit takes a slot for the session of ctx, or says why there is none.
// The execution runs with the returned context, which Abort cancels.
func (a *admission) admit(ctx context.Context) (context.Context, func(), *sandbox.Error) {
	session := sessionKey(ctx)
	release, busy := a.take(session)
	if busy != nil {
		return ctx, nil, busy
	}
	ctx, cancel := context.WithCancelCause(ctx)
	a.mu.Lock()
	a.aborts[&cancel] = struct{}{}
	a.mu.Unlock()
	return ctx, func() {
		a.mu.Lock()
		delete(a.aborts, &cancel)
		a.mu.Unlock()
		cancel(nil)
		release()
	}, nil
}

// take takes a slot for session, or says why there is none.
func (a *admission) take(session string) (release func(), busy *sandbox.Error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	switch {
	case a.running >= a.max:
		return nil, &sandbox.Error{Name: nameBusy, Message: fmt.Sprintf(
			"the server is busy: %d executions are already running (codemode.max_concurrent); retry in a few seconds", a.max)}
	case a.sessions[session] >= a.perSession:
		return nil, &sandbox.Error{Name: nameBusy, Message: fmt.Sprintf(
			"busy: this session already runs %d executions at once (codemode.max_concurrent_per_session); "+
				"wait for one to finish, then retry", a.perSession)}
	}
	a.running++
	a.sessions[session]++
	return sync.OnceFunc(func() { a.release(session) }), nil
}

func (a *admission) release(session string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.running--
	if a.sessions[session]--; a.sessions[session] <= 0 {
		delete(a.sessions, session)
	}
}

// Abort cancels every execution running now with cause: each ends with a
// CancelledError that gives the cause, and its response is sent as usual.
// Hosted mode calls it when the shutdown grace period is over.
func (s *Server) Abort(cause error) {
	s.adm.mu.Lock()
	defer s.adm.mu.Unlock()
	for cancel := range s.adm.aborts {
		(*cancel)(cause)
	}
}

// settle makes the result of an execution whose context was cancelled a
// CancelledError giving the cause, whatever the script made of its
// cancelled calls in the moment before the sandbox stopped it.
func settle(ctx context.Context, res sandbox.Result) sandbox.Result {
	if ctx.Err() == nil || res.Err == nil || res.Err.Name == "TimeoutError" || res.Err.Name == "CancelledError" {
		return res
	}
	msg := "execution cancelled"
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) && !errors.Is(cause, context.DeadlineExceeded) {
		msg += ": " + cause.Error()
	}
	res.Err = &sandbox.Error{Name: "CancelledError", Message: msg}
	return res
}

// Running returns the number of executions running now.
func (s *Server) Running() int {
	s.adm.mu.Lock()
	defer s.adm.mu.Unlock()
	return s.adm.running
}

// sessionKey names the session a request belongs to, for the per-session
// cap: the MCP session, or the subject when there is none (stateless HTTP).
func sessionKey(ctx context.Context) string {
	if sess := mcpserver.ClientSessionFromContext(ctx); sess != nil && sess.SessionID() != "" {
		return "session:" + sess.SessionID()
	}
	return "subject:" + tools.Subject(ctx)
}
