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

// admission caps what runs at once: in all (codemode.max_concurrent), per
// session (max_concurrent_per_session) and per subject
// (max_concurrent_per_subject, so that one token with many sessions cannot
// take every slot from the others). An execution takes one slot of each,
// and so does every snippet run it starts (codemode.run), since a snippet
// run is a runtime, or a worker process, of its own (README: Isolation and limits).
//
// It never queues: over a cap an execution is turned away at once with a
// BusyError the model can act on, so load shows as fast errors rather than
// as a queue that grows without bound. A snippet run over a cap throws the
// same BusyError in the script instead of waiting: its execution already
// holds a slot, so snippet runs that waited for slots their own executions
// hold could wait for each other until the timeout.
type admission struct {
	max, perSession, perSubject int
	memory                      memoryShare // in process only

	mu       sync.Mutex
	running  int // executions and snippet runs
	sessions map[string]int
	subjects map[string]int
	aborts   map[*context.CancelCauseFunc]struct{} // of the executions running
}

func newAdmission(max, perSession, perSubject int) *admission {
	return &admission{max: max, perSession: perSession, perSubject: perSubject,
		sessions: map[string]int{}, subjects: map[string]int{}, aborts: map[*context.CancelCauseFunc]struct{}{}}
}

// memoryShare is the part of the sandbox's process memory budget one
// subject may hold in process. There every execution and snippet run
// reserves its memory limit in one budget (the Server's sandbox.Memory), which
// admits budget/limit of them and makes the others wait for their turn: a
// subject that held them all would make every other subject wait up to
// its timeout, whatever max_concurrent_per_subject allows. So in process a
// subject holds at most half of them. Subject "" is exempt: it is the only
// subject of stdio, and of a hosted server without authentication.
type memoryShare struct {
	slots  int   // runs the budget admits; 0: not in process
	limit  int64 // memory limit of a run
	budget int64
}

// shareMemory makes admission keep each subject's runs within half of
// what a process budget of budget bytes admits at limit bytes a run.
func (a *admission) shareMemory(budget, limit int64) {
	if limit <= 0 || budget <= 0 {
		return
	}
	a.memory = memoryShare{slots: int(max(budget/limit, 1)), limit: limit, budget: budget}
}

// subjectCap is how many slots subject may hold at once.
func (a *admission) subjectCap(subject string) int {
	if a.memory.slots == 0 || subject == "" {
		return a.perSubject
	}
	return min(a.perSubject, max(a.memory.slots/2, 1))
}

// Keys of the caps admission applies, as the errors name them.
const (
	keyMax        = "codemode.max_concurrent"
	keyPerSession = "codemode.max_concurrent_per_session"
	keyPerSubject = "codemode.max_concurrent_per_subject"
)

// admit takes a slot for an execution of ctx's session and subject, or
// says why there is none. The execution runs with the returned context,
// which Abort cancels.
func (a *admission) admit(ctx context.Context) (context.Context, func(), *sandbox.Error) {
	subject := tools.Subject(ctx)
	release, over := a.take(sessionKey(ctx), subject)
	if over != "" {
		return ctx, nil, &sandbox.Error{Name: sandbox.NameBusy, Message: a.busyExecution(over, subject)}
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

// admitSnippet takes a slot for a snippet run of ctx's execution, or
// returns the BusyError codemode.run(name) throws.
func (a *admission) admitSnippet(ctx context.Context, name string) (func(), error) {
	subject := tools.Subject(ctx)
	release, over := a.take(sessionKey(ctx), subject)
	if over != "" {
		return nil, sandbox.NewError(sandbox.NameBusy, a.busySnippet(name, over, subject))
	}
	return release, nil
}

// take takes a slot for session and subject, or names the cap that is
// reached.
func (a *admission) take(session, subject string) (release func(), over string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	switch {
	case a.running >= a.max:
		return nil, keyMax
	case a.subjects[subject] >= a.subjectCap(subject):
		return nil, keyPerSubject
	case a.sessions[session] >= a.perSession:
		return nil, keyPerSession
	}
	a.running++
	a.sessions[session]++
	a.subjects[subject]++
	return sync.OnceFunc(func() { a.release(session, subject) }), ""
}

func (a *admission) release(session, subject string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.running--
	if a.sessions[session]--; a.sessions[session] <= 0 {
		delete(a.sessions, session)
	}
	if a.subjects[subject]--; a.subjects[subject] <= 0 {
		delete(a.subjects, subject)
	}
}

// busyExecution is the message of an execution of subject turned away by
// cap key.
func (a *admission) busyExecution(key, subject string) string {
	switch key {
	case keyMax:
		return fmt.Sprintf("the server is busy: %d executions are already running (%s); retry in a few seconds", a.max, key)
	case keyPerSubject:
		return fmt.Sprintf("busy: your executions and the snippets they run already take %d slots at once (%s), "+
			"however many sessions they come from; wait for one to finish, then retry", a.subjectCap(subject), a.subjectKey(subject))
	}
	return fmt.Sprintf("busy: this session already runs %d executions at once (%s); wait for one to finish, then retry", a.perSession, key)
}

// busySnippet is the message codemode.run(name) throws over cap key.
func (a *admission) busySnippet(name, key, subject string) string {
	n, whose, why := a.perSession, "this session's executions and snippet runs", key
	switch key {
	case keyMax:
		n, whose = a.max, "the server's executions and snippet runs"
	case keyPerSubject:
		n, whose, why = a.subjectCap(subject), "your executions and snippet runs", a.subjectKey(subject)
	}
	return fmt.Sprintf("codemode.run(%q): %s already take %d slots at once (%s); "+
		"run fewer snippets at once: await them one after another, or in smaller batches", name, whose, n, why)
}

// subjectKey names what sets subject's cap: the key, or, when the memory
// share is smaller, how it follows from the memory budget.
func (a *admission) subjectKey(subject string) string {
	if a.subjectCap(subject) == a.perSubject {
		return keyPerSubject
	}
	return fmt.Sprintf("%s, and in process at most half of the %d runs that the sandbox's %d MB memory budget holds at codemode.memory_limit_mb %d; "+
		`codemode.isolation "process" lifts this`, keyPerSubject, a.memory.slots, a.memory.budget>>20, a.memory.limit>>20)
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
	if ctx.Err() == nil || res.Err == nil || res.Err.Name == sandbox.NameTimeout || res.Err.Name == sandbox.NameCancelled {
		return res
	}
	msg := "execution cancelled"
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) && !errors.Is(cause, context.DeadlineExceeded) {
		msg += ": " + cause.Error()
	}
	res.Err = &sandbox.Error{Name: sandbox.NameCancelled, Message: msg}
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
