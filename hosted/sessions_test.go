package hosted

import (
	"errors"
	"testing"
	"time"
)

// TestSessionTable: a session answers only to its subject, is used by each
// request, and expires idle, ending its stream, when swept or when used.
func TestSessionTable(t *testing.T) {
	now := time.Unix(0, 0)
	tab := newSessions(time.Minute)
	tab.now = func() time.Time { return now }
	ended := make(chan string, 2)
	a := tab.create("alice", func() { ended <- "a" })
	b := tab.create("bob", func() { ended <- "b" })
	if _, err := tab.use(a.id, "bob"); !errors.Is(err, errOtherSubject) {
		t.Errorf("bob using alice's session: %v", err)
	}
	now = now.Add(50 * time.Second)
	if _, err := tab.use(a.id, "alice"); err != nil {
		t.Errorf("alice: %v", err)
	}
	now = now.Add(30 * time.Second) // b idle 80 s, a 30 s
	tab.sweep()
	if got := <-ended; got != "b" || tab.count() != 1 {
		t.Errorf("swept %q, %d left; want b swept, 1 left", got, tab.count())
	}
	if _, err := tab.use(b.id, "bob"); !errors.Is(err, errNoSession) {
		t.Errorf("an expired session: %v", err)
	}
	now = now.Add(2 * time.Minute)
	if _, err := tab.use(a.id, "alice"); !errors.Is(err, errNoSession) || <-ended != "a" {
		t.Errorf("an idle session used: %v", err)
	}
	m := tab.ResolveSessionIdManager(nil) // mcp-go's sweeper asks without a request
	id := tab.create("carol", nil).id
	if _, err := m.Terminate(id); err != nil || tab.count() != 0 {
		t.Errorf("terminate: %v, %d left", err, tab.count())
	}
	if id1, id2 := newID(), newID(); len(id1) != 32 || id1 == id2 {
		t.Error("session ids are not 128 random bits")
	}
}
