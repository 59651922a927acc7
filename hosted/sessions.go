package hosted

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"sync"
	"time"

	mcpserver "github.com/mark3labs/mcp-go/server"

	"github.com/mcp-codemode/mcp-codemode/tools"
)

// sessions is the table of MCP sessions: who opened each, and when it was
// last used. A session answers only to the subject that opened it, and one
// idle for longer than the idle timeout is gone.
type sessions struct {
	idle time.Duration
	now  func() time.Time

	mu   sync.Mutex
	byID map[string]*session
}

type session struct {
	id, subject string
	last        time.Time
	end         func() // ends the session's stream (SSE); nil for streamable HTTP
}

// Why a session id was refused. Both mean 404 to the client: to another
// subject, a session it does not own does not exist.
var (
	errNoSession    = errors.New("no such session: it expired or was closed; start a new one")
	errOtherSubject = errors.New("the session belongs to another subject")
)

func newSessions(idle time.Duration) *sessions {
	if idle <= 0 {
		idle = 30 * time.Minute
	}
	return &sessions{idle: idle, now: time.Now, byID: map[string]*session{}}
}

// create opens a session for subject; end, if not nil, ends its stream.
func (t *sessions) create(subject string, end func()) *session {
	s := &session{id: newID(), subject: subject, last: t.now(), end: end}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.byID[s.id] = s
	return s
}

// use returns the session id names for subject, marking it used.
func (t *sessions) use(id, subject string) (*session, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.byID[id]
	switch {
	case s == nil:
		return nil, errNoSession
	case t.now().Sub(s.last) > t.idle:
		t.expire(s)
		return nil, errNoSession
	case s.subject != subject:
		return nil, errOtherSubject
	}
	s.last = t.now()
	return s, nil
}

// remove forgets a session.
func (t *sessions) remove(id string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.byID, id)
}

// sweep expires every session idle for too long.
func (t *sessions) sweep() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, s := range t.byID {
		if t.now().Sub(s.last) > t.idle {
			t.expire(s)
		}
	}
}

// expire forgets s and ends its stream; t.mu must be held.
func (t *sessions) expire(s *session) {
	delete(t.byID, s.id)
	if s.end != nil {
		go s.end()
	}
}

// count is the number of open sessions.
func (t *sessions) count() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.byID)
}

// newID is a session id no one can guess: 128 random bits.
func newID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// idManager is mcp-go's view of the table for one request's subject:
// sessions it generates belong to that subject, and it validates only that
// subject's sessions.
type idManager struct {
	t       *sessions
	subject string
}

func (m idManager) Generate() string { return m.t.create(m.subject, nil).id }

func (m idManager) Validate(id string) (bool, error) {
	_, err := m.t.use(id, m.subject)
	return false, err
}

func (m idManager) Terminate(id string) (bool, error) {
	m.t.remove(id)
	return false, nil
}

// ResolveSessionIdManager gives mcp-go the manager of the request's
// subject. mcp-go's idle sweeper passes a nil request: it only terminates.
func (t *sessions) ResolveSessionIdManager(r *http.Request) mcpserver.SessionIdManager {
	if r == nil {
		return idManager{t: t}
	}
	return idManager{t: t, subject: tools.Subject(r.Context())}
}

// endAll ends the stream of every session that has one.
func (t *sessions) endAll() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, s := range t.byID {
		if s.end != nil {
			go s.end()
		}
	}
}
