package learn

import (
	"context"
	"sync"
	"testing"

	"github.com/mcp-codemode/mcp-codemode/internal/testenv"
	"github.com/mcp-codemode/mcp-codemode/store"
	"github.com/mcp-codemode/mcp-codemode/typegen"
)

func typeOf(b *Book, subject, tool, hash string) string {
	s, _, _ := b.Learned(subject, tool, hash)
	if s == nil {
		return "unknown"
	}
	return typegen.TypeOf(s)
}

func TestBook(t *testing.T) {
	b := NewBook(BookOptions{})
	defer b.Close()
	b.Observe("", "m\x00t", "h1", []byte(`{"a":1}`))
	b.Observe("", "m\x00t", "h1", []byte(`{"a":2}`))
	b.Observe("alice", "m\x00t", "h1", []byte(`"text"`))
	b.Sync()
	if got := typeOf(b, "", "m\x00t", "h1"); got != "{ a: number }" {
		t.Errorf("subject \"\": %s", got)
	}
	if got := typeOf(b, "alice", "m\x00t", "h1"); got != "string" {
		t.Errorf("alice: %s, shaped by another subject's results", got)
	}
	if got := typeOf(b, "", "m\x00t", "h2"); got != "unknown" {
		t.Errorf("a changed definition: %s, want to start over", got)
	}
	_, n, stable := b.Learned("", "m\x00t", "h1")
	if n != 2 || stable != 1 {
		t.Errorf("results %d, stable %d; want 2, 1 (the second result changed nothing)", n, stable)
	}
	v := b.Version("")
	b.Observe("", "m\x00t", "h1", []byte(`{"a":3}`))
	b.Sync()
	if b.Version("") != v {
		t.Error("a result that changed no type changed the version")
	}
	b.Observe("", "m\x00t", "h1", []byte(`{"b":3}`))
	b.Sync()
	if b.Version("") == v {
		t.Error("a result that changed a type left the version")
	}
}

func TestNilBook(t *testing.T) {
	var b *Book
	b.Observe("", "t", "h", []byte(`1`))
	b.Sync()
	if s, _, _ := b.Learned("", "t", "h"); s != nil {
		t.Error("a nil book learned")
	}
}

// Two books on one store (two replicas) add up their results, each counted
// once, and a third reads the sum; on SQLite and on PostgreSQL (each
// replica's server NUL tool id kept as PostgreSQL's TEXT allows).
func TestBookStore(t *testing.T) {
	for _, db := range []struct {
		name string
		opts func(t *testing.T) store.Options
	}{
		{"sqlite", func(t *testing.T) store.Options { return store.Options{Dir: t.TempDir()} }},
		{"postgres", func(t *testing.T) store.Options { return store.Options{URL: testenv.Postgres(t)} }},
	} {
		t.Run(db.name, func(t *testing.T) {
			st, err := store.Open(context.Background(), db.opts(t))
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			bookStore(t, st)
		})
	}
}

func bookStore(t *testing.T, st *store.Store) {
	one, two := NewBook(BookOptions{Store: st}), NewBook(BookOptions{Store: st})
	one.Observe("s", "m\x00t", "h", []byte(`{"a":1,"b":1}`))
	for range 20 {
		two.Observe("s", "m\x00t", "h", []byte(`{"a":1}`))
	}
	one.Sync()
	two.Sync()
	var wg sync.WaitGroup
	wg.Go(one.Flush)
	wg.Go(two.Flush) // at once: one of them writes again over the other's row
	wg.Wait()
	one.Close()
	two.Close()
	three := NewBook(BookOptions{Store: st})
	defer three.Close()
	if got := typeOf(three, "s", "m\x00t", "h"); got != "{ a: number; b?: number }" {
		t.Errorf("stored: %s", got)
	}
	if _, n, _ := three.Learned("s", "m\x00t", "h"); n != 21 {
		t.Errorf("stored from %d results, want 21", n)
	}
	// A changed definition replaces the stored shape.
	three.Observe("s", "m\x00t", "h2", []byte(`[]`))
	three.Sync()
	three.Flush()
	var rows int
	st.Read().QueryRow(`SELECT COUNT(*) FROM learned`).Scan(&rows)
	if rows != 1 {
		t.Errorf("%d rows after the definition changed, want 1", rows)
	}
}

// Observe never blocks, however many results wait.
func TestObserveNeverBlocks(t *testing.T) {
	b := &Book{queue: make(chan observation, 1), done: make(chan struct{})} // no worker
	for range 1000 {
		b.Observe("", "t", "h", []byte(`{"a":1}`))
	}
	if len(b.queue) != 1 || b.queued.Load() != int64(len(`{"a":1}`)) {
		t.Errorf("queue %d, queued bytes %d", len(b.queue), b.queued.Load())
	}
	big := make([]byte, MaxQueuedBytes)
	<-b.queue
	b.queued.Store(0)
	b.Observe("", "t", "h", big)
	b.Observe("", "t", "h", []byte(`1`))
	if len(b.queue) != 1 {
		t.Errorf("%d queued past MaxQueuedBytes", len(b.queue))
	}
}

// What one replica stored reaches another that serves the same subject,
// with its change announced.
func TestBookRefresh(t *testing.T) {
	st, err := store.Open(context.Background(), store.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	one, two := NewBook(BookOptions{Store: st}), NewBook(BookOptions{Store: st})
	defer one.Close()
	defer two.Close()
	changed := make(chan string, 4)
	two.OnChange(func(subject string) { changed <- subject })
	if got := typeOf(two, "", "m\x00t", "h"); got != "unknown" { // reads subject "" now
		t.Fatal(got)
	}
	one.Observe("", "m\x00t", "h", []byte(`{"a":[1]}`))
	one.Sync()
	one.Flush()
	two.Refresh()
	if got := typeOf(two, "", "m\x00t", "h"); got != "{ a: number[] }" {
		t.Errorf("after Refresh: %s", got)
	}
	select {
	case s := <-changed:
		if s != "" {
			t.Errorf("changed %q", s)
		}
	default:
		t.Error("the change was not announced")
	}
	two.Refresh() // nothing new: no change
	if len(changed) != 0 {
		t.Error("a Refresh that read nothing new announced a change")
	}
}
