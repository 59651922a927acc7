package isolate

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mcp-codemode/mcp-codemode/internal/rawio"
	"github.com/mcp-codemode/mcp-codemode/sandbox"
)

// worker is one worker process, owned by the pool; one run at a time uses it.
type worker struct {
	cmd    *exec.Cmd
	pid    int
	in     *writer
	stdin  io.Closer
	frames chan frame    // from its stdout; closed when the stream ends
	exited chan struct{} // closed once the process was reaped
	err    error         // how it exited; set before exited is closed
	stderr *tail
	killed sync.Once

	// What the worker was last sent as bindings and prelude (see
	// run.request); only the run holding the worker uses them.
	setupSent bool
	bindings  []sandbox.Binding // the run's slice (sandbox.Options.Bindings is not changed once given)
	prelude   []string

	// lowered is set while its CPU priority is lowered (see hogNice); only
	// the run holding the worker uses it.
	lowered bool

	idleSince time.Time // when it last went idle; guarded by Pool.mu
	sent      int       // runs sent to it, which numbers them; guarded by Pool.mu
	behind    *slot     // the place behind its run in progress, when given (see Pool.lookahead); guarded by Pool.mu
}

// readyTimeout bounds a worker's start-up.
const readyTimeout = 10 * time.Second

// startWorker starts a worker process and waits until it is ready.
func startWorker(o *Options) (*worker, error) {
	cmd := exec.Command(o.Command[0], o.Command[1:]...)
	cmd.Env = workerEnv(o, os.LookupEnv)
	cmd.Dir = "/"
	cmd.SysProcAttr = sysProcAttr()
	w := &worker{cmd: cmd, frames: make(chan frame, 16), exited: make(chan struct{}), stderr: &tail{forward: o.Stderr}}
	cmd.Stderr = w.stderr
	// The parent's ends of the pipes are read and written raw, as the
	// worker's are.
	stdin, stdout, err := rawio.Start(cmd)
	if err != nil {
		return nil, fmt.Errorf("starting the sandbox worker %s: %w", o.Command[0], err)
	}
	w.pid, w.stdin, w.in = cmd.Process.Pid, stdin, newWriter(rawio.Wrap(stdin))
	w.stderr.pid = w.pid
	go w.read(stdout)
	return w, w.ready()
}

// workerEnv is the environment of a worker: its limits, and of the
// parent's variables (lookup) only GOGC and GOMAXPROCS, so that the user's
// settings apply in workers too (a worker without them tunes its collector
// and governs its processors; see ServeWorker). None of the others, which
// hold the configuration's secrets.
func workerEnv(o *Options, lookup func(string) (string, bool)) []string {
	env := []string{
		envWorker + "=1",
		envMemory + "=" + strconv.FormatInt(o.WorkerMemory, 10),
		envCPU + "=" + strconv.FormatInt(int64(o.WorkerCPU/time.Second), 10),
		"GOTRACEBACK=none", // a crash prints its cause, not every goroutine
	}
	for _, k := range []string{"GOGC", "GOMAXPROCS"} {
		if v, _ := lookup(k); v != "" {
			env = append(env, k+"="+v)
		}
	}
	return env
}

// ready waits for the worker's ready frame.
func (w *worker) ready() error {
	timer := time.NewTimer(readyTimeout)
	defer timer.Stop()
	select {
	case f, ok := <-w.frames:
		if ok && f.kind == kindReady {
			return nil
		}
		w.kill()
		<-w.exited
		return fmt.Errorf("the sandbox worker did not start: %v%s", w.err, w.stderr.last())
	case <-timer.C:
		w.kill()
		return errors.New("the sandbox worker did not start within 10s")
	}
}

// read passes the worker's frames on, then reaps the process.
func (w *worker) read(stdout *os.File) {
	r := bufio.NewReaderSize(rawio.Wrap(stdout), 64<<10)
	for {
		f, err := readFrame(r)
		if err != nil {
			break
		}
		w.frames <- f
	}
	close(w.frames)
	w.kill() // a worker that stopped talking is of no use
	w.err = w.cmd.Wait()
	stdout.Close()
	close(w.exited)
}

// kill ends the worker at once.
func (w *worker) kill() {
	w.killed.Do(func() {
		_ = w.stdin.Close()
		if w.cmd != nil && w.cmd.Process != nil {
			_ = w.cmd.Process.Kill()
		}
	})
}

// stop asks the worker to exit (it does when its stdin closes), and kills
// it if it has not within grace.
func (w *worker) stop(grace time.Duration) {
	_ = w.stdin.Close()
	select {
	case <-w.exited:
	case <-time.After(grace):
		w.kill()
		<-w.exited
	}
}

// send writes a frame; a dead worker's error shows when its frames end.
func (w *worker) send(kind byte, v any) { _ = w.in.send(kind, v) }

// decode unmarshals a frame body; a malformed body is a broken worker.
func decode(f frame, v any) bool { return json.Unmarshal(f.body, v) == nil }

// tail keeps the last few KB of a worker's stderr and its first fatal
// line, for the error when it crashes, and forwards each line (prefixed)
// when forward is set.
type tail struct {
	mu      sync.Mutex
	buf     []byte
	line    []byte
	first   string // the first line of a crash: "fatal error:", "panic:", "SIGSEGV:"...
	after   int    // lines seen since first
	pid     int
	forward io.Writer
}

const (
	tailSize   = 4 << 10
	crashLines = 8
)

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > tailSize {
		t.buf = t.buf[len(t.buf)-tailSize:]
	}
	t.line = append(t.line, p...)
	for {
		i := bytes.IndexByte(t.line, '\n')
		if i < 0 {
			break
		}
		t.see(string(t.line[:i]))
		t.line = t.line[i+1:]
	}
	if len(t.line) > tailSize {
		t.line = t.line[:0] // a line that long is not worth keeping
	}
	return len(p), nil
}

func (t *tail) see(line string) {
	if t.first == "" && (strings.HasPrefix(line, "fatal error:") || strings.HasPrefix(line, "panic:") ||
		strings.HasPrefix(line, "SIG") || strings.HasPrefix(line, "unexpected signal")) {
		t.first = line
	}
	if t.first != "" {
		t.after++
	}
	// A crash's goroutine dump is noise in the parent's log: keep its head.
	if t.forward != nil && t.after <= crashLines {
		fmt.Fprintf(t.forward, "[sandbox-worker %d] %s\n", t.pid, line)
	}
}

// fatal returns the first line of a Go fatal error or panic, or "".
func (t *tail) fatal() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.first
}

// last is ": " and the tail's last line, or "".
func (t *tail) last() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	lines := bytes.Split(bytes.TrimSpace(t.buf), []byte("\n"))
	if len(lines) == 0 || len(lines[len(lines)-1]) == 0 {
		return ""
	}
	return ": " + string(lines[len(lines)-1])
}
