package isolate

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mcp-codemode/mcp-codemode/internal/testenv"
	"github.com/mcp-codemode/mcp-codemode/sandbox"
)

// TestWorkerThreadsBatch: every thread of a worker runs under SCHED_BATCH,
// those the Go runtime started after the worker moved its threads too (a
// run starts more), and this process's threads are left as they were.
func TestWorkerThreadsBatch(t *testing.T) {
	p := newPool(t, Options{Size: 1})
	for range 3 {
		if res := p.Run(context.Background(), "await Promise.all([1, 2, 3].map(async x => x)); return 1", nil, sandbox.Options{}); res.Err != nil {
			t.Fatal(res.Err)
		}
	}
	pids := p.Workers()
	if len(pids) == 0 {
		t.Fatal("no worker")
	}
	policies := threadPolicies(t, pids[0])
	for tid, policy := range policies {
		if policy != schedBatch {
			t.Errorf("worker thread %s has scheduling policy %d, want SCHED_BATCH (%d)", tid, policy, schedBatch)
		}
	}
	if len(policies) < 2 {
		t.Errorf("the worker has %d threads; a Go process has its monitor's at least", len(policies))
	}
	for tid, policy := range threadPolicies(t, os.Getpid()) {
		if policy != 0 {
			t.Errorf("this process's thread %s has scheduling policy %d, want SCHED_OTHER (0)", tid, policy)
		}
	}
}

// threadPolicies are the scheduling policies of process pid's threads, by
// thread id: field 41 of each thread's stat.
func threadPolicies(t *testing.T, pid int) map[string]int64 {
	t.Helper()
	dir := fmt.Sprintf("/proc/%d/task", pid)
	tasks, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	policies := map[string]int64{}
	for _, task := range tasks {
		stat, err := os.ReadFile(dir + "/" + task.Name() + "/stat")
		if err != nil {
			continue // the thread ended
		}
		// The fields after the command's closing parenthesis start at 3.
		fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
		if len(fields) < 41-2 {
			t.Fatalf("%s/%s/stat has %d fields after the command", dir, task.Name(), len(fields))
		}
		policies[task.Name()] = atoi(fields[41-3])
	}
	return policies
}

// TestWorkerPipesPolled: a worker reads its stdin and writes its stdout
// through the Go runtime's poller (see pollable), which needs them in
// non-blocking mode, and it still serves runs so.
func TestWorkerPipesPolled(t *testing.T) {
	p := newPool(t, Options{Size: 1})
	if res := p.Run(context.Background(), "return 1 + 1", nil, sandbox.Options{}); res.Err != nil || string(res.Value) != "2" {
		t.Fatalf("got %s, %v", res.Value, res.Err)
	}
	pids := p.Workers()
	if len(pids) == 0 {
		t.Fatal("no worker")
	}
	for fd := range 2 {
		if flags := fdFlags(t, pids[0], fd); flags&0o4000 == 0 { // O_NONBLOCK
			t.Errorf("the worker's fd %d has flags %o: not non-blocking, so not on the poller", fd, flags)
		}
	}
}

// TestPollableLeavesOthers: a file that is not a pipe is returned as it is.
func TestPollableLeavesOthers(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "file")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := pollable(f); got != f {
		t.Errorf("pollable(a regular file) = %v, want the file itself", got)
	}
}

// TestWorkerPipesClosed: the parent's ends of its workers' pipes are
// closed once they exit, replaced or stopped.
func TestWorkerPipesClosed(t *testing.T) {
	warm := newPool(t, Options{Size: 1}) // the poller's own descriptors, once
	warm.Run(context.Background(), "return 1", nil, sandbox.Options{})
	warm.Close()
	before := testenv.OpenFDs(t)
	p, err := NewPool(Options{Size: 2, Command: []string{os.Args[0], WorkerCommand}})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		// Each one's worker is killed at its deadline and replaced.
		res := p.Run(context.Background(), "while (true) {}", nil, sandbox.Options{Timeout: 50 * time.Millisecond})
		if res.Err == nil || res.Err.Name != "TimeoutError" {
			t.Fatalf("got %s, %v; want a TimeoutError", res.Value, res.Err)
		}
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if after := testenv.OpenFDs(t); after != before {
		t.Errorf("%d file descriptors open after the pool closed, %d before it started", after, before)
	}
}

// fdFlags are the open flags of process pid's file descriptor fd.
func fdFlags(t *testing.T, pid, fd int) int64 {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/fdinfo/%d", pid, fd))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "flags:"); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 8, 64)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatalf("no flags in /proc/%d/fdinfo/%d: %s", pid, fd, data)
	return 0
}

// TestIdleWorkerStopsNativeLoop: a worker idle long enough for every timer
// to have fired (its runtime's monitor then sleeps, and raw pipes do not
// wake it) still stops a script stuck in a native call on its own: a
// backtracking regular expression ends in a RangeError after its 500 ms,
// not in the pool's kill at the deadline, and the worker serves on.
func TestIdleWorkerStopsNativeLoop(t *testing.T) {
	p := newPool(t, Options{Size: 1, Max: 1})
	if res := p.Run(context.Background(), "return 1", nil, sandbox.Options{}); res.Err != nil {
		t.Fatal(res.Err)
	}
	before := p.Workers()
	time.Sleep(idleTrimAfter + 300*time.Millisecond) // past the idle trim, the worker's last timer
	res := p.Run(context.Background(), `return 'a'.repeat(30).replace(/(a*)*\1b/g, 'x')`, nil, sandbox.Options{Timeout: 10 * time.Second})
	if res.Err == nil || res.Err.Name != "RangeError" {
		t.Fatalf("got %s, %v; want a RangeError from the regular expression's own limit", res.Value, res.Err)
	}
	if after := p.Workers(); !slices.Equal(before, after) {
		t.Errorf("workers %v, then %v: the worker was killed rather than stopping the script", before, after)
	}
}
