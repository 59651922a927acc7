package main

import (
	"context"
	"slices"
	"strings"
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

// The built stdio server, on one processor while one execution runs, still
// answers a ping sent while a script computes, before that script's
// timeout: the script holding the processor is preempted, and the second
// request puts the server on all of them.
func TestStdioAnswersBesideAComputingScript(t *testing.T) {
	raw := startRawStdio(t, "serve", "--config", writeConfig(t, map[string]any{}, map[string]any{"timeout": "2s"}))
	send := raw.send
	send(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`)
	if id, _ := raw.response(); id != "1" {
		t.Fatalf("response %s to initialize", id)
	}
	send(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	send(`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"execute","arguments":{"code":"while (true) {}"}}}`)
	send(`{"jsonrpc":"2.0","id":3,"method":"ping"}`)
	if id, body := raw.response(); id != "3" {
		t.Fatalf("first response %s (%.200s), want the ping's (3) before the computing script's", id, body)
	}
	if id, body := raw.response(); id != "2" || !strings.Contains(body, "TimeoutError") {
		t.Fatalf("then %s: %.300s; want the script's TimeoutError (2)", id, body)
	}
}
