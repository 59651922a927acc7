package hosted

// Several replicas of one deployment, without sticky sessions.
//
// With a Store, the replicas share two things: the rows of the legacy
// sessions (sessions.go keeps a cache of them) and a bus (PostgreSQL
// LISTEN/NOTIFY; in process for SQLite and memory), on which each replica
// tells the others what only they can act on:
//
//   - codemode_cancel: a notifications/cancelled for a request not running
//     here. Every replica looks the request up under (subject, session,
//     id), as a cancel posted to it would, so no subject can cancel another's.
//   - codemode_answer: a client's response to a server request (an
//     elicitation/create) that another replica sent. Server requests leave
//     a replica with ids of its own, "codemode-REPLICA-N" (outbound.go):
//     the id says where the answer goes, and that replica hands it to
//     mcp-go only when it sent that id on a stream of the same subject and
//     session.
//   - codemode_sessions: sessions this replica deleted (DELETE, the end of
//     an SSE stream, the idle sweep), so the others drop their copies and
//     end their streams at once rather than at their next touch.
//   - codemode_tools: this replica's tool set changed; the others send
//     notifications/tools/list_changed on their own streams. They do not
//     publish in turn: only a change of a replica's own registry does.
//     When the change came from an upstream's notifications/tools/list_changed,
//     a second message names that upstream, and the others list its tools
//     again on their own connections (which the upstream may not have
//     told), at most once per refreshEvery per upstream however many such
//     messages come; their own registries' changes then reach their
//     streams. A refresh is not published again.
//   - codemode_sse: a message posted for an SSE session whose stream is on
//     another replica (the session's state names it): that replica hands
//     it to the session's Conn, and the answer goes out on the stream.
//
// A message from this replica also comes back to it; each handler ignores
// what it already did.

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcp-codemode/mcp-codemode/tools"
)

// sessionRow is one session in the shared rows.
type sessionRow struct {
	ID, Subject, State string
	Created, Used      time.Time
	Stream             string // the replica holding its SSE stream; "" for none
}

// sessionCap is why the shared rows refused a session: the per-subject cap
// (or else the total) is reached; oldest is when the least recently used
// session it counts was last used.
type sessionCap struct {
	perSubject bool
	oldest     time.Time
}

func (e *sessionCap) Error() string { return "too many sessions" }

// sessionRows are the legacy sessions every replica shares.
type sessionRows interface {
	// createSession inserts row unless subject has perSubject rows or all
	// subjects total (*sessionCap); rows used before idleSince do not count
	// and are deleted when the caps are reached (their ids returned).
	createSession(ctx context.Context, row sessionRow, perSubject, total int, idleSince time.Time) (expired []string, err error)
	loadSession(ctx context.Context, id string) (sessionRow, bool, error)
	// touchSession marks a row of subject used at now, unless it was last
	// used before idleSince or is gone: then it reports false.
	touchSession(ctx context.Context, id, subject string, now, idleSince time.Time) (bool, error)
	saveSession(ctx context.Context, id, subject, state string) error
	deleteSession(ctx context.Context, id string) error
	// expireSessions deletes the rows used before idleSince, and those
	// whose stream a replica past its lease held (see heartbeat).
	expireSessions(ctx context.Context, idleSince time.Time) ([]string, error)
	// heartbeat records that replica is alive at now: the rows whose
	// stream it holds count against the caps for store.ReplicaLease after.
	heartbeat(ctx context.Context, replica string, now time.Time) error
}

// bus carries messages to every replica, this one included.
type bus interface {
	Publish(ctx context.Context, channel string, payload []byte) error
	Subscribe(channel string, fn func(payload []byte)) (cancel func())
}

// shared is what the replicas share: a *store.Store (store.go).
type shared interface {
	sessionRows
	bus
}

// The channels of the bus.
const (
	chanCancel   = "codemode_cancel"
	chanAnswer   = "codemode_answer"
	chanSessions = "codemode_sessions"
	chanTools    = "codemode_tools"
	chanSSE      = "codemode_sse"
)

// replicas is this replica's side of the bus.
type replicas struct {
	h      *Handler
	id     string // this replica, for the ids of its server requests
	bus    bus
	out    *outbound
	unsub  []func()
	closed atomic.Bool // Close was called: nothing more is published
	beats  *heartbeat  // with SSE sessions in the rows; else nil

	refreshes *refreshes // of upstreams another replica saw change
}

// forwarded is a message of the bus about one session's request.
type forwarded struct {
	From    string          `json:"from"`
	To      string          `json:"to,omitempty"`
	Subject string          `json:"subject"`
	Session string          `json:"session"`
	ID      string          `json:"id,omitempty"`   // the request's id, as JSON
	Body    json.RawMessage `json:"body,omitempty"` // the client's message: an answer, or an SSE session's
	Ended   []string        `json:"ended,omitempty"`
	// Upstream is the upstream whose notifications/tools/list_changed
	// the sender received (codemode_tools).
	Upstream string `json:"upstream,omitempty"`
}

// startReplicas joins h to the bus of sh; rows says to keep the sessions
// in its rows.
func (h *Handler) startReplicas(sh shared, rows bool) {
	rep := &replicas{h: h, id: newID()[:8], bus: sh, refreshes: newRefreshes(nil, refreshEvery, h.log)}
	rep.out = newOutbound(rep.id)
	h.rep = rep
	if rows {
		h.sessions.shared = sh
		h.sessions.gone = rep.sessionsEnded
		if h.opts.Transport == SSE {
			rep.beats = newHeartbeat(sh, rep.id)
			h.sessions.alive = rep.beats.ensure
		}
	}
	rep.subscribe(chanCancel, rep.onCancel)
	rep.subscribe(chanAnswer, rep.onAnswer)
	rep.subscribe(chanSessions, rep.onSessions)
	rep.subscribe(chanTools, rep.onTools)
	rep.subscribe(chanSSE, rep.onSSE)
	if reg := h.opts.Registry; reg != nil {
		reg.OnChange(func() { rep.publish(context.Background(), chanTools, forwarded{}) })
		reg.OnUpstreamChanged(func(name string) { rep.publish(context.Background(), chanTools, forwarded{Upstream: name}) })
		rep.refreshes.reg = reg
	}
}

func (rep *replicas) subscribe(channel string, fn func(forwarded)) {
	rep.unsub = append(rep.unsub, rep.bus.Subscribe(channel, func(payload []byte) {
		var f forwarded
		if err := json.Unmarshal(payload, &f); err != nil {
			rep.h.log.Warn("a message of the bus is not understood", "channel", channel, "err", err)
			return
		}
		if f.From != rep.id {
			rep.h.metrics.busMessage(channel, "received")
		}
		fn(f)
	}))
}

// publish sends f from this replica, within publishTimeout (the client's
// POST waits for it); a failure is logged: what it carries (a cancel, an
// answer) is then lost, as it would be over a broken connection.
func (rep *replicas) publish(ctx context.Context, channel string, f forwarded) {
	if rep.closed.Load() {
		return // shutting down: the registry's last changes are nobody's business
	}
	f.From = rep.id
	b, err := json.Marshal(f)
	if err == nil {
		pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), publishTimeout)
		defer cancel()
		err = rep.bus.Publish(pctx, channel, b)
	}
	if err != nil {
		rep.h.log.Log(ctx, slog.LevelWarn, "telling the other replicas", "channel", channel, "err", err)
		return
	}
	rep.h.metrics.busMessage(channel, "sent")
}

// publishTimeout bounds a publication while the database does not answer.
const publishTimeout = 2 * time.Second

func (rep *replicas) close() {
	if rep.closed.Swap(true) {
		return
	}
	for _, f := range rep.unsub {
		f()
	}
	rep.refreshes.close()
	if rep.beats != nil {
		rep.beats.stop()
	}
}

func (rep *replicas) onCancel(f forwarded) {
	rep.h.cancels.cancel(f.Subject + "\x00" + f.Session + "\x00" + f.ID)
}

func (rep *replicas) onAnswer(f forwarded) {
	if f.To != rep.id {
		return
	}
	if !rep.deliver(context.Background(), f.Subject, f.Session, f.ID, f.Body, &discard{header: map[string][]string{}}) {
		rep.h.log.Debug("an answer for a request no longer waiting", "session", shortID(f.Session))
	}
}

func (rep *replicas) sessionsEnded(ids []string) {
	rep.publish(context.Background(), chanSessions, forwarded{Ended: ids})
}

func (rep *replicas) onSessions(f forwarded) {
	if f.From != rep.id {
		rep.h.sessions.dropAll(f.Ended, false)
	}
}

func (rep *replicas) onTools(f forwarded) {
	switch {
	case f.From == rep.id:
	case f.Upstream != "":
		rep.refreshes.ask(f.Upstream)
	default:
		rep.h.opts.Server.MCP().SendNotificationToAllClients(string(mcp.MethodNotificationToolsListChanged), nil)
	}
}

// forwardSSE publishes a message posted for an SSE session whose stream
// another replica holds, which handles it as if it had been posted there.
func (rep *replicas) forwardSSE(r *http.Request, id string) bool {
	owner := rep.h.sessions.stream(id)
	if owner == "" || owner == rep.id {
		return false
	}
	rep.publish(r.Context(), chanSSE, forwarded{To: owner, Subject: subjectOf(r), Session: id, Body: messageFrom(r).raw})
	return true
}

func (rep *replicas) onSSE(f forwarded) {
	if f.To == rep.id && rep.h.sse != nil {
		rep.h.sse.forwarded(tools.WithSubject(context.Background(), f.Subject), f.Subject, f.Session, f.Body)
	}
}
