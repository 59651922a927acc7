package hosted

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"

	"github.com/mcp-codemode/mcp-codemode/tools"
)

// sessions is the table of MCP sessions: who opened each, and when it was
// last used. A session answers only to the subject that opened it, and one
// idle for longer than the idle timeout is gone.
//
// The table is bounded: a subject holds at most perSubject sessions and the
// server at most total (codemode.max_sessions_per_subject and
// codemode.max_sessions), so that no client, however many initializes it
// sends, grows the server's memory beyond what those caps allow. create
// refuses beyond them with a *tooManySessions.
type sessions struct {
	idle       time.Duration
	perSubject int
	total      int
	now        func() time.Time
	// forget, if not nil, drops what the transport keeps of a session the
	// table expired (mcp-go's registered session and its client info).
	forget func(id string)

	mu        sync.Mutex
	byID      map[string]*session
	bySubject map[string]int
}

type session struct {
	id, subject string
	last        time.Time
	end         func() // ends the session's stream (SSE); nil for streamable HTTP
	listening   bool   // a standalone GET stream is open (streamable HTTP)
	version     string // the protocol version its initialize negotiated; "" before
}

// Why a session id was refused. Both mean 404 to the client: to another
// subject, a session it does not own does not exist.
var (
	errNoSession    = errors.New("no such session: it expired or was closed; start a new one")
	errOtherSubject = errors.New("the session belongs to another subject")
)

// tooManySessions is why create refused a session: the cap it hit, and
// when the first session counted against it would expire if left idle.
type tooManySessions struct {
	key        string // the config key of the cap
	limit      int
	idle       time.Duration
	retryAfter time.Duration
}

func (e *tooManySessions) Error() string {
	who := "this subject has"
	if e.key == "codemode.max_sessions" {
		who = "the server has"
	}
	return fmt.Sprintf("too many sessions: %s %d open, the most %s allows", who, e.limit, e.key)
}

// Defaults of the caps when the configuration leaves them 0 (config fills
// them in; tests and embedders may not).
const (
	defaultMaxSessions           = 4096
	defaultMaxSessionsPerSubject = 32
)

func newSessions(idle time.Duration, perSubject, total int) *sessions {
	if idle <= 0 {
		idle = 30 * time.Minute
	}
	if perSubject <= 0 {
		perSubject = defaultMaxSessionsPerSubject
	}
	if total <= 0 {
		total = defaultMaxSessions
	}
	return &sessions{idle: idle, perSubject: perSubject, total: total, now: time.Now,
		byID: map[string]*session{}, bySubject: map[string]int{}}
}

// create opens a session for subject; end, if not nil, ends its stream.
// Over a cap it first expires the idle sessions, then refuses.
func (t *sessions) create(subject string, end func()) (*session, error) {
	s := &session{id: newID(), subject: subject, last: t.now(), end: end}
	t.mu.Lock()
	err := t.room(subject)
	var expired []*session
	if err != nil {
		expired = t.expireIdle()
		err = t.room(subject)
	}
	if err == nil {
		t.byID[s.id] = s
		t.bySubject[subject]++
	}
	t.mu.Unlock()
	t.ended(expired)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// room says whether subject may open one more session; t.mu must be held.
func (t *sessions) room(subject string) error {
	switch {
	case t.bySubject[subject] >= t.perSubject:
		return t.refusal("codemode.max_sessions_per_subject", t.perSubject, subject, true)
	case len(t.byID) >= t.total:
		return t.refusal("codemode.max_sessions", t.total, "", false)
	}
	return nil
}

// refusal is the error of a full cap, with the time until the least
// recently used session it counts would expire; t.mu must be held.
func (t *sessions) refusal(key string, limit int, subject string, bySubject bool) error {
	first := time.Time{}
	for _, s := range t.byID {
		if (!bySubject || s.subject == subject) && (first.IsZero() || s.last.Before(first)) {
			first = s.last
		}
	}
	wait := max(first.Add(t.idle).Sub(t.now()), time.Second)
	return &tooManySessions{key: key, limit: limit, idle: t.idle, retryAfter: wait}
}

// use returns the session id names for subject, marking it used.
func (t *sessions) use(id, subject string) (*session, error) {
	t.mu.Lock()
	s := t.byID[id]
	var err error
	switch {
	case s == nil:
		err = errNoSession
	case t.now().Sub(s.last) > t.idle:
		t.drop(s)
		t.mu.Unlock()
		t.ended([]*session{s})
		return nil, errNoSession
	case s.subject != subject:
		err = errOtherSubject
	default:
		s.last = t.now()
	}
	t.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return s, nil
}

// errListening refuses a second GET stream of a session.
var errListening = errors.New("this session already has a GET stream open; " +
	"a session listens on one at a time: close the other first")

// listen marks that session id has a standalone GET stream open, unless
// it already has one (errListening): each would hold a connection, a
// goroutine and their buffers for as long as the client likes. done
// unmarks it.
func (t *sessions) listen(id string) (done func(), err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.byID[id]
	switch {
	case s == nil:
		return nil, errNoSession
	case s.listening:
		return nil, errListening
	}
	s.listening = true
	return func() {
		t.mu.Lock()
		defer t.mu.Unlock()
		s.listening = false
	}, nil
}

// setVersion records the protocol version session id negotiated.
func (t *sessions) setVersion(id, version string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if s := t.byID[id]; s != nil {
		s.version = version
	}
}

// version is the protocol version subject's session id negotiated, or ""
// when it has none recorded (or is not subject's).
func (t *sessions) version(id, subject string) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if s := t.byID[id]; s != nil && s.subject == subject {
		return s.version
	}
	return ""
}

// remove forgets a session its client or transport closed.
func (t *sessions) remove(id string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if s := t.byID[id]; s != nil {
		t.drop(s)
	}
}

// sweep expires every session idle for too long.
func (t *sessions) sweep() {
	t.mu.Lock()
	expired := t.expireIdle()
	t.mu.Unlock()
	t.ended(expired)
}

// expireIdle drops the sessions idle for too long and returns them; t.mu
// must be held.
func (t *sessions) expireIdle() []*session {
	var out []*session
	now := t.now()
	for _, s := range t.byID {
		if now.Sub(s.last) > t.idle {
			t.drop(s)
			out = append(out, s)
		}
	}
	return out
}

// drop deletes s from the table; t.mu must be held.
func (t *sessions) drop(s *session) {
	delete(t.byID, s.id)
	if t.bySubject[s.subject]--; t.bySubject[s.subject] <= 0 {
		delete(t.bySubject, s.subject)
	}
}

// ended ends the streams of expired sessions and has the transport forget
// them; called without t.mu.
func (t *sessions) ended(expired []*session) {
	for _, s := range expired {
		if s.end != nil {
			go s.end()
		}
		if t.forget != nil {
			t.forget(s.id)
		}
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

// reservation is a session opened, within the caps, for the request that
// mcp-go will ask to Generate one (an initialize, or a GET stream without
// a session id): mcp-go's Generate cannot fail, so the caps are checked
// before mcp-go sees the request, and Generate takes the reservation.
type reservation struct {
	mu    sync.Mutex
	id    string
	taken bool
}

type reservationKey struct{}

func (r *reservation) take() (string, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.taken {
		return "", false
	}
	r.taken = true
	return r.id, true
}

// idManager is mcp-go's view of the table for one request's subject:
// sessions it generates belong to that subject, and it validates only that
// subject's sessions.
type idManager struct {
	t       *sessions
	subject string
	res     *reservation // nil but for a request that may open a session
}

// Generate hands mcp-go the session reserved for the request. Without one
// (which the handler does not let happen) the id is one the table does not
// know: the client's next request with it gets 404.
func (m idManager) Generate() string {
	if m.res != nil {
		if id, ok := m.res.take(); ok {
			return id
		}
	}
	return newID()
}

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
	res, _ := r.Context().Value(reservationKey{}).(*reservation)
	return idManager{t: t, subject: tools.Subject(r.Context()), res: res}
}

// reserve opens a session for the request's subject and puts it in the
// request's context for Generate. release forgets it unless Generate took
// it and keep says the session outlives the request.
func (t *sessions) reserve(r *http.Request) (_ *http.Request, release func(keep bool), _ error) {
	s, err := t.create(tools.Subject(r.Context()), nil)
	if err != nil {
		return r, nil, err
	}
	res := &reservation{id: s.id}
	if m := messageFrom(r); m.method == string(mcp.MethodInitialize) {
		t.setVersion(s.id, negotiated(m.raw))
	}
	release = func(keep bool) {
		if _, unused := res.take(); unused || !keep {
			t.remove(s.id)
		}
	}
	return r.WithContext(context.WithValue(r.Context(), reservationKey{}, res)), release, nil
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
