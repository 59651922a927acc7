//go:build unix

package rawio

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/mcp-codemode/mcp-codemode/internal/testenv"
)

// pipe is a pipe whose ends are on the poller (non-blocking), as os.Pipe
// makes them.
func pipe(t *testing.T) (r, w *os.File) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); w.Close() })
	return r, w
}

// socketPair is a connected pair of Unix sockets on the poller, as Node
// gives a child process its standard streams.
func socketPair(t *testing.T) (a, b net.Conn) {
	t.Helper()
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	conns := make([]net.Conn, 2)
	for i, fd := range fds {
		f := os.NewFile(uintptr(fd), fmt.Sprint("socket ", i))
		c, err := net.FileConn(f) // a duplicate, non-blocking
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		conns[i] = c
	}
	return conns[0], conns[1]
}

// TestCarries: what is written raw is read raw, in order, more than a pipe
// or socket holds at once (the writer waits on the poller while it is
// full), and the reader gets io.EOF once the writer closes its end.
func TestCarries(t *testing.T) {
	want := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB: sixteen times a pipe's buffer
	pr, pw := pipe(t)
	sa, sb := socketPair(t)
	for _, c := range []struct {
		name string
		r, w io.ReadWriter
		end  func() error
	}{
		{"pipe", pr, pw, pw.Close},
		{"socket", sa, sb, sb.(*net.UnixConn).CloseWrite},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, w := Wrap(c.r), Wrap(c.w)
			for _, x := range []io.ReadWriter{r, w} {
				if _, ok := x.(*conn); !ok {
					t.Fatalf("Wrap(a non-blocking %s) = %T, want a raw one", c.name, x)
				}
			}
			done := make(chan error, 1)
			go func() {
				n, err := w.Write(want)
				if err == nil && n != len(want) {
					err = fmt.Errorf("wrote %d of %d bytes", n, len(want))
				}
				done <- errors.Join(err, c.end())
			}()
			got, err := io.ReadAll(r)
			if err != nil {
				t.Fatalf("reading: %v", err)
			}
			if err := <-done; err != nil {
				t.Fatalf("writing: %v", err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("read %d bytes, not the %d written", len(got), len(want))
			}
			if n, err := r.Read(make([]byte, 1)); n != 0 || err != io.EOF {
				t.Errorf("a read after the end = %d, %v; want 0, io.EOF", n, err)
			}
		})
	}
}

// TestClose: a read waiting on an empty pipe ends with an error when its
// file is closed (as a worker's is when it is killed), and a write to a
// pipe whose reader is gone fails with EPIPE rather than killing the
// process or waiting.
func TestClose(t *testing.T) {
	r, w := pipe(t)
	read := make(chan error, 1)
	raw := Wrap(r)
	go func() {
		_, err := raw.Read(make([]byte, 16))
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
	if _, err := Wrap(w).Write([]byte("x")); !errors.Is(err, syscall.EPIPE) {
		t.Errorf("a write with the reader gone = %v, want EPIPE", err)
	}
}

// TestLeavesOthers: a blocking file, or something that is not a
// descriptor, is returned as it is.
func TestLeavesOthers(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "file")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := Wrap(f); got != io.ReadWriter(f) {
		t.Errorf("Wrap(a blocking file) = %T, want the file itself", got)
	}
	var b bytes.Buffer
	if got := Wrap(&b); got != io.ReadWriter(&b) {
		t.Errorf("Wrap(a bytes.Buffer) = %T, want it itself", got)
	}
}

// TestStart: a process started with Start reads what is written to its
// stdin, and what it wrote is still there to read after Wait; both ends are
// non-blocking. A start that fails leaves no descriptor open.
func TestStart(t *testing.T) {
	cmd := exec.Command("cat")
	stdin, stdout, err := Start(cmd)
	if err != nil {
		t.Fatal(err)
	}
	defer stdout.Close()
	w, r := Wrap(stdin), Wrap(stdout)
	for _, x := range []io.ReadWriter{w, r} {
		if _, ok := x.(*conn); !ok {
			t.Fatalf("Start's end %T is not non-blocking", x)
		}
	}
	if _, err := w.Write([]byte("hello\n")); err != nil {
		t.Fatal(err)
	}
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	if got, err := io.ReadAll(r); err != nil || string(got) != "hello\n" {
		t.Errorf("read %q, %v after Wait; want what cat wrote", got, err)
	}

	before := testenv.OpenFDs(t)
	if _, _, err := Start(exec.Command(filepath.Join(t.TempDir(), "missing"))); err == nil {
		t.Fatal("a missing command started")
	}
	if after := testenv.OpenFDs(t); after != before {
		t.Errorf("%d descriptors open after a failed start, %d before", after, before)
	}
}
