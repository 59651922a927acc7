package isolate

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/mcp-codemode/mcp-codemode/sandbox"
)

// The protocol between the pool and a worker: frames of a 4-byte
// big-endian length, a 1-byte kind and a JSON body, over the worker's stdin
// (parent to worker) and stdout (worker to parent). One execution at a time
// per worker.
const (
	kindRun    = 'R' // parent → worker: runRequest
	kindCancel = 'X' // parent → worker: cancelRequest
	kindReply  = 'r' // parent → worker: callReply
	kindCall   = 'C' // worker → parent: callRequest
	kindLog    = 'L' // worker → parent: logLine, one console line (when the run wants them live)
	kindCalls  = 'N' // worker → parent: callProgress
	kindDone   = 'D' // worker → parent: runResult
	kindReady  = 'H' // worker → parent: ready, once at start

	// A run may be sent while the worker's run before it is in progress
	// (see Pool.lookahead): the worker queues it and starts it when that
	// one ends. The parent may take a queued run back before it starts.
	kindWithdraw  = 'W' // parent → worker: withdrawRequest
	kindWithdrawn = 'w' // worker → parent: withdrawRequest, the run was dropped unstarted
)

// maxFrame bounds one frame: code, arguments and results are far smaller
// (their own caps are a few MB), so a larger frame means a broken peer.
const maxFrame = 64 << 20

type runRequest struct {
	Seq            int               `json:"seq,omitempty"` // numbers the runs sent to one worker
	Code           string            `json:"code"`
	Bindings       []sandbox.Binding `json:"bindings"`
	Timeout        time.Duration     `json:"timeout"`
	MaxToolCalls   int               `json:"max_tool_calls"`
	MaxCodeBytes   int               `json:"max_code_bytes"`
	MaxLogBytes    int               `json:"max_log_bytes"`
	MemoryLimit    int64             `json:"memory_limit"`
	MaxResultBytes int               `json:"max_result_bytes"`
	Prelude        []string          `json:"prelude,omitempty"`
	StreamLogs     bool              `json:"stream_logs,omitempty"`
	StreamCalls    bool              `json:"stream_calls,omitempty"`
	Replay         *sandbox.Replay   `json:"replay,omitempty"`
	// SameSetup leaves Bindings and Prelude out: they are those of the
	// worker's previous run.
	SameSetup bool `json:"same_setup,omitempty"`

	cancelled error // the worker's: a cancel for it came while it was queued
}

type withdrawRequest struct {
	Seq int `json:"seq"`
}

type cancelRequest struct {
	Seq     int    `json:"seq,omitempty"`     // the run's
	Timeout bool   `json:"timeout,omitempty"` // the parent's deadline passed (a ctx deadline)
	Cause   string `json:"cause,omitempty"`
}

type callRequest struct {
	Run  int             `json:"run"`           // the run's Seq: a run's frames must never reach another's
	N    int             `json:"n"`             // numbers the calls of one run
	Seq  int             `json:"seq,omitempty"` // sandbox.CallSeq: the order the script started it in
	ID   string          `json:"id"`
	Args json.RawMessage `json:"args"`
}

type callReply struct {
	N      int             `json:"n"`
	Result json.RawMessage `json:"result,omitempty"`
	Error  *callError      `json:"error,omitempty"`
}

// callError is a Caller error: its JS name (ErrorName) and message.
type callError struct {
	Name    string         `json:"name,omitempty"`
	Message string         `json:"message"`
	Props   map[string]any `json:"props,omitempty"` // the error's own properties (an HttpError's status)
}

func (e *callError) Error() string              { return e.Message }
func (e *callError) ErrorName() string          { return e.Name }
func (e *callError) ErrorProps() map[string]any { return e.Props }

// logLine is one console line of run Run.
type logLine struct {
	Run  int    `json:"run"`
	Line string `json:"line"`
}

type callProgress struct {
	Run     int `json:"run"`
	Done    int `json:"done"`
	Started int `json:"started"`
}

type runResult struct {
	Seq       int             `json:"seq"` // the run's
	Value     json.RawMessage `json:"value,omitempty"`
	Logs      []string        `json:"logs"`
	Err       *sandbox.Error  `json:"error,omitempty"`
	ToolCalls int             `json:"tool_calls"`
	Duration  time.Duration   `json:"duration"`
	Times     []int64         `json:"times,omitempty"` // sandbox.Result.Times
	// Retire asks the parent to replace the worker: a runtime was abandoned
	// in a native call and still runs, or the worker used much of its CPU.
	Retire bool `json:"retire,omitempty"`
}

// frame is one decoded frame.
type frame struct {
	kind byte
	body []byte
}

// writer writes frames; safe for concurrent use.
type writer struct {
	mu sync.Mutex
	w  *bufio.Writer
}

func newWriter(w io.Writer) *writer { return &writer{w: bufio.NewWriter(w)} }

func (w *writer) send(kind byte, v any) error {
	body, err := marshal(v)
	if err != nil {
		return err
	}
	if len(body) > maxFrame {
		return fmt.Errorf("frame of %d bytes", len(body))
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	var head [5]byte
	binary.BigEndian.PutUint32(head[:4], uint32(len(body)))
	head[4] = kind
	if _, err := w.w.Write(head[:]); err != nil {
		return err
	}
	if _, err := w.w.Write(body); err != nil {
		return err
	}
	return w.w.Flush()
}

// marshal is json.Marshal without HTML escaping. A result's JSON travels
// in a json.RawMessage, which json.Marshal re-compacts with <, > and &
// turned into \u003c, \u003e and \u0026: the parent would then show the
// model `Promise\u003cunknown\u003e` where the script returned
// `Promise<unknown>`. The trailing newline Encode adds is dropped.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// readFrame reads one frame.
func readFrame(r *bufio.Reader) (frame, error) {
	var head [5]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return frame{}, err
	}
	n := binary.BigEndian.Uint32(head[:4])
	if n > maxFrame {
		return frame{}, fmt.Errorf("frame of %d bytes", n)
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(r, body); err != nil {
		return frame{}, err
	}
	return frame{kind: head[4], body: body}, nil
}
