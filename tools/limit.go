package tools

// Messages from an upstream are bounded as they are read. A result only
// reaches a script up to the sandbox's cap on a result, so a larger one is
// of no use, and read whole it cost the server four times its size (a
// 200 MB result: +800 MB) before the cap refused it. Every transport
// reads at most Options.MaxResultBytes of one message: mcp-go bounds an
// HTTP body and an SSE event itself (WithHTTPMaxMessageBytes,
// WithMaxMessageBytes), and a stdio upstream's stdout is read through a
// lineLimiter, which drops a longer line as it streams and answers the
// call that asked with an error, so the connection carries on.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/mark3labs/mcp-go/client/transport"
)

// DefaultMaxResultBytes is Options.MaxResultBytes when zero: the default
// cap of the sandbox on a result (sandbox.DefaultMaxResultBytes).
const DefaultMaxResultBytes = 16 << 20

// tooLargePrefix starts the text of a response dropped for its size. Over
// stdio the call gets it as a JSON-RPC error, which mcp-go hands back as
// its bare message, so the text is how it is recognised.
const tooLargePrefix = "the response is larger than "

// tooLargeCode is the JSON-RPC error code of a dropped response (in the
// range JSON-RPC leaves to implementations).
const tooLargeCode = -32099

func tooLargeText(limit int) string {
	return fmt.Sprintf("%s%d bytes; it was dropped unread", tooLargePrefix, limit)
}

// isTooLarge says whether a call failed for a response over the bound.
func isTooLarge(err error) bool {
	return errors.Is(err, transport.ErrMessageTooLarge) || strings.Contains(err.Error(), tooLargePrefix)
}

// headBytes of each line are kept to find the id of a response too large
// to read.
const headBytes = 4 << 10

// lineLimiter is a stdio upstream's stdout as mcp-go reads it: one line
// per message, none longer than max bytes, so the transport never holds
// more than max bytes of one. The first max bytes of a longer line pass,
// ended by a newline (the transport skips the line as broken JSON), and
// the rest is read and dropped as it streams. When the line's head shows
// a response with its id, a JSON-RPC error for that id follows, so that
// the call that asked fails with the reason and the connection carries on.
type lineLimiter struct {
	r   io.Reader
	max int
	log *slog.Logger

	n    int    // bytes of the current line so far
	head []byte // its first headBytes bytes
	drop bool   // past max: dropping to the end of the line
	buf  []byte // what is read
	next []byte // what is handed out, of buf and replies
	out  []byte // the part of next not yet handed out
	err  error

	// A line read while a tools/call waits (await) is held whole (hold,
	// in held's chunks), so that a response to that call can be taken
	// out of the stream (divert) instead of passing through mcp-go.
	mu      sync.Mutex
	waiting map[string]*[]byte // the calls' ids: where a diverted result goes
	hold    bool
	held    [][]byte
	taken   atomic.Int64 // results diverted so far

	// broken is set when a response too large to read had no id in its
	// head: the call cannot be told, so the connection ends (and the
	// calls on it fail) instead of leaving it to its timeout.
	broken atomic.Bool
}

// errUnanswerable ends the stdout of an upstream that sent a response
// too large to read without the id that says which call it answers.
var errUnanswerable = errors.New("a response too large to read, with no id before its result")

func newLineLimiter(r io.Reader, max int, log *slog.Logger) *lineLimiter {
	return &lineLimiter{r: r, max: max, log: log, buf: make([]byte, 32<<10)}
}

func (l *lineLimiter) Read(p []byte) (int, error) {
	for len(l.out) == 0 {
		if l.err != nil {
			return 0, l.err
		}
		n, err := l.r.Read(l.buf)
		if cap(l.next) > 1<<20 {
			l.next = nil // a large line passed: not kept for the small ones
		}
		l.next = l.next[:0]
		l.feed(l.buf[:n])
		l.out = l.next
		if l.err == nil {
			l.err = err
		}
	}
	n := copy(p, l.out)
	l.out = l.out[n:]
	return n, nil
}

// feed takes bytes read, line by line.
func (l *lineLimiter) feed(b []byte) {
	for len(b) > 0 && l.err == nil {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			l.take(b)
			return
		}
		l.take(b[:i])
		l.endLine()
		b = b[i+1:]
	}
}

// take passes a piece of the current line on while it is within max, or
// holds it.
func (l *lineLimiter) take(b []byte) {
	if l.n == 0 && !l.drop {
		l.hold = l.awaiting()
	}
	if len(l.head) < headBytes {
		l.head = append(l.head, b[:min(len(b), headBytes-len(l.head))]...)
	}
	room := l.max - l.n
	l.n += len(b)
	switch {
	case l.drop:
	case len(b) > room:
		l.release()
		l.next = append(append(l.next, b[:room]...), '\n')
		l.drop = true
	case l.hold:
		l.keep(b)
	default:
		l.next = append(l.next, b...)
	}
}

func (l *lineLimiter) endLine() {
	switch {
	case l.drop:
		l.next = append(l.next, l.dropped()...)
	case l.hold:
		l.next = append(l.divert(), '\n')
	default:
		l.next = append(l.next, '\n')
	}
	l.n, l.head, l.drop, l.hold = 0, l.head[:0], false, false
}

// dropped logs a dropped line and returns what replaces it: an error
// response for its id when it was a response.
func (l *lineLimiter) dropped() []byte {
	id, response := responseID(l.head)
	l.log.Warn("upstream message dropped: larger than the bound on a result", "bytes", l.n, "limit", l.max, "id", string(id))
	switch {
	case !response:
		return nil
	case id == nil:
		l.broken.Store(true)
		l.err = errUnanswerable
		return nil
	}
	reply, _ := json.Marshal(map[string]any{
		"jsonrpc": "2.0", "id": id,
		"error": map[string]any{"code": tooLargeCode, "message": tooLargeText(l.max)},
	})
	return append(reply, '\n')
}

// responseID says whether head starts a JSON-RPC response (a "result" or
// "error" key before any "method") and returns its id when the id comes
// before the result. Anything else, requests and notifications included,
// nobody waits for.
func responseID(head []byte) (id json.RawMessage, response bool) {
	dec := json.NewDecoder(bytes.NewReader(head))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, false
	}
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return nil, false
		}
		switch key {
		case "result", "error":
			return id, true
		case "method":
			return nil, false
		case "id":
			if dec.Decode(&id) != nil {
				return nil, false
			}
			continue
		}
		var skip json.RawMessage
		if dec.Decode(&skip) != nil {
			return nil, false
		}
	}
	return nil, false
}

// divertMin is the size from which a response to an awaited tools/call
// is diverted: below it, mcp-go's decoding costs less than a look at it.
const divertMin = 64 << 10

// chunkBytes is the size of the chunks a held line is kept in: a line is
// joined once, into an allocation of its size, rather than grown.
const chunkBytes = 256 << 10

var chunks = sync.Pool{New: func() any { b := make([]byte, 0, chunkBytes); return &b }}

// await marks the tools/call with id as waiting for its result: a
// response to it of divertMin bytes or more goes to forget's caller.
func (l *lineLimiter) await(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.waiting == nil {
		l.waiting = map[string]*[]byte{}
	}
	l.waiting[id] = new([]byte)
}

// forget ends the wait of the call with id and returns the result
// diverted to it, if any.
func (l *lineLimiter) forget(id string) []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.waiting[id]
	delete(l.waiting, id)
	if r == nil {
		return nil
	}
	return *r
}

func (l *lineLimiter) awaiting() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.waiting) > 0
}

// keep holds b, a piece of the current line.
func (l *lineLimiter) keep(b []byte) {
	for len(b) > 0 {
		if len(l.held) == 0 || len(l.held[len(l.held)-1]) == chunkBytes {
			l.held = append(l.held, (*chunks.Get().(*[]byte))[:0])
		}
		c := &l.held[len(l.held)-1]
		n := min(len(b), chunkBytes-len(*c))
		*c = append(*c, b[:n]...)
		b = b[n:]
	}
}

// release passes the held part of the line on, as if it had not been held.
func (l *lineLimiter) release() {
	for _, c := range l.held {
		l.next = append(l.next, c...)
		chunks.Put(&c)
	}
	l.held = l.held[:0]
}

// divert passes the held line on, or, when it is a response to an
// awaited call, keeps its result for the call and passes on a response
// with an empty result in its place: mcp-go's stdio transport reads a
// line into a string, copies it twice and decodes it twice, 22% of a 10
// MB result's CPU and 40 MB of garbage (issue 18). Only valid JSON is
// diverted: mcp-go skips a line that is not.
func (l *lineLimiter) divert() []byte {
	if l.n < divertMin {
		l.release()
		return l.next
	}
	collectBefore(l.n)
	line := make([]byte, 0, l.n)
	for _, c := range l.held {
		line = append(line, c...)
		chunks.Put(&c)
	}
	l.held = l.held[:0]
	if id, idRaw, result, ok := responseParts(line); ok && json.Valid(line) {
		l.mu.Lock()
		slot := l.waiting[id]
		if slot != nil {
			*slot = result
		}
		l.mu.Unlock()
		if slot != nil {
			l.taken.Add(1)
			return append(append(append(l.next, `{"jsonrpc":"2.0","id":`...), idRaw...), `,"result":{"content":[]}}`...)
		}
	}
	return append(l.next, line...)
}

// Large results and the collector: the process lets its heap grow by up
// to 64 MB between collections (internal/gctune), so back-to-back results
// of 10 MB each (the line, then the script's string of it, 20 MB a call)
// piled up to the collector's goal before any was collected: the
// server's resident set grew by two calls' worth, 4× the payload. collectBefore collects
// before a large result's line is made once collectEvery bytes of them
// were made since it last did: what the previous ones left is then
// reused, at the cost of one collection of the live heap (a few ms for a
// small one) per collectEvery bytes, next to the tens of ms it takes to
// read them. The sandbox's watchdog collects after a large execution too,
// but only when none follows at once.
const (
	collectFrom  = 4 << 20
	collectEvery = 8 << 20
)

// largeSinceGC is the bytes of large results made since collectBefore
// last collected.
var largeSinceGC atomic.Int64

// collectBefore is called before a line of n bytes is made (see above).
func collectBefore(n int) {
	if n < collectFrom {
		return
	}
	if largeSinceGC.Add(int64(n)) > collectEvery {
		largeSinceGC.Store(0)
		runtime.GC()
	}
}
