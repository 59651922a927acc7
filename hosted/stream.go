package hosted

import (
	"encoding/json"
	"mime"
	"net/http"
	"sync"

	"github.com/mark3labs/mcp-go/mcp"
)

// streamWriter is the ResponseWriter mcp-go answers one POST through, and
// the server.Stream that request's notifications go through. A
// notification turns the response into an SSE stream at once (mcp-go would
// send it on whichever of the session's streams reads it first, maybe after
// the response); mcp-go's JSON answer then becomes the stream's last event.
// Notify never blocks: a pump goroutine writes what it queues, and every
// write of mcp-go first writes what is queued, so order is kept.
type streamWriter struct {
	w         http.ResponseWriter
	sse       bool        // the client accepts text/event-stream
	cancelled func() bool // the request was cancelled: nothing more of it is sent
	out       *stream     // gives server requests this replica's ids; nil without replicas

	qmu     sync.Mutex
	queue   [][]byte
	pumping bool

	mu       sync.Mutex  // guards what follows, and every write to w
	header   http.Header // mcp-go's headers, until they are sent
	started  bool        // the SSE head of our notifications went out
	sent     bool        // mcp-go's status went out, or was absorbed into our stream
	wrapJSON bool        // mcp-go answers JSON on our stream: its body becomes an event
	body     []byte
	done     bool // finish was called: nothing more is written
}

// maxQueued bounds the notifications waiting for a slow client; beyond it
// they are dropped.
const maxQueued = 256

func newStreamWriter(w http.ResponseWriter, sse bool, cancelled func() bool) *streamWriter {
	return &streamWriter{w: w, sse: sse, cancelled: cancelled, header: http.Header{}}
}

// Notify queues n to be written ahead of anything mcp-go writes later.
func (sw *streamWriter) Notify(n mcp.JSONRPCNotification) {
	b, err := json.Marshal(n)
	if err != nil || !sw.sse {
		return
	}
	sw.qmu.Lock()
	defer sw.qmu.Unlock()
	if len(sw.queue) >= maxQueued {
		return
	}
	sw.queue = append(sw.queue, b)
	if !sw.pumping {
		sw.pumping = true
		go sw.pump()
	}
}

// pump writes queued notifications until the queue is empty.
func (sw *streamWriter) pump() {
	for {
		sw.mu.Lock()
		sw.flushQueue()
		sw.mu.Unlock()
		sw.qmu.Lock()
		if len(sw.queue) == 0 {
			sw.pumping = false
			sw.qmu.Unlock()
			return
		}
		sw.qmu.Unlock()
	}
}

// flushQueue writes the queued notifications; sw.mu must be held.
func (sw *streamWriter) flushQueue() {
	sw.qmu.Lock()
	items := sw.queue
	sw.queue = nil
	sw.qmu.Unlock()
	if len(items) == 0 || sw.done || sw.cancelled() {
		return
	}
	if sw.sent && !sw.started && !isSSE(sw.header) {
		return // mcp-go already answers JSON: no room for notifications
	}
	if !sw.sent && !sw.started {
		sw.startSSE()
	}
	for _, b := range items {
		writeEvent(sw.w, b)
	}
	flush(sw.w)
}

func (sw *streamWriter) startSSE() {
	h := sw.w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	sw.w.WriteHeader(http.StatusOK)
	sw.started = true
}

func (sw *streamWriter) Header() http.Header { return sw.header }

func (sw *streamWriter) WriteHeader(code int) {
	sw.mu.Lock()
	defer sw.mu.Unlock()
	sw.flushQueue()
	sw.writeHeader(code)
}

// writeHeader sends mcp-go's status and headers, unless our stream already
// went out; sw.mu must be held.
func (sw *streamWriter) writeHeader(code int) {
	if sw.sent {
		return
	}
	sw.sent = true
	if sw.started {
		sw.wrapJSON = !isSSE(sw.header)
		return
	}
	for k, v := range sw.header {
		sw.w.Header()[k] = v
	}
	sw.w.WriteHeader(code)
}

func (sw *streamWriter) Write(b []byte) (int, error) {
	sw.mu.Lock()
	defer sw.mu.Unlock()
	sw.flushQueue()
	sw.writeHeader(http.StatusOK)
	switch {
	case sw.done || sw.cancelled():
		return len(b), nil
	case sw.wrapJSON:
		sw.body = append(sw.body, b...)
		return len(b), nil
	}
	if _, err := sw.w.Write(sw.out.rewrite(b)); err != nil {
		return 0, err
	}
	return len(b), nil
}

func (sw *streamWriter) Flush() {
	sw.mu.Lock()
	defer sw.mu.Unlock()
	sw.flushQueue()
	if !sw.wrapJSON && !sw.done {
		flush(sw.w)
	}
}

func (sw *streamWriter) Unwrap() http.ResponseWriter { return sw.w }

// finish ends the response once mcp-go returned: a JSON answer on our
// stream goes out as its last event; a cancelled request that wrote
// nothing gets an empty stream, which tells the client no answer comes.
func (sw *streamWriter) finish(cancelled bool) {
	sw.mu.Lock()
	defer sw.mu.Unlock()
	if !cancelled {
		sw.flushQueue()
	}
	switch {
	case cancelled && !sw.started && !sw.sent:
		sw.startSSE()
		flush(sw.w)
	case !cancelled && sw.wrapJSON && len(sw.body) > 0:
		writeEvent(sw.w, trimNewline(sw.body))
		flush(sw.w)
	}
	sw.done = true
	sw.out.end()
}

func writeEvent(w http.ResponseWriter, data []byte) {
	_, _ = w.Write([]byte("event: message\ndata: "))
	_, _ = w.Write(data)
	_, _ = w.Write([]byte("\n\n"))
}

func flush(w http.ResponseWriter) {
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
}

func isSSE(h http.Header) bool {
	mt, _, _ := mime.ParseMediaType(h.Get("Content-Type"))
	return mt == "text/event-stream"
}

func trimNewline(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}
