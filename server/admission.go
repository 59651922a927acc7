package server

import (
	"context"
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
}

func newAdmission(max, perSession int) *admission {
	return &admission{max: max, perSession: perSession, sessions: map[string]int{}}
}

// nameBusy is the error name of an execution turned away by admission.
const nameBusy = "BusyError"

// admit takes a slot for session, or says why there is none.
func (a *admission) admit(session string) (release func(), busy *sandbox.Error) {
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
