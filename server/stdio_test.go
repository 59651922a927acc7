package server

import (
	"bytes"
	"context"
	"io"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mcp-codemode/mcp-codemode/config"
	"github.com/mcp-codemode/mcp-codemode/internal/testenv"
)

// TestStdioAnswersAfterStdinCloses: a client that writes its request and
// closes stdin at once (echo '...' | mcp-codemode) still gets the answer,
// and its console notification before it; before, the end of stdin
// cancelled the request and nothing was written.
func TestStdioAnswersAfterStdinCloses(t *testing.T) {
	srv, _, _ := blockingServer(t, config.Codemode{})
	w := startStdio(t, srv)
	w.send(`{"jsonrpc":"2.0","id":1,"method":"logging/setLevel","params":{"level":"info"}}`)
	w.until(1)
	w.send(executeCall(2, `await new Promise(r => setTimeout(r, 200)); console.log("late"); await step.ok(); return "answered"`, ""))
	closed := time.Now()
	w.in.Close()
	got := w.until(2)
	t.Logf("answered %v after stdin closed", time.Since(closed).Round(time.Millisecond))
	res := got[len(got)-1]["result"].(map[string]any)
	if sc := res["structuredContent"].(map[string]any); sc["result"] != "answered" {
		t.Fatalf("result = %v, want \"answered\"", sc)
	}
	if len(got) != 2 || got[0]["method"] != "notifications/message" {
		t.Errorf("messages = %v, want the console line then the response", got)
	}
}

// TestStdioPollable: a stdin that is a pipe or a socket is read through
// the runtime's poller (its reader takes deadlines, which only pollable
// files do), still gets every byte, and releasing it ends a read waiting in
// it; anything else is read as it is.
func TestStdioPollable(t *testing.T) {
	pr, pw, sr, sw := clientStdio(t)
	for _, c := range []struct {
		name string
		in   *os.File
		w    io.Writer
	}{{"pipe", pr, pw}, {"socket", sr, sw}} {
		t.Run(c.name, func(t *testing.T) {
			r, release := pollable(c.in)
			if r == io.Reader(c.in) {
				t.Fatal("read as it is")
			}
			if err := r.(interface{ SetReadDeadline(time.Time) error }).SetReadDeadline(time.Time{}); err != nil {
				t.Fatalf("not pollable: %v", err)
			}
			if _, err := c.w.Write([]byte("hello\n")); err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 16)
			if n, err := r.Read(buf); err != nil || string(buf[:n]) != "hello\n" {
				t.Fatalf("read %q, %v", buf[:n], err)
			}
			read := make(chan error)
			go func() { _, err := r.Read(buf); read <- err }()
			release()
			select {
			case err := <-read:
				if err == nil {
					t.Error("a read after release succeeded")
				}
			case <-time.After(10 * time.Second):
				t.Fatal("release did not end the read waiting in it")
			}
		})
	}
	if r, _ := pollable(strings.NewReader("x")); r == nil {
		t.Error("a reader that is not a file was dropped")
	}
}

// TestStdioPollableOut: a stdout that is a pipe or a socket is written
// raw through a non-blocking descriptor of its own (the pipe's own stays
// blocking, for whatever else holds it), every byte reaches the peer, and
// releasing it closes only that descriptor; anything else is written as it
// is.
func TestStdioPollableOut(t *testing.T) {
	pr, pw, sw, sr := clientStdio(t)
	for _, c := range []struct {
		name string
		out  *os.File
		r    io.Reader
	}{{"pipe", pw, pr}, {"socket", sw, sr}} {
		t.Run(c.name, func(t *testing.T) {
			w, release := pollableOut(c.out)
			if w == io.Writer(c.out) {
				t.Fatal("written as it is")
			}
			want := bytes.Repeat([]byte("a line of JSON-RPC\n"), 1<<14) // 304 KiB: more than the pipe holds
			go func() {
				if _, err := w.Write(want); err != nil {
					t.Errorf("write: %v", err)
				}
				release()
			}()
			got := make([]byte, len(want))
			if _, err := io.ReadFull(c.r, got); err != nil || !bytes.Equal(got, want) {
				t.Fatalf("read %d bytes, %v", len(got), err)
			}
			if c.name == "pipe" {
				flags, err := fcntlFlags(c.out)
				if err != nil || flags&syscall.O_NONBLOCK != 0 {
					t.Errorf("the pipe's own descriptor has flags %o, %v: made non-blocking", flags, err)
				}
				if _, err := c.out.Write([]byte("x")); err != nil {
					t.Errorf("the pipe's own descriptor after release: %v", err)
				}
			}
		})
	}
	var b bytes.Buffer
	if w, _ := pollableOut(&b); w != io.Writer(&b) {
		t.Error("a writer that is not a file was wrapped")
	}
}

func fcntlFlags(f *os.File) (int, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return 0, err
	}
	var flags uintptr
	var errno syscall.Errno
	if err := rc.Control(func(fd uintptr) { flags, _, errno = syscall.RawSyscall(syscall.SYS_FCNTL, fd, syscall.F_GETFL, 0) }); err != nil {
		return 0, err
	}
	if errno != 0 {
		return 0, errno
	}
	return int(flags), nil
}

// clientStdio is what a client hands a server as a standard stream: a
// pipe, blocking (its read and write ends), and a connected pair of Unix
// sockets (as Node does); all closed when the test ends.
func clientStdio(t *testing.T) (pipeR, pipeW, sockA, sockB *os.File) {
	t.Helper()
	var p [2]int
	if err := syscall.Pipe2(p[:], syscall.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	pipeR, pipeW = os.NewFile(uintptr(p[0]), "pipe"), os.NewFile(uintptr(p[1]), "pipe")
	sockA, sockB = os.NewFile(uintptr(fds[0]), "socket"), os.NewFile(uintptr(fds[1]), "peer")
	for _, f := range []*os.File{pipeR, pipeW, sockA, sockB} {
		t.Cleanup(func() { f.Close() })
	}
	return pipeR, pipeW, sockA, sockB
}

// TestStdioLeavesPipeUnread: once ServeStdio has returned (its ctx
// cancelled), nothing of it reads its stdin any more: what the client
// writes next is there for whoever reads the pipe after it. Before, a
// reader stayed blocked in the pipe and took the next line.
func TestStdioLeavesPipeUnread(t *testing.T) {
	srv, _, _ := blockingServer(t, config.Codemode{})
	inR, inW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer inR.Close()
	defer inW.Close()
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.ServeStdio(ctx, inR, &testenv.Buffer{}, io.Discard) }()
	time.Sleep(100 * time.Millisecond) // its reader waits in the pipe
	cancel()
	<-served
	if _, err := inW.Write([]byte("next\n")); err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 1)
	go func() {
		buf := make([]byte, 16)
		n, _ := inR.Read(buf)
		got <- string(buf[:n])
	}()
	select {
	case s := <-got:
		if s != "next\n" {
			t.Errorf("read %q after ServeStdio returned, want \"next\\n\"", s)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the line written after ServeStdio returned was taken by a reader it left behind")
	}
}
