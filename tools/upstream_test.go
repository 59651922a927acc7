package tools

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcp-codemode/mcp-codemode/config"
	"github.com/mcp-codemode/mcp-codemode/internal/testenv"
)

func TestFakeUpstream(t *testing.T) {
	stderr := &testenv.Buffer{}
	r := newTestRegistry(t, Options{Secrets: []string{"sk-live-0123456789"}, Stderr: stderr})
	sts := mustConnect(t, r, fakeServer("fake", map[string]string{"API_KEY": "sk-live-0123456789"}))
	if sts[0].Tools != 6 || sts[0].Transport != config.Stdio {
		t.Errorf("status = %+v, want 6 stdio tools", sts[0])
	}
	if got := mustCall(t, r, "fake", "echo", `{"text":"hi there"}`); got != `"hi there"` {
		t.Errorf("echo = %s", got)
	}
	if got := mustCall(t, r, "fake", "env", `{"name":"API_KEY"}`); got != `{"name":"API_KEY","value":"[redacted]"}` {
		t.Errorf("env = %s", got)
	}
	if got := mustCall(t, r, "fake", "echo", `{"text":"key=sk-live-0123456789"}`); got != `"key=[redacted]"` {
		t.Errorf("echoed secret = %s", got)
	}
	_, err := call(t, r, "fake", "fail", `{}`)
	var te *ToolError
	if !errors.As(err, &te) || te.Message != "failed on purpose" || te.Server != "fake" || te.Tool != "fail" {
		t.Errorf("fail: %#v", err)
	}
	_, err = call(t, r, "fake", "echo", `{"text":3}`)
	if err == nil || err.Error() != "fake.echo: text: expected string, got number" {
		t.Errorf("bad args: %v", err)
	}
	ns := r.Namespaces()
	if len(ns) != 1 || ns[0].Description != "A fake upstream for tests." {
		t.Errorf("namespace description = %q", ns[0].Description)
	}
	for _, want := range []string{"[fake] fake upstream starting\n", "[fake] noise without newline until now\n"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
		}
	}
}

// N calls of 100 ms to one upstream take about 100 ms, not N×100.
func TestUpstreamConcurrency(t *testing.T) {
	r := newTestRegistry(t, Options{})
	mustConnect(t, r, fakeServer("fake", nil))
	const n = 10
	sleep := testenv.Within(25 * time.Millisecond) // 100 ms, more under -race
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			_, err := call(t, r, "fake", "sleep", fmt.Sprintf(`{"ms":%d}`, sleep.Milliseconds()))
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	took := time.Since(start)
	t.Logf("%d parallel sleep(%v) calls took %s", n, sleep, took.Round(time.Millisecond))
	if took > n/2*sleep { // one after another: n times sleep
		t.Errorf("%d parallel calls took %s: they were serialised", n, took)
	}
}

func TestUpstreamTimeout(t *testing.T) {
	r := newTestRegistry(t, Options{})
	s := fakeServer("slow", nil)
	s.Timeout = testenv.Within(75 * time.Millisecond) // initialize must answer within it too
	mustConnect(t, r, s)
	start := time.Now()
	_, err := call(t, r, "slow", "hang", `{}`)
	var ue *UpstreamError
	want := `slow.hang: upstream "slow" did not answer within ` + s.Timeout.String() + `; the call was abandoned (raise "timeout" in its mcpServers entry if it needs longer)`
	if !errors.As(err, &ue) || err.Error() != want || !errors.Is(err, context.DeadlineExceeded) || ue.ErrorName() != "UpstreamError" {
		t.Fatalf("hang: %v\nwant: %s", err, want)
	}
	if took := time.Since(start); took > s.Timeout+testenv.Within(400*time.Millisecond) {
		t.Errorf("timeout took %s", took)
	}
	if got := mustCall(t, r, "slow", "echo", `{"text":"still here"}`); got != `"still here"` {
		t.Errorf("after timeout: %s", got)
	}
}

// A crash is reported, the server comes back on the next call; a restart
// that fails starts the backoff, during which calls fail without trying
// to start the upstream again.
func TestUpstreamCrashRestartBackoff(t *testing.T) {
	stderr := &testenv.Buffer{}
	r := newTestRegistry(t, Options{Stderr: stderr})
	r.minBackoff = testenv.Within(100 * time.Millisecond)
	refuse := filepath.Join(t.TempDir(), "refuse")
	mustConnect(t, r, fakeServer("fake", map[string]string{"FAKE_REFUSE": refuse}))

	expectUpstream(t, r, "crash", `fake.crash: upstream "fake" is not available: process exited (status 3), `+
		`last stderr line: "crashing on purpose"; it will be restarted on the next call`)
	if got := mustCall(t, r, "fake", "echo", `{"text":"back"}`); got != `"back"` {
		t.Errorf("after restart: %s", got)
	}

	must(t, os.WriteFile(refuse, nil, 0o600))
	expectUpstream(t, r, "crash", `fake.crash: upstream "fake" is not available: process exited (status 3), `+
		`last stderr line: "crashing on purpose"; it will be restarted on the next call`)
	err := expectUpstreamPrefix(t, r, "echo", `fake.echo: upstream "fake" is not available: restart failed: `+
		`process exited (status 1), last stderr line: "refusing to start on purpose"; it will be restarted on the first call after `)
	refused := starts(t, refuse)
	err2 := expectUpstreamPrefix(t, r, "echo", `fake.echo: upstream "fake" is not available: restart failed: `)
	if n := starts(t, refuse); n != refused {
		t.Errorf("a call within the backoff window started the upstream again (%d refused starts, then %d)", refused, n)
	}
	t.Logf("first failure: %v\nwithin backoff: %v", err, err2)

	must(t, os.Remove(refuse))
	time.Sleep(r.minBackoff)
	if got := mustCall(t, r, "fake", "echo", `{"text":"recovered"}`); got != `"recovered"` {
		t.Errorf("after backoff: %s", got)
	}
	if n := strings.Count(stderr.String(), "[fake] fake upstream starting"); n != 3 {
		t.Errorf("server started %d times, want 3 (start, restart, restart after backoff)", n)
	}
}

func expectUpstream(t *testing.T, r *Registry, tool, want string) {
	t.Helper()
	_, err := call(t, r, "fake", tool, `{}`)
	var ue *UpstreamError
	if !errors.As(err, &ue) || err.Error() != want {
		t.Fatalf("%s:\n got: %v\nwant: %s", tool, err, want)
	}
}

func expectUpstreamPrefix(t *testing.T, r *Registry, tool, prefix string) error {
	t.Helper()
	_, err := call(t, r, "fake", tool, `{"text":"x"}`)
	var ue *UpstreamError
	if !errors.As(err, &ue) || !strings.HasPrefix(err.Error(), prefix) {
		t.Fatalf("%s:\n got: %v\nwant prefix: %s", tool, err, prefix)
	}
	return err
}

// A restart that finds a different tool list updates the registry.
func TestUpstreamToolsChangeOnRestart(t *testing.T) {
	r := newTestRegistry(t, Options{})
	extra := filepath.Join(t.TempDir(), "extra")
	mustConnect(t, r, fakeServer("fake", map[string]string{"FAKE_EXTRA": extra}))
	v := r.Version()
	must(t, os.WriteFile(extra, nil, 0o600))
	_, _ = call(t, r, "fake", "crash", `{}`)
	mustCall(t, r, "fake", "echo", `{"text":"x"}`)
	if r.Version() == v {
		t.Error("Version unchanged after the tool list changed")
	}
	if got := mustCall(t, r, "fake", "extra", `{}`); got != `"extra"` {
		t.Errorf("extra = %s", got)
	}
}

// One server failing to start leaves the others working.
func TestConnectPartialFailure(t *testing.T) {
	r := newTestRegistry(t, Options{Secrets: []string{"secret-arg-value"}})
	sts := r.Connect(context.Background(), []config.Server{
		fakeServer("good", nil),
		{Name: "missing", Type: config.Stdio, Command: "/nonexistent/mcp-server-secret-arg-value"},
		{Name: "dies", Type: config.Stdio, Command: os.Args[0], Env: map[string]string{fakeEnv: "1", "FAKE_REFUSE": os.Args[0]}},
		fakeServer("good", nil),
	})
	var got []string
	for _, st := range sts {
		got = append(got, fmt.Sprintf("%s %s %d %v", st.Server, st.Transport, st.Tools, st.Err))
	}
	want := []string{
		"good stdio 6 <nil>",
		"missing stdio 0 failed to start command: fork/exec /nonexistent/mcp-server-[redacted]: no such file or directory",
		`dies stdio 0 process exited (status 1), last stderr line: "refusing to start on purpose"`,
		`good stdio 0 server name "good" is already in use`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("statuses:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(r.Entries()) != 6 {
		t.Errorf("%d entries, want the 6 of the good server", len(r.Entries()))
	}
	mustCall(t, r, "good", "echo", `{"text":"x"}`)
}

// Calls in flight when the process dies all fail with the same story, and
// the server is restarted once.
func TestUpstreamCrashWithCallsInFlight(t *testing.T) {
	stderr := &testenv.Buffer{}
	r := newTestRegistry(t, Options{Stderr: stderr})
	mustConnect(t, r, fakeServer("fake", nil))
	var wg sync.WaitGroup
	errs := make(chan error, 5)
	for range 5 {
		wg.Go(func() {
			_, err := call(t, r, "fake", "sleep", `{"ms":2000}`)
			errs <- err
		})
	}
	time.Sleep(200 * time.Millisecond)
	_, _ = call(t, r, "fake", "crash", `{}`)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err == nil || !strings.Contains(err.Error(), `upstream "fake" is not available: process exited (status 3)`) {
			t.Errorf("in-flight call: %v", err)
		}
	}
	var wg2 sync.WaitGroup
	for range 5 {
		wg2.Go(func() { mustCall(t, r, "fake", "echo", `{"text":"x"}`) })
	}
	wg2.Wait()
	if n := strings.Count(stderr.String(), "[fake] fake upstream starting"); n != 2 {
		t.Errorf("server started %d times, want 2", n)
	}
}

func TestConnectEntryWithoutTransport(t *testing.T) {
	r := newTestRegistry(t, Options{})
	st := r.Connect(context.Background(), []config.Server{{Name: "empty"}})[0]
	if st.Err == nil || st.Err.Error() != `the server entry has neither "command" nor "url"` || st.Transport != config.Stdio {
		t.Errorf("status = %+v", st)
	}
}

// starts is how often the fake upstream refused to start while the file
// at refuse existed.
func starts(t *testing.T, refuse string) int {
	t.Helper()
	b, err := os.ReadFile(refuse)
	must(t, err)
	return strings.Count(string(b), "refused\n")
}
