package hosted

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
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
//
// With shared rows (a Store, several replicas), the rows are the registry
// and this table a cache of the sessions this replica served: create
// counts the caps in the database, use loads a session another replica
// opened (remote: mcp-go must be told of it, restore.go) and touches its
// row at most every touchEvery, which is also when it learns that the
// session expired or was deleted elsewhere (the bus tells it sooner, see
// replicas.go). Dropping a cached session here does not end it.
type sessions struct {
	idle       time.Duration
	perSubject int
	total      int
	now        func() time.Time
	// forget, if not nil, drops what the transport keeps of a session the
	// table expired (mcp-go's registered session and its client info).
	forget func(id string)
	// shared, if not nil, are the rows every replica shares.
	shared sessionRows
	// gone, if not nil, tells the other replicas that sessions ended.
	gone func(ids []string)
	// alive, if not nil, makes sure this replica's heartbeat is recent
	// before a row naming it as a stream's holder is created (heartbeat.go).
	alive func(ctx context.Context)

	mu        sync.Mutex
	byID      map[string]*session
	bySubject map[string]int
}

type session struct {
	id, subject string
	last        time.Time
	synced      time.Time // the shared row was last touched (shared rows only)
	end         func()    // ends the session's stream (SSE); nil for streamable HTTP
	listening   bool      // a standalone GET stream is open (streamable HTTP)
	state       sessionState
	remote      bool      // loaded from the shared rows: opened on another replica, or before
	restore     sync.Once // mcp-go is told of a remote session once
}

// sessionState is what a session keeps beyond its subject: what another
// replica needs to serve it as the one that saw its initialize would. It
// is the JSON of the shared row's state column.
type sessionState struct {
	Version    string          `json:"protocolVersion,omitempty"` // negotiated at initialize
	Initialize json.RawMessage `json:"initialize,omitempty"`      // its params, as slimInitialize kept them
	LogLevel   string          `json:"logLevel,omitempty"`        // from logging/setLevel
	Stream     string          `json:"stream,omitempty"`          // the replica holding its SSE stream
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

// touchEvery is how often, at most, a session's shared row is touched
// while it is used: each touch is a database round trip, so a session's
// idle expiry across replicas is exact to within it.
const touchEvery = 5 * time.Second

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

// touchPeriod is touchEvery, shorter for a short idle timeout.
func (t *sessions) touchPeriod() time.Duration { return min(touchEvery, t.idle/4) }

// create opens a session for subject with state; end, if not nil, ends its
// stream. Over a cap it first expires the idle sessions, then refuses.
func (t *sessions) create(ctx context.Context, subject string, state sessionState, end func()) (*session, error) {
	now := t.now()
	s := &session{id: newID(), subject: subject, last: now, synced: now, end: end, state: state}
	if t.shared != nil {
		return s, t.createShared(ctx, s)
	}
	t.mu.Lock()
	err := t.room(subject)
	var expired []*session
	if err != nil {
		expired = t.expireIdle()
		err = t.room(subject)
	}
	if err == nil {
		t.insert(s)
	}
	t.mu.Unlock()
	t.ended(expired)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// createShared inserts s's row, the caps counted in the database, and
// caches s.
func (t *sessions) createShared(ctx context.Context, s *session) error {
	state, _ := json.Marshal(s.state)
	row := sessionRow{ID: s.id, Subject: s.subject, State: string(state), Created: s.last, Used: s.last, Stream: s.state.Stream}
	if row.Stream != "" && t.alive != nil {
		t.alive(ctx)
	}
	expired, err := t.shared.createSession(ctx, row, t.perSubject, t.total, s.last.Add(-t.idle))
	t.dropAll(expired, true)
	var full *sessionCap
	switch {
	case errors.As(err, &full):
		key, limit := "codemode.max_sessions", t.total
		if full.perSubject {
			key, limit = "codemode.max_sessions_per_subject", t.perSubject
		}
		wait := max(full.oldest.Add(t.idle).Sub(t.now()), time.Second)
		return &tooManySessions{key: key, limit: limit, idle: t.idle, retryAfter: wait}
	case err != nil:
		return err
	}
	t.mu.Lock()
	t.insert(s)
	t.mu.Unlock()
	return nil
}

// insert adds s to the table; t.mu must be held.
func (t *sessions) insert(s *session) {
	t.byID[s.id] = s
	t.bySubject[s.subject]++
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

// use returns the session id names for subject, marking it used. With
// shared rows, a session this table does not hold is looked up there.
func (t *sessions) use(ctx context.Context, id, subject string) (*session, error) {
	t.mu.Lock()
	s := t.byID[id]
	var err error
	switch {
	case s == nil && t.shared != nil:
		t.mu.Unlock()
		return t.load(ctx, id, subject)
	case s == nil:
		err = errNoSession
	case s.subject != subject:
		err = errOtherSubject
	case t.shared != nil:
		t.mu.Unlock()
		return s, t.touch(ctx, s)
	case t.now().Sub(s.last) > t.idle:
		t.drop(s)
		t.mu.Unlock()
		t.ended([]*session{s})
		return nil, errNoSession
	default:
		s.last = t.now()
	}
	t.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return s, nil
}

// touch marks a cached session used, and touches its shared row when it
// was not touched for touchPeriod: a row gone (expired, or deleted on
// another replica) ends the session here too. While the database does not
// answer, a cached session is served as it is (its next request tries the
// touch again): what it runs may not need the store.
func (t *sessions) touch(ctx context.Context, s *session) error {
	now := t.now()
	t.mu.Lock()
	s.last = now
	due := now.Sub(s.synced) >= t.touchPeriod()
	t.mu.Unlock()
	if !due {
		return nil
	}
	ok, err := t.shared.touchSession(ctx, s.id, s.subject, now, now.Add(-t.idle))
	switch {
	case err != nil:
		return nil
	case !ok:
		t.dropAll([]string{s.id}, false)
		return errNoSession
	}
	t.mu.Lock()
	s.synced = now
	t.mu.Unlock()
	return nil
}

// load caches a session of the shared rows that this table does not hold.
func (t *sessions) load(ctx context.Context, id, subject string) (*session, error) {
	row, found, err := t.shared.loadSession(ctx, id)
	now := t.now()
	switch {
	case err != nil:
		return nil, err
	case !found || now.Sub(row.Used) > t.idle:
		return nil, errNoSession
	case row.Subject != subject:
		return nil, errOtherSubject
	}
	s := &session{id: id, subject: subject, last: now, synced: row.Used, remote: true}
	_ = json.Unmarshal([]byte(row.State), &s.state)
	t.mu.Lock()
	if have := t.byID[id]; have != nil {
		s = have // another request loaded it first
	} else {
		t.insert(s)
	}
	t.mu.Unlock()
	return s, t.touch(ctx, s)
}

// errListening refuses a second GET stream of a session.
var errListening = errors.New("this session already has a GET stream open; " +
	"a session listens on one at a time: close the other first")

// listen marks that session id has a standalone GET stream open, unless
// it already has one (errListening): each would hold a connection, a
// goroutine and their buffers for as long as the client likes. done
// unmarks it. With several replicas the mark is this replica's: a session
// may hold one stream on each.
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

// update changes the state of session id with f, and saves it in the
// shared rows.
func (t *sessions) update(ctx context.Context, id string, f func(*sessionState)) error {
	t.mu.Lock()
	s := t.byID[id]
	if s == nil {
		t.mu.Unlock()
		return nil
	}
	f(&s.state)
	state, _ := json.Marshal(s.state)
	t.mu.Unlock()
	if t.shared == nil {
		return nil
	}
	return t.shared.saveSession(ctx, id, s.subject, string(state))
}

// setVersion records the protocol version session id negotiated.
func (t *sessions) setVersion(ctx context.Context, id, version string) error {
	return t.update(ctx, id, func(st *sessionState) { st.Version = version })
}

// version is the protocol version subject's session id negotiated, or ""
// when it has none recorded (or is not subject's).
func (t *sessions) version(id, subject string) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if s := t.byID[id]; s != nil && s.subject == subject {
		return s.state.Version
	}
	return ""
}

// owns says whether session id is subject's.
func (t *sessions) owns(id, subject string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.byID[id]
	return s != nil && s.subject == subject
}

// stream is the replica holding session id's SSE stream, or "".
func (t *sessions) stream(id string) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if s := t.byID[id]; s != nil {
		return s.state.Stream
	}
	return ""
}

// remove ends a session its client or transport closed, on every replica.
func (t *sessions) remove(ctx context.Context, id string) error {
	t.mu.Lock()
	if s := t.byID[id]; s != nil {
		t.drop(s)
	}
	t.mu.Unlock()
	if t.shared == nil {
		return nil
	}
	if err := t.shared.deleteSession(ctx, id); err != nil {
		return err
	}
	if t.gone != nil {
		t.gone([]string{id})
	}
	return nil
}

// dropAll forgets sessions whose shared rows are gone, ending their
// streams here; tell says to tell the other replicas (this replica
// deleted the rows).
func (t *sessions) dropAll(ids []string, tell bool) {
	var out []*session
	t.mu.Lock()
	for _, id := range ids {
		if s := t.byID[id]; s != nil {
			t.drop(s)
			out = append(out, s)
		}
	}
	t.mu.Unlock()
	t.ended(out)
	if tell && t.gone != nil && len(ids) > 0 {
		t.gone(ids)
	}
}

// sweep expires every session idle for too long: from this table, and
// with shared rows, the rows idle on every replica (each replica sweeps;
// a row deleted twice is deleted once).
func (t *sessions) sweep(ctx context.Context) error {
	t.mu.Lock()
	expired := t.expireIdle()
	t.mu.Unlock()
	t.ended(expired)
	if t.shared == nil {
		return nil
	}
	ids, err := t.shared.expireSessions(ctx, t.now().Add(-t.idle))
	t.dropAll(ids, true)
	return err
}

// expireIdle drops the sessions idle for too long here and returns them;
// t.mu must be held. With shared rows, this drops only the cache: the
// session may be in use on another replica.
func (t *sessions) expireIdle() []*session {
	var out []*session
	now := t.now()
	for _, s := range t.byID {
		if t.shared != nil && s.end != nil {
			continue // an SSE stream used through other replicas: the shared sweep ends it
		}
		if now.Sub(s.last) > t.idle {
			t.drop(s)
			out = append(out, s)
		}
	}
	return out
}

// forgetHere drops a session from this table only (mcp-go's idle sweeper,
// or its shutdown): with shared rows it lives on for the other replicas.
func (t *sessions) forgetHere(id string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if s := t.byID[id]; s != nil {
		t.drop(s)
	}
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

// count is the number of open sessions (with shared rows: that this
// replica holds).
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
	ctx     context.Context
	here    bool // no request: mcp-go's sweeper or shutdown, which end a session on this replica only
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
	_, err := m.t.use(m.ctx, id, m.subject)
	return false, err
}

func (m idManager) Terminate(id string) (bool, error) {
	if m.here && m.t.shared != nil {
		m.t.forgetHere(id)
		return false, nil
	}
	return false, m.t.remove(m.ctx, id)
}

// ResolveSessionIdManager gives mcp-go the manager of the request's
// subject. mcp-go's idle sweeper passes a nil request: it only terminates.
func (t *sessions) ResolveSessionIdManager(r *http.Request) mcpserver.SessionIdManager {
	if r == nil {
		return idManager{t: t, ctx: context.Background(), here: true}
	}
	res, _ := r.Context().Value(reservationKey{}).(*reservation)
	return idManager{t: t, subject: tools.Subject(r.Context()), res: res, ctx: r.Context()}
}

// reserve opens a session for the request's subject and puts it in the
// request's context for Generate. release forgets it unless Generate took
// it and keep says the session outlives the request.
func (t *sessions) reserve(r *http.Request) (_ *http.Request, release func(keep bool), _ error) {
	var state sessionState
	if m := messageFrom(r); m.method == string(mcp.MethodInitialize) {
		state = sessionState{Version: negotiated(m.raw), Initialize: initializeParams(m.raw)}
	}
	s, err := t.create(r.Context(), tools.Subject(r.Context()), state, nil)
	if err != nil {
		return r, nil, err
	}
	res := &reservation{id: s.id}
	release = func(keep bool) {
		if _, unused := res.take(); unused || !keep {
			_ = t.remove(context.WithoutCancel(r.Context()), s.id)
		}
	}
	return r.WithContext(context.WithValue(r.Context(), reservationKey{}, res)), release, nil
}

// initializeParams are the params of an initialize, as slimInitialize kept
// them.
func initializeParams(body []byte) json.RawMessage {
	var in struct {
		Params json.RawMessage `json:"params"`
	}
	_ = json.Unmarshal(body, &in)
	return in.Params
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
