package isolate

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

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
