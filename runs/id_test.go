package runs

import (
	"context"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/mcp-codemode/mcp-codemode/store"
)

// TestIDsSortByTime: ids are 26 characters safe in a URL, unique, and sort
// as they were made once a millisecond apart, so that records go at the end
// of the primary key indexes.
func TestIDsSortByTime(t *testing.T) {
	form := regexp.MustCompile(`^[0-9a-v]{26}$`)
	seen := map[string]bool{}
	for range 10000 {
		id := NewID()
		if !form.MatchString(id) {
			t.Fatalf("id %q", id)
		}
		if seen[id] {
			t.Fatalf("id %q made twice", id)
		}
		seen[id] = true
	}
	var ids []string
	for range 5 {
		ids = append(ids, NewID())
		time.Sleep(2 * time.Millisecond)
	}
	if !slices.IsSorted(ids) {
		t.Errorf("ids made 2ms apart do not sort as made: %q", ids)
	}
	start := time.Now().Truncate(time.Millisecond)
	id := NewID()
	if got := idTime(t, id); got.Before(start) || got.After(time.Now()) {
		t.Errorf("id %q holds %v, made at %v", id, got, start)
	}
}

// idTime is the time in an id's first 6 bytes.
func idTime(t *testing.T, id string) time.Time {
	b, err := idEncoding.DecodeString(regexp.MustCompile(`[a-v]`).ReplaceAllStringFunc(id, func(s string) string { return string(s[0] - 'a' + 'A') }))
	if err != nil || len(b) != 16 {
		t.Fatalf("id %q: %v", id, err)
	}
	var ms int64
	for _, c := range b[:6] {
		ms = ms<<8 | int64(c)
	}
	return time.UnixMilli(ms)
}

// BenchmarkInsert: a batch of 100 records of one call each, the writer's
// batch, into SQLite. With ids in time order the cost per batch stays flat
// as the table grows (2.1 ms per batch at 30,000 and at 150,000 records);
// with random ids it was 4.5 and 6.9 ms.
// Run with: go test -run '^$' -bench Insert -benchtime 1500x ./runs
func BenchmarkInsert(b *testing.B) {
	s, err := store.Open(context.Background(), store.Options{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	be := NewSQL(s)
	now := time.Now()
	for b.Loop() {
		batch := make([]*Record, 100)
		for i := range batch {
			batch[i] = &Record{ID: NewID(), Subject: "local", Start: now, End: now, Outcome: "ok", ResultBytes: 20,
				Code:  `const r = await bench.echo({ text: "hi" }); return { ok: r.text === "hi" };`,
				Calls: []Call{{Ordinal: 1, Kind: KindTool, Name: "bench.echo", ArgsBytes: 13, ArgsSHA256: Digest([]byte(`{"text":"hi"}`)), Outcome: "ok"}}}
		}
		if err := be.Insert(context.Background(), batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/100, "µs/record")
}
