package isolate

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/mcp-codemode/mcp-codemode/sandbox"
)

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
