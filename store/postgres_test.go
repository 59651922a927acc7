package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcp-codemode/mcp-codemode/internal/testenv"
	"github.com/mcp-codemode/mcp-codemode/store"
)

// TestConcurrentOpen: replicas starting together on a fresh database
// migrate it once, under the advisory lock, and all open.
func TestConcurrentOpen(t *testing.T) {
	url := testenv.Postgres(t)
	const n = 4
	var wg sync.WaitGroup
	errs := make([]error, n)
	stores := make([]*store.Store, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stores[i], errs[i] = store.Open(context.Background(), store.Options{URL: url})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Open %d: %v", i, err)
		}
		defer stores[i].Close()
	}
	if got := count(t, stores[0], `SELECT COUNT(*) FROM schema_migrations`); got != store.SchemaVersion {
		t.Errorf("%d migrations recorded, want %d", got, store.SchemaVersion)
	}
}

// TestConnectErrors: a database that cannot be used at Open gives a
// StoreError saying why, never the password.
func TestConnectErrors(t *testing.T) {
	const password = "Sw0rdf1sh-Secret"
	good := testenv.Postgres(t)
	host := strings.TrimPrefix(strings.Split(good, "/")[2], "postgres@")
	admin, err := store.Open(context.Background(), store.Options{URL: good})
	if err != nil {
		t.Fatal(err)
	}
	role := fmt.Sprintf("codemode_auth_%d", time.Now().UnixNano())
	exec(t, admin, fmt.Sprintf(`CREATE ROLE %s LOGIN PASSWORD 'right-password'`, role))
	t.Cleanup(func() { admin.Write().Exec(`DROP ROLE IF EXISTS ` + role) })
	admin.Close()
	silent := listenSilently(t)

	for _, tc := range []struct {
		name, url, want string
	}{
		{"refused", "postgres://u:" + password + "@127.0.0.1:1/db?sslmode=disable", "StoreError: the database is unreachable: "},
		{"dns", "postgres://u:" + password + "@no-such-host.invalid:5432/db?sslmode=disable", "StoreError: the database host is not found (DNS): "},
		{"auth", "postgres://" + role + ":" + password + "@" + host + "/postgres?sslmode=disable", "StoreError: the database refused the credentials"},
		{"no database", "postgres://postgres:" + password + "@" + host + "/no_such_db?sslmode=disable", "StoreError: the database does not exist"},
		{"tls", "postgres://postgres:" + password + "@" + host + "/postgres?sslmode=require", "StoreError: the TLS connection to the database failed"},
		{"timeout", "postgres://u:" + password + "@" + silent + "/db?sslmode=disable", "StoreError: the database did not answer in time"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := store.Open(context.Background(), store.Options{URL: tc.url, ConnectTimeout: 500 * time.Millisecond})
			var se *store.Error
			if !errors.As(err, &se) {
				t.Fatalf("Open gave %v (%T), want a *store.Error", err, err)
			}
			if !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("Open gave\n%v\nwant it to start with\n%s", err, tc.want)
			}
			t.Log(err)
			if strings.Contains(err.Error(), password) {
				t.Errorf("the message holds the password: %v", err)
			}
		})
	}
}

// listenSilently accepts connections and never answers.
func listenSilently(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() })
		}
	}()
	return l.Addr().String()
}

// TestOutage: while PostgreSQL is down, transactions fail with a
// StoreError saying it is unreachable and Ready fails; after it is back
// both work again without reopening, and nothing committed is lost.
func TestOutage(t *testing.T) {
	srv := testenv.PostgresServer(t)
	s := open(t, store.Options{URL: srv.NewDatabase(t)})
	ctx := context.Background()
	insert := func(id string) error {
		return s.Tx(ctx, true, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO pins (id, hash, description, pinned) VALUES ($1, 'h', 'd', 0)`, id)
			return err
		})
	}
	if err := insert("before"); err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	err := insert("during")
	var se *store.Error
	if !errors.As(err, &se) || !strings.HasPrefix(err.Error(), "StoreError: the database is unreachable: ") {
		t.Errorf("a write while the database is down gave %v; want StoreError: the database is unreachable: …", err)
	}
	if err := s.Ready(ctx); err == nil || !strings.HasPrefix(err.Error(), "StoreError: ") {
		t.Errorf("Ready while down = %v, want a StoreError", err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	if err := s.Ready(ctx); err != nil {
		t.Errorf("Ready after the restart: %v", err)
	}
	if err := insert("after"); err != nil {
		t.Errorf("a write after the restart: %v", err)
	}
	if got := column(t, s, `SELECT id FROM pins ORDER BY id`); strings.Join(got, ",") != "after,before" {
		t.Errorf("pins = %v, want [after before]", got)
	}
}

// TestBusReconnect: after PostgreSQL restarts, each Store's listener
// reconnects by itself and payloads cross between them again; while the
// server is down a Store's own subscribers still receive its payloads.
func TestBusReconnect(t *testing.T) {
	srv := testenv.PostgresServer(t)
	url := srv.NewDatabase(t)
	s1, s2 := open(t, store.Options{URL: url}), open(t, store.Options{URL: url})
	in1, in2 := subscribe(t, s1, "ch"), subscribe(t, s2, "ch")
	ctx := context.Background()
	srv.Stop()
	if err := s1.Publish(ctx, "ch", []byte("down")); err == nil {
		t.Error("Publish while the database is down should fail (the other replicas cannot get it)")
	}
	if in1.wait(t, 1); string(in1.got[0]) != "down" {
		t.Errorf("the publishing Store's subscriber received %q, want \"down\"", in1.got[0])
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	// The listeners reconnect within their backoff (at most 5 s): publish
	// until the other Store receives.
	deadline := time.Now().Add(testenv.Within(15 * time.Second))
	for in2.count() == 0 && time.Now().Before(deadline) {
		if err := s1.Publish(ctx, "ch", []byte("up")); err != nil {
			t.Logf("publish: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if in2.count() == 0 {
		t.Fatal("the second Store received nothing after the restart")
	}
	if in1.count() < 2 {
		t.Error("the publishing Store's own subscriber received nothing after the restart")
	}
}
