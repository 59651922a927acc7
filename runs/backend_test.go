package runs

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mcp-codemode/mcp-codemode/internal/testenv"
	"github.com/mcp-codemode/mcp-codemode/store"
)

// backends are every Backend, fresh for one test.
var backends = []struct {
	name string
	open func(t *testing.T) Backend
}{
	{"memory", func(t *testing.T) Backend { return NewMemory(0, 0) }},
	{"sqlite", func(t *testing.T) Backend { return NewSQL(openStore(t, store.Options{Dir: t.TempDir()})) }},
	{"postgres", func(t *testing.T) Backend { return NewSQL(openStore(t, store.Options{URL: testenv.Postgres(t)})) }},
}

func openStore(t *testing.T, o store.Options) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestBackends(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			be := b.open(t)
			t0 := time.UnixMilli(1_700_000_000_000)
			rec := func(id, subject string, hours int) *Record {
				return &Record{ID: id, Subject: subject, Start: t0.Add(time.Duration(hours) * time.Hour), End: t0.Add(time.Duration(hours)*time.Hour + 1500*time.Millisecond),
					Code: "return 1 // \x00 nul", Outcome: "ok", ResultBytes: 1, CallCount: 2, Calls: []Call{
						{Ordinal: 1, Kind: KindTool, Name: "memory.read_graph", ArgsBytes: 2, ArgsSHA256: Digest([]byte("{}")), Outcome: "ok", Start: 3 * time.Millisecond, Duration: 40 * time.Millisecond},
						{Ordinal: 2, Kind: KindFetch, Name: "GET https://a.example/x", ArgsBytes: 9, ArgsSHA256: Digest([]byte("123456789")), Outcome: "error", ErrorName: "TypeError", Start: 50 * time.Millisecond, Duration: time.Millisecond},
					}}
			}
			if err := be.Insert(ctx, []*Record{rec("r1", "alice", 0), rec("r2", "bob", 1)}); err != nil {
				t.Fatal(err)
			}
			if err := be.Insert(ctx, []*Record{rec("r3", "alice", 2)}); err != nil {
				t.Fatal(err)
			}
			got, err := be.Get(ctx, "r2")
			if err != nil {
				t.Fatal(err)
			}
			want := rec("r2", "bob", 1)
			if _, mem := be.(*Memory); !mem {
				want.Code = "return 1 // \uFFFD nul" // as PostgreSQL's TEXT can hold it
			}
			if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
				t.Errorf("Get (-want +got):\n%s", diff)
			}
			if _, err := be.Get(ctx, "nope"); !errors.Is(err, ErrNotFound) {
				t.Errorf("Get of an unknown id: %v, want ErrNotFound", err)
			}
			ids := func(q Query) string {
				list, err := be.List(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				var s []string
				for _, r := range list {
					if r.Calls != nil || r.CallCount != 2 {
						t.Errorf("listed %s with calls %v, count %d", r.ID, r.Calls, r.CallCount)
					}
					s = append(s, r.ID)
				}
				return strings.Join(s, " ")
			}
			for _, c := range []struct {
				q    Query
				want string
			}{{Query{}, "r3 r2 r1"}, {Query{Limit: 2}, "r3 r2"}, {Query{Subject: "alice"}, "r3 r1"}} {
				if got := ids(c.q); got != c.want {
					t.Errorf("List(%+v) = %q, want %q", c.q, got, c.want)
				}
			}
			n, err := be.Prune(ctx, t0.Add(90*time.Minute), 1)
			if err != nil || n != 1 || ids(Query{}) != "r3 r2" {
				t.Errorf("Prune with limit 1: %d, %v, left %q", n, err, ids(Query{}))
			}
			n, err = be.Prune(ctx, t0.Add(90*time.Minute), 10)
			if err != nil || n != 1 || ids(Query{}) != "r3" {
				t.Errorf("Prune: %d, %v, left %q", n, err, ids(Query{}))
			}
			if _, err := be.Get(ctx, "r2"); !errors.Is(err, ErrNotFound) {
				t.Errorf("a pruned record is still there: %v", err)
			}
		})
	}
}

// TestRecorderPostgresOutage: while PostgreSQL is down, finishing a run
// still returns at once; the records wait and are written when it is back.
func TestRecorderPostgresOutage(t *testing.T) {
	srv := testenv.PostgresServer(t)
	st := openStore(t, store.Options{URL: srv.NewDatabase(t), ConnectTimeout: time.Second})
	be := NewSQL(st)
	rec := NewRecorder(be, Options{})
	defer rec.Close(context.Background())
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	var ids []string
	start := time.Now()
	for i := range 5 {
		ids = append(ids, finish(rec, "while down "+string(rune('a'+i))))
	}
	if d := time.Since(start); d > testenv.Within(50*time.Millisecond) {
		t.Errorf("5 runs took %v to finish while the database was down", d)
	}
	time.Sleep(300 * time.Millisecond) // the writer fails at least once
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		list, err := be.List(context.Background(), Query{})
		return err == nil && len(list) == len(ids)
	})
	for _, id := range ids {
		if _, err := be.Get(context.Background(), id); err != nil {
			t.Errorf("%s: %v", id, err)
		}
	}
}
