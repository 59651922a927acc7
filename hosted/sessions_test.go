package hosted

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"
)

// TestSessionTable: a session answers only to its subject, is used by each
// request, and expires idle, ending its stream, when swept or when used.
func TestSessionTable(t *testing.T) {
	now := time.Unix(0, 0)
	ctx := context.Background()
	tab := newSessions(time.Minute, 0, 0)
	tab.now = func() time.Time { return now }
	ended := make(chan string, 2)
	a, _ := tab.create(ctx, "alice", sessionState{}, func() { ended <- "a" })
	b, _ := tab.create(ctx, "bob", sessionState{}, func() { ended <- "b" })
	if _, err := tab.use(ctx, a.id, "bob"); !errors.Is(err, errOtherSubject) {
		t.Errorf("bob using alice's session: %v", err)
	}
	now = now.Add(50 * time.Second)
	if _, err := tab.use(ctx, a.id, "alice"); err != nil {
		t.Errorf("alice: %v", err)
	}
	now = now.Add(30 * time.Second) // b idle 80 s, a 30 s
	_ = tab.sweep(ctx)
	if got := <-ended; got != "b" || tab.count() != 1 {
		t.Errorf("swept %q, %d left; want b swept, 1 left", got, tab.count())
	}
	if _, err := tab.use(ctx, b.id, "bob"); !errors.Is(err, errNoSession) {
		t.Errorf("an expired session: %v", err)
	}
	now = now.Add(2 * time.Minute)
	if _, err := tab.use(ctx, a.id, "alice"); !errors.Is(err, errNoSession) || <-ended != "a" {
		t.Errorf("an idle session used: %v", err)
	}
	m := tab.ResolveSessionIdManager(nil) // mcp-go's sweeper asks without a request
	c, _ := tab.create(ctx, "carol", sessionState{}, nil)
	id := c.id
	if _, err := m.Terminate(id); err != nil || tab.count() != 0 {
		t.Errorf("terminate: %v, %d left", err, tab.count())
	}
	if id1, id2 := newID(), newID(); len(id1) != 32 || id1 == id2 {
		t.Error("session ids are not 128 random bits")
	}
}

// TestSessionCaps: a subject gets max_sessions_per_subject sessions, the
// server max_sessions; over a cap create names it and says when the least
// recently used session it counts expires; idle sessions make room, and
// so does one removed; the transport forgets what the table expires.
func TestSessionCaps(t *testing.T) {
	now := time.Unix(0, 0)
	ctx := context.Background()
	tab := newSessions(time.Minute, 2, 3)
	tab.now = func() time.Time { return now }
	var forgot []string
	tab.forget = func(id string) { forgot = append(forgot, id) }
	a1, _ := tab.create(ctx, "alice", sessionState{}, nil)
	now = now.Add(10 * time.Second)
	a2, _ := tab.create(ctx, "alice", sessionState{}, nil)
	_, err := tab.create(ctx, "alice", sessionState{}, nil)
	var tm *tooManySessions
	if !errors.As(err, &tm) || tm.key != "codemode.max_sessions_per_subject" || tm.retryAfter != 50*time.Second {
		t.Fatalf("alice's third session: %v (%+v); want max_sessions_per_subject, retry after 50s", err, tm)
	}
	if err.Error() != "too many sessions: this subject has 2 open, the most codemode.max_sessions_per_subject allows" {
		t.Errorf("message: %q", err)
	}
	if _, err := tab.create(ctx, "bob", sessionState{}, nil); err != nil {
		t.Fatalf("bob, while alice is at her cap: %v", err)
	}
	_, err = tab.create(ctx, "carol", sessionState{}, nil)
	if !errors.As(err, &tm) || tm.key != "codemode.max_sessions" || tm.retryAfter != 50*time.Second {
		t.Fatalf("carol, the server full: %v (%+v)", err, tm)
	}
	_ = tab.remove(ctx, a2.id)
	if _, err := tab.create(ctx, "carol", sessionState{}, nil); err != nil {
		t.Fatalf("carol, after alice closed one: %v", err)
	}
	now = now.Add(61 * time.Second) // a1 idle 71 s, the others 61 s: all expire
	if _, err := tab.create(ctx, "alice", sessionState{}, nil); err != nil || tab.count() != 1 {
		t.Fatalf("alice, her sessions idle: %v, %d open; want 1", err, tab.count())
	}
	if len(forgot) != 3 || !slices.Contains(forgot, a1.id) {
		t.Errorf("forgot %d sessions (%v), want the 3 expired", len(forgot), forgot)
	}
	if len(tab.bySubject) != 1 || tab.bySubject["alice"] != 1 {
		t.Errorf("counts by subject: %v", tab.bySubject)
	}
}

// TestSessionListen: one GET stream per session; none for a session gone.
func TestSessionListen(t *testing.T) {
	ctx := context.Background()
	tab := newSessions(time.Minute, 0, 0)
	s, _ := tab.create(ctx, "alice", sessionState{}, nil)
	done, err := tab.listen(s.id)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tab.listen(s.id); !errors.Is(err, errListening) {
		t.Errorf("a second stream: %v", err)
	}
	done()
	if done, err = tab.listen(s.id); err != nil {
		t.Errorf("a stream after the first ended: %v", err)
	}
	done()
	_ = tab.remove(ctx, s.id)
	if _, err := tab.listen(s.id); !errors.Is(err, errNoSession) {
		t.Errorf("a stream of a closed session: %v", err)
	}
}
