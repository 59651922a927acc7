package isolate

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

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

// TestQuiet: a non-blocking pipe read and written through quiet carries
// what is written, more than the pipe holds at once (the writer waits on
// the poller while it is full), and ends with io.EOF when the writer
// closes its end.
func TestQuiet(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	qr, qw := quiet(r), quiet(w)
	if _, ok := qr.(*rawPipe); !ok {
		t.Fatalf("quiet(a non-blocking pipe) = %T, want a *rawPipe", qr)
	}
	want := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB: sixteen times a pipe's buffer
	done := make(chan error, 1)
	go func() {
		n, err := qw.Write(want)
		if err == nil && n != len(want) {
			err = fmt.Errorf("wrote %d of %d bytes", n, len(want))
		}
		done <- errors.Join(err, w.Close())
	}()
	got, err := io.ReadAll(qr)
	if err != nil {
		t.Fatalf("reading: %v", err)
	}
	if err := <-done; err != nil {
		t.Fatalf("writing: %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("read %d bytes, not the %d written", len(got), len(want))
	}
	if n, err := qr.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		t.Errorf("a read after the end = %d, %v; want 0, io.EOF", n, err)
	}
}

// TestQuietClose: a read waiting on an empty pipe ends with an error when
// its file is closed (as a worker's is when it is killed), and a write to
// a pipe whose reader is gone fails rather than waiting.
func TestQuietClose(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	read := make(chan error, 1)
	go func() {
		_, err := quiet(r).Read(make([]byte, 16))
		read <- err
	}()
	time.Sleep(20 * time.Millisecond) // let the read wait; it ends the same if it had not yet
	r.Close()
	select {
	case err := <-read:
		if err == nil || err == io.EOF {
			t.Errorf("the waiting read ended with %v, want an error (the file is closed)", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a read waiting on a closed pipe did not end")
	}
	if _, err := quiet(w).Write([]byte("x")); !errors.Is(err, syscall.EPIPE) {
		t.Errorf("a write with the reader gone = %v, want EPIPE", err)
	}
}

// TestQuietLeavesOthers: a blocking file is returned as it is, since a raw
// read of it would hold its thread and processor while it waits.
func TestQuietLeavesOthers(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "file")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := quiet(f); got != io.ReadWriter(f) {
		t.Errorf("quiet(a blocking file) = %T, want the file itself", got)
	}
}

// TestWorkerPipesClosed: the parent's ends of its workers' pipes are
// closed once they exit, replaced or stopped.
func TestWorkerPipesClosed(t *testing.T) {
	warm := newPool(t, Options{Size: 1}) // the poller's own descriptors, once
	warm.Run(context.Background(), "return 1", nil, sandbox.Options{})
	warm.Close()
	before := openFDs(t)
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
	if after := openFDs(t); after != before {
		t.Errorf("%d file descriptors open after the pool closed, %d before it started", after, before)
	}
}

func openFDs(t *testing.T) int {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(fds)
}
