package runs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mcp-codemode/mcp-codemode/internal/testenv"
)

// blocking is a Backend whose Insert waits until released, or fails while
// failing is set.
type blocking struct {
	*Memory
	release chan struct{}
	failing atomic.Bool
	inserts atomic.Int32
}

func (b *blocking) Insert(ctx context.Context, recs []*Record) error {
	b.inserts.Add(1)
	if b.failing.Load() {
		return errors.New("StoreError: the database is unreachable")
	}
	select {
	case <-b.release:
	case <-ctx.Done():
		return ctx.Err()
	}
	return b.Memory.Insert(ctx, recs)
}

func finish(rec *Recorder, code string) string {
	run := rec.Begin("alice", code)
	i := run.Call(KindTool, "memory.read_graph", []byte(`{}`))
	run.Done(i, "ok", "")
	run.Finish(Result{Bytes: 2, Outcome: "ok"})
	return run.ID()
}

func TestRecorderWritesBehind(t *testing.T) {
	mem := NewMemory(0, 0)
	rec := NewRecorder(mem, Options{Secrets: []string{"s3cr3t-token"}})
	run := rec.Begin("alice", `const k = "s3cr3t-token"; return await memory.read_graph({})`)
	a := run.Call(KindTool, "memory.read_graph", []byte(`{}`))
	b := run.Call(KindFetch, "GET https://api.example.com/v1", []byte(`{"url":"https://api.example.com/v1?k=s3cr3t-token"}`))
	run.Done(b, "error", "TypeError")
	run.Done(a, "ok", "")
	run.Finish(Result{Bytes: 12, Outcome: "error", ErrorName: "Error", ErrorMsg: "bad s3cr3t-token"})
	if err := rec.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	got, err := mem.Get(context.Background(), run.ID())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(got.Code+got.ErrorMsg, "s3cr3t") {
		t.Errorf("a secret was written: code %q, error %q", got.Code, got.ErrorMsg)
	}
	type call struct {
		Ordinal          int
		Kind, Name       string
		Bytes            int
		Outcome, ErrName string
	}
	var calls []call
	for _, c := range got.Calls {
		calls = append(calls, call{c.Ordinal, c.Kind, c.Name, c.ArgsBytes, c.Outcome, c.ErrorName})
		if len(c.ArgsSHA256) != 64 {
			t.Errorf("call %d: digest %q", c.Ordinal, c.ArgsSHA256)
		}
	}
	want := []call{
		{1, KindTool, "memory.read_graph", 2, "ok", ""},
		{2, KindFetch, "GET https://api.example.com/v1", 51, "error", "TypeError"},
	}
	if diff := cmp.Diff(want, calls); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	if got.Subject != "alice" || got.ResultBytes != 12 || got.Outcome != "error" || got.ErrorName != "Error" || got.CallCount != 2 {
		t.Errorf("record: %+v", got)
	}
	if len(run.ID()) != 26 || strings.Trim(run.ID(), "0123456789abcdefghijklmnopqrstuv") != "" {
		t.Errorf("id %q: want 26 characters of lowercase base32 (extended hex)", run.ID())
	}
}

// A store that does not answer never holds up an execution: Finish
// returns at once, the oldest waiting records are dropped and counted.
func TestRecorderSlowStoreDropsOldest(t *testing.T) {
	b := &blocking{Memory: NewMemory(0, 0), release: make(chan struct{})}
	var dropped atomic.Int32
	var logs testenv.Buffer
	rec := NewRecorder(b, Options{Queue: 4, Batch: 1, Dropped: func(n int) { dropped.Add(int32(n)) },
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	first := finish(rec, "first") // taken by the writer, which then blocks
	waitFor(t, func() bool { return b.inserts.Load() == 1 })
	var ids []string
	start := time.Now()
	for i := range 10 {
		ids = append(ids, finish(rec, "code "+string(rune('a'+i))))
	}
	if d := time.Since(start); d > testenv.Within(100*time.Millisecond) {
		t.Errorf("10 runs took %v to finish against a blocked store", d)
	}
	if got := dropped.Load(); got != 6 {
		t.Errorf("dropped %d, want 6 (10 queued, 4 kept)", got)
	}
	close(b.release)
	rec.Close(context.Background())
	var got []string
	list, _ := b.List(context.Background(), Query{Limit: 100})
	for _, r := range list {
		got = append(got, r.ID)
	}
	want := []string{ids[9], ids[8], ids[7], ids[6], first} // newest first: the last four, and the one in flight
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("kept (-want +got):\n%s", diff)
	}
	if !strings.Contains(logs.String(), "run records dropped") {
		t.Errorf("no warning of the drops: %s", logs.String())
	}
}

// A batch the store refuses waits for the store to come back.
func TestRecorderRetriesFailedBatch(t *testing.T) {
	b := &blocking{Memory: NewMemory(0, 0), release: make(chan struct{})}
	close(b.release)
	b.failing.Store(true)
	rec := NewRecorder(b, Options{Logger: slog.New(slog.DiscardHandler)})
	id := finish(rec, "x")
	waitFor(t, func() bool { return b.inserts.Load() >= 2 })
	b.failing.Store(false)
	rec.Close(context.Background())
	if _, err := b.Get(context.Background(), id); err != nil {
		t.Errorf("the record was lost after the store came back: %v", err)
	}
}

// Close gives up when its context ends, counting what it could not write.
func TestRecorderCloseWithinGrace(t *testing.T) {
	b := &blocking{Memory: NewMemory(0, 0), release: make(chan struct{})}
	var dropped atomic.Int32
	rec := NewRecorder(b, Options{Batch: 1, Dropped: func(n int) { dropped.Add(int32(n)) }, Logger: slog.New(slog.DiscardHandler)})
	finish(rec, "a")
	finish(rec, "b")
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	done := make(chan struct{})
	go func() { rec.Close(ctx); close(done) }()
	select {
	case <-done:
	case <-time.After(testenv.Within(5 * time.Second)):
		t.Fatal("Close did not return when its context ended")
	}
	if got := dropped.Load(); got < 1 {
		t.Errorf("dropped %d at Close, want the unwritten ones counted", got)
	}
}

func TestMemoryBounds(t *testing.T) {
	m := NewMemory(3, 0)
	ctx := context.Background()
	t0 := time.Unix(1_700_000_000, 0)
	for i := range 5 {
		m.Insert(ctx, []*Record{{ID: string(rune('a' + i)), Start: t0.Add(time.Duration(i) * time.Hour), Subject: []string{"x", "y"}[i%2]}})
	}
	ids := func(q Query) string {
		list, _ := m.List(ctx, q)
		var s string
		for _, r := range list {
			s += r.ID
		}
		return s
	}
	if got := ids(Query{}); got != "edc" {
		t.Errorf("kept %q, want the last three newest first (edc)", got)
	}
	if got := ids(Query{Subject: "x"}); got != "ec" {
		t.Errorf("subject x: %q, want ec", got)
	}
	if n, _ := m.Prune(ctx, t0.Add(4*time.Hour), 10); n != 2 || ids(Query{}) != "e" {
		t.Errorf("prune deleted %d, left %q", n, ids(Query{}))
	}
	big := NewMemory(0, 10_000)
	for i := range 10 {
		big.Insert(ctx, []*Record{{ID: string(rune('a' + i)), Code: strings.Repeat("x", 3000)}})
	}
	if list, _ := big.List(ctx, Query{}); len(list) != 3 {
		t.Errorf("kept %d records of 3 KB within 10 KB, want 3", len(list))
	}
}

func TestNilRecorder(t *testing.T) {
	var rec *Recorder
	run := rec.Begin("a", "b")
	run.Done(run.Call(KindTool, "x", nil), "ok", "")
	run.Finish(Result{})
	if run.ID() != "" || rec.Close(context.Background()) != nil {
		t.Error("a nil Recorder recorded something")
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(testenv.Within(5 * time.Second))
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in time")
		}
		time.Sleep(time.Millisecond)
	}
}

// TestRecorderPrunes: records older than the retention are deleted, in
// batches, when the writer starts and then every retention/10.
func TestRecorderPrunes(t *testing.T) {
	mem := NewMemory(5000, 0)
	now := time.Now()
	var old []*Record
	for i := range 2500 { // more than two batches
		old = append(old, &Record{ID: fmt.Sprint("old", i), Start: now.Add(-2 * time.Hour)})
	}
	mem.Insert(context.Background(), old)
	mem.Insert(context.Background(), []*Record{{ID: "new", Start: now.Add(-time.Minute)}})
	rec := NewRecorder(mem, Options{Retention: time.Hour})
	defer rec.Close(context.Background())
	waitFor(t, func() bool {
		list, _ := mem.List(context.Background(), Query{Limit: 10})
		return len(list) == 1 && list[0].ID == "new"
	})
}
