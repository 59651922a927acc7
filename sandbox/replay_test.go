package sandbox

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/mcp-codemode/mcp-codemode/internal/testenv"
)

// TestReplay checks that a run given the seed and the clock values of an
// earlier run sees the same Math.random numbers and the same Date.now,
// new Date() included, and that past the recorded values the clock runs on
// without going back.
func TestReplay(t *testing.T) {
	const code = `const r = [Math.random(), Math.random()];
		const t = [Date.now(), new Date().getTime()];
		return {r, t}`
	opts := func(r *Replay) Options {
		return Options{Timeout: testenv.Within(2 * time.Second), Replay: r}
	}
	first := Run(context.Background(), code, nil, opts(&Replay{Seed: 42}))
	if first.Err != nil {
		t.Fatal(first.Err)
	}
	if len(first.Times) != 2 {
		t.Fatalf("Times = %v, want the 2 values the run saw", first.Times)
	}
	var got struct {
		R []float64
		T []int64
	}
	if err := json.Unmarshal(first.Value, &got); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.T, first.Times) {
		t.Errorf("the script saw %v, Times says %v", got.T, first.Times)
	}
	past := []int64{1_000, 2_000}
	again := Run(context.Background(), code, nil, opts(&Replay{Seed: 42, Times: past}))
	var rerun struct {
		R []float64
		T []int64
	}
	if err := json.Unmarshal(again.Value, &rerun); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rerun.R, got.R) {
		t.Errorf("Math.random with the same seed: %v, then %v", got.R, rerun.R)
	}
	if !slices.Equal(rerun.T, past) {
		t.Errorf("Date.now replayed %v, want %v", rerun.T, past)
	}
	other := Run(context.Background(), code, nil, opts(&Replay{Seed: 43}))
	if string(other.Value) == string(first.Value) {
		t.Errorf("another seed gave the same numbers: %s", other.Value)
	}
	// Past the recorded values: the real clock, never before the last one.
	future := time.Now().Add(time.Hour).UnixMilli()
	on := Run(context.Background(), `return [Date.now(), Date.now()]`, nil, opts(&Replay{Times: []int64{future}}))
	var ts []int64
	if err := json.Unmarshal(on.Value, &ts); err != nil {
		t.Fatal(err)
	}
	if ts[0] != future || ts[1] < future {
		t.Errorf("clock past the replayed values: %v, want %d then not earlier", ts, future)
	}
	plain := Run(context.Background(), `return Date.now()`, nil, opts(nil))
	if plain.Times != nil {
		t.Errorf("Times without Replay: %v, want nil", plain.Times)
	}
}

// TestCallSeq checks that each call's context carries the order in which
// the script started it, however the calls finish.
func TestCallSeq(t *testing.T) {
	var (
		mu   sync.Mutex
		seen = map[string]int{}
	)
	caller := CallerFunc(func(ctx context.Context, id string, args json.RawMessage) (json.RawMessage, error) {
		n, ok := CallSeq(ctx)
		if !ok {
			t.Errorf("call %s: no CallSeq in its context", args)
		}
		var name string
		json.Unmarshal(args, &name)
		if name == "a" {
			time.Sleep(20 * time.Millisecond) // finishes last
		}
		mu.Lock()
		seen[name] = n
		mu.Unlock()
		return args, nil
	})
	res := Run(context.Background(), `await Promise.all([t.x("a"), t.x("b")]); await t.x("c")`, caller,
		Options{Bindings: []Binding{{Object: "t", Method: "x", ID: "x"}}, Timeout: testenv.Within(2 * time.Second)})
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if want := map[string]int{"a": 1, "b": 2, "c": 3}; !maps.Equal(seen, want) {
		t.Errorf("CallSeq = %v, want %v", seen, want)
	}
}
