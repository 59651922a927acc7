package workspace

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcp-codemode/mcp-codemode/internal/testenv"
	"github.com/mcp-codemode/mcp-codemode/store"
	"github.com/mcp-codemode/mcp-codemode/tools"
)

// replicas are two workspaces, each on a store of its own, on one fresh
// database of b: two processes sharing a data directory or a PostgreSQL
// database. In memory nothing is shared, so it has none.
func replicas(t *testing.T, b backend, limits Limits) (*Workspace, *Workspace, *store.Store) {
	t.Helper()
	o := b.options(t)
	st := openStore(t, o)
	return New(st, limits), New(openStore(t, o), limits), st
}

// TestQuotaAcrossReplicas: two replicas write 15 files each of one
// subject at once, each file costing 100 bytes of a 2,000-byte quota.
// Exactly 20 writes succeed and the rest are refused as full: neither
// replica passes the quota on counts the other is changing, and the
// counters equal what the rows take.
func TestQuotaAcrossReplicas(t *testing.T) {
	onEach(t, func(t *testing.T, b backend) {
		if b.name == "memory" {
			return
		}
		w1, w2, st := replicas(t, b, Limits{MaxBytes: 2000})
		ctx := tools.WithSubject(context.Background(), "shared")
		content := strings.Repeat("x", 95) // + a 5-byte path
		var (
			mu       sync.Mutex
			ok, full int
			other    []error
			wg       sync.WaitGroup
		)
		for r, w := range []*Workspace{w1, w2} {
			for i := range 15 {
				wg.Go(func() {
					err := w.WriteFile(ctx, fmt.Sprintf("r%d/%02d", r, i), content)
					mu.Lock()
					defer mu.Unlock()
					switch {
					case err == nil:
						ok++
					case strings.HasPrefix(err.Error(), "the workspace is full"):
						full++
					default:
						other = append(other, err)
					}
				})
			}
		}
		wg.Wait()
		if ok != 20 || full != 10 || len(other) > 0 {
			t.Errorf("%d writes kept, %d refused as full, other errors %v; want 20 and 10", ok, full, other)
		}
		if got, want := counters(t, st, "shared"), rowsTake(t, st, "shared"); got != want || got.bytes != 2000 {
			t.Errorf("usage %+v, rows take %+v; want 2000 bytes", got, want)
		}
	})
}

// TestConflictsAcrossReplicas: one replica writes a file "kN" while the
// other writes "kN/x" under it; at most one of the two may succeed, since
// a path cannot be a file and a directory at once (each checks before it
// writes, so the checks must not overlap). And moves and deletes
// of one subject's files on both replicas at once end without a deadlock.
func TestConflictsAcrossReplicas(t *testing.T) {
	onEach(t, func(t *testing.T, b backend) {
		if b.name == "memory" {
			return
		}
		w1, w2, st := replicas(t, b, Limits{})
		ctx := tools.WithSubject(context.Background(), "shared")
		var both []int // without the lock of the usage row, 4 of 20 rounds were
		for i := range 40 {
			var wg sync.WaitGroup
			var e1, e2 error
			wg.Go(func() { e1 = w1.WriteFile(ctx, fmt.Sprintf("k%d", i), "file") })
			wg.Go(func() { e2 = w2.WriteFile(ctx, fmt.Sprintf("k%d/x", i), "under") })
			wg.Wait()
			if e1 == nil && e2 == nil {
				both = append(both, i)
			}
		}
		if len(both) > 0 {
			t.Errorf("rounds %v of 40 wrote both the file kN and the file kN/x", both)
		}
		r1, r2 := workspaceRegistry(t, w1), workspaceRegistry(t, w2)
		var wg sync.WaitGroup
		for n, r := range []*tools.Registry{r1, r2} {
			wg.Go(func() {
				for i := range 30 {
					var err error
					switch i % 3 {
					case 0:
						_, err = callAs(t, ctx, r, "write_file", fmt.Sprintf(`{"path":"m/%d/f","content":"%d"}`, i%4, n))
					case 1:
						_, err = callAs(t, ctx, r, "move_file", fmt.Sprintf(`{"from":"m/%d","to":"m/%d","overwrite":true}`, i%4, (i+1)%4))
					default:
						_, err = callAs(t, ctx, r, "delete_file", fmt.Sprintf(`{"path":"m/%d","recursive":true}`, i%4))
					}
					var te *tools.ToolError
					if err != nil && !errors.As(err, &te) {
						t.Errorf("replica %d, step %d: %v", n, i, err)
					}
					if errors.As(err, &te) && !strings.HasPrefix(te.Message, "no file") && !strings.Contains(te.Message, "exists") {
						t.Errorf("replica %d, step %d: %v", n, i, err)
					}
				}
			})
		}
		wg.Wait()
		if got, want := counters(t, st, "shared"), rowsTake(t, st, "shared"); got != want {
			t.Errorf("usage %+v, rows take %+v", got, want)
		}
	})
}

// TestStoreErrorWhileDown stops PostgreSQL under a workspace: its calls
// fail with a StoreError the script can catch, saying what and why, and
// work again by themselves once the database is back.
func TestStoreErrorWhileDown(t *testing.T) {
	srv := testenv.PostgresServer(t)
	st := openStore(t, store.Options{URL: srv.NewDatabase(t), ConnectTimeout: time.Second})
	r := workspaceRegistry(t, New(st, Limits{}))
	mustCall(t, r, "write_file", `{"path":"a.txt","content":"before"}`)
	must(t, srv.Stop())

	for _, c := range [][2]string{{"write_file", `{"path":"a.txt","content":"during"}`}, {"read_file", `{"path":"a.txt"}`}} {
		_, err := call(t, r, c[0], c[1])
		var se *tools.StoreError
		const want = "the workspace is unavailable: the database is unreachable: "
		if !errors.As(err, &se) || se.ErrorName() != "StoreError" || !strings.HasPrefix(se.Error(), want) || !strings.HasSuffix(se.Error(), "; try again") {
			t.Errorf("%s while the database is down: %T %v\nwant a StoreError %q…", c[0], err, err, want)
		}
		if se != nil && (se.Server != Namespace || se.Tool != c[0]) {
			t.Errorf("the StoreError names %s.%s", se.Server, se.Tool)
		}
	}

	must(t, srv.Start())
	deadline := time.Now().Add(testenv.Within(5 * time.Second))
	for {
		out, err := call(t, r, "read_file", `{"path":"a.txt"}`)
		if err == nil {
			if string(out) != `"before"` {
				t.Errorf("after the restart: %s", out)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the workspace did not recover after the database came back: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
