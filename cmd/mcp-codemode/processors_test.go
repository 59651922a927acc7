package main

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/mcp-codemode/mcp-codemode/internal/procs"
	"github.com/mcp-codemode/mcp-codemode/sandbox"
)

// The stdio server's runner counts its executions in the governor: two at
// once put the process on all processors.
func TestOnOneProcessor(t *testing.T) {
	if onOneProcessor(nil) != nil {
		t.Fatal("without a governor, the runner changed")
	}
	var mu sync.Mutex
	var calls []string
	record := func(s string) func() { return func() { mu.Lock(); calls = append(calls, s); mu.Unlock() } }
	governor = procs.NewWith(procs.Effects{
		One: record("one"), All: record("all"), Now: time.Now,
		AfterFunc: func(time.Duration, func()) func() bool { return func() bool { return true } },
		LiveHeap:  func() int64 { return 0 },
	})
	defer func() { governor = nil }()
	governor.Start()

	started, release := make(chan struct{}), make(chan struct{})
	run := onOneProcessor(func(context.Context, string, sandbox.Caller, sandbox.Options) sandbox.Result {
		started <- struct{}{}
		<-release
		return sandbox.Result{}
	})
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() { run(t.Context(), "1", nil, sandbox.Options{}) })
		<-started
	}
	mu.Lock()
	got := slices.Clone(calls)
	mu.Unlock()
	if !slices.Equal(got, []string{"one", "all"}) {
		t.Errorf("two executions at once: %v, want [one all]", got)
	}
	close(release)
	wg.Wait()
}
