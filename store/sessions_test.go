package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/mcp-codemode/mcp-codemode/store"
)

// TestSessions: a session's row is created within the caps (the subject's,
// then all), found, touched only while fresh and its subject's, given a
// state, expired and deleted.
func TestSessions(t *testing.T) {
	each(t, func(t *testing.T, b backend) {
		s, ctx := open(t, b.options(t)), context.Background()
		t0 := time.UnixMilli(1_000_000)
		create := func(id, subject string, at time.Time) error {
			_, err := s.CreateSession(ctx, store.Session{ID: id, Subject: subject, State: "{}", Created: at, Used: at},
				2, 3, at.Add(-time.Minute))
			return err
		}
		for i, c := range []struct{ id, subject string }{{"a1", "alice"}, {"a2", "alice"}, {"b1", "bob"}} {
			if err := create(c.id, c.subject, t0.Add(time.Duration(i)*time.Second)); err != nil {
				t.Fatalf("%s: %v", c.id, err)
			}
		}
		var full *store.SessionCapError
		if err := create("a3", "alice", t0.Add(10*time.Second)); !errors.As(err, &full) || !full.PerSubject || !full.Oldest.Equal(t0) {
			t.Errorf("alice's third: %v (%+v); want her cap, oldest used at t0", err, full)
		}
		if err := create("c1", "carol", t0.Add(10*time.Second)); !errors.As(err, &full) || full.PerSubject || full.Limit != 3 {
			t.Errorf("carol, all full: %v (%+v); want the total cap", err, full)
		}
		row, found, err := s.Session(ctx, "a2")
		if err != nil || !found || row.Subject != "alice" || !row.Used.Equal(t0.Add(time.Second)) {
			t.Errorf("Session(a2) = %+v, %v, %v", row, found, err)
		}
		if _, found, _ := s.Session(ctx, "nope"); found {
			t.Error("a session never created was found")
		}
		if ok, _ := s.TouchSession(ctx, "a2", "bob", t0.Add(20*time.Second), t0); ok {
			t.Error("bob touched alice's session")
		}
		if ok, _ := s.TouchSession(ctx, "a2", "alice", t0.Add(20*time.Second), t0.Add(2*time.Second)); ok {
			t.Error("a session idle past its expiry was touched")
		}
		if ok, err := s.TouchSession(ctx, "a2", "alice", t0.Add(20*time.Second), t0); !ok || err != nil {
			t.Errorf("touching a fresh session: %v, %v", ok, err)
		}
		if err := s.SetSessionState(ctx, "a2", "alice", `{"logLevel":"info"}`); err != nil {
			t.Fatal(err)
		}
		if row, _, _ := s.Session(ctx, "a2"); row.State != `{"logLevel":"info"}` {
			t.Errorf("state = %q", row.State)
		}
		// Over the cap, the sessions idle for a minute make room.
		later := t0.Add(70 * time.Second)
		expired, err := s.CreateSession(ctx, store.Session{ID: "c1", Subject: "carol", State: "{}", Created: later, Used: later},
			2, 3, later.Add(-time.Minute))
		slices.Sort(expired)
		if err != nil || !slices.Equal(expired, []string{"a1", "b1"}) {
			t.Errorf("carol, after a1 and b1 idled: %v, expired %v", err, expired)
		}
		if err := s.DeleteSession(ctx, "c1"); err != nil {
			t.Fatal(err)
		}
		ids, err := s.ExpireSessions(ctx, t0.Add(time.Hour))
		if err != nil || !slices.Equal(ids, []string{"a2"}) {
			t.Errorf("ExpireSessions = %v, %v; want [a2]", ids, err)
		}
	})
}

// TestSessionsOfDeadReplica: the sessions whose SSE stream a replica holds
// count against the caps while its heartbeat is within ReplicaLease; past
// it they do not, the next expiry deletes them, and a live replica's and
// stream-less sessions are left alone.
func TestSessionsOfDeadReplica(t *testing.T) {
	each(t, func(t *testing.T, b backend) {
		s, ctx := open(t, b.options(t)), context.Background()
		now := time.Now()
		create := func(id, stream string) error {
			_, err := s.CreateSession(ctx, store.Session{ID: id, Subject: "alice", State: "{}", Created: now, Used: now, Stream: stream},
				2, 10, now.Add(-time.Hour))
			return err
		}
		for _, r := range []string{"dead", "live"} {
			if err := s.Heartbeat(ctx, r, now); err != nil {
				t.Fatal(err)
			}
		}
		if err := create("d1", "dead"); err != nil {
			t.Fatal(err)
		}
		if err := create("d2", "dead"); err != nil {
			t.Fatal(err)
		}
		var full *store.SessionCapError
		if err := create("l1", "live"); !errors.As(err, &full) {
			t.Fatalf("a third session while the replica holding two is alive: %v; want alice's cap", err)
		}
		// "dead" last beat longer ago than the lease.
		if err := s.Heartbeat(ctx, "dead", now.Add(-store.ReplicaLease-time.Second)); err != nil {
			t.Fatal(err)
		}
		if err := create("l1", "live"); err != nil {
			t.Fatalf("after the replica holding two died: %v; want its sessions not counted", err)
		}
		if err := create("h1", ""); err != nil {
			t.Fatal(err)
		}
		ids, err := s.ExpireSessions(ctx, now.Add(-time.Hour))
		slices.Sort(ids)
		if err != nil || !slices.Equal(ids, []string{"d1", "d2"}) {
			t.Errorf("ExpireSessions = %v, %v; want the dead replica's [d1 d2]", ids, err)
		}
		if row, found, _ := s.Session(ctx, "l1"); !found || row.Stream != "live" {
			t.Errorf("Session(l1) = %+v, %v; want it kept, its stream on live", row, found)
		}
	})
}

// TestSessionCapsConcurrent: sessions created at once, as by replicas
// sharing the database, never pass the cap.
func TestSessionCapsConcurrent(t *testing.T) {
	each(t, func(t *testing.T, b backend) {
		o := b.options(t)
		stores := []*store.Store{open(t, o)}
		if b.durable {
			stores = append(stores, open(t, o))
		}
		ctx, now := context.Background(), time.Now()
		var wg sync.WaitGroup
		var mu sync.Mutex
		created := 0
		for i := range 20 {
			wg.Go(func() {
				s := stores[i%len(stores)]
				_, err := s.CreateSession(ctx, store.Session{ID: fmt.Sprint("s", i), Subject: "alice", State: "{}",
					Created: now, Used: now}, 5, 100, now.Add(-time.Hour))
				var full *store.SessionCapError
				switch {
				case err == nil:
					mu.Lock()
					created++
					mu.Unlock()
				case !errors.As(err, &full):
					t.Errorf("session %d: %v", i, err)
				}
			})
		}
		wg.Wait()
		if created != 5 {
			t.Errorf("%d sessions created at once under a cap of 5", created)
		}
	})
}
