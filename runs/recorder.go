package runs

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/mcp-codemode/mcp-codemode/redact"
)

// Options configure a Recorder. The zero value is usable.
type Options struct {
	// Secrets are scrubbed from the code, the error and fetch names before
	// a record reaches the Backend (config.Config.Secrets).
	Secrets []string
	// Retention is how old a record may grow before it is deleted
	// (codemode.runs.retention); zero means 7 days.
	Retention time.Duration
	// Queue is how many finished records may wait for the writer; zero
	// means 1,024. Beyond it the oldest are dropped.
	Queue int
	// Batch is the most records inserted in one transaction; zero means 100.
	Batch int
	// Dropped is told how many records were dropped because the queue was
	// full (a Prometheus counter in hosted mode); nil means nobody is.
	Dropped func(n int)
	// Logger receives the warnings of drops and failed writes; nil means
	// slog.Default().
	Logger *slog.Logger
	// Now is the clock; nil means time.Now (tests set it).
	Now func() time.Time
}

// DefaultRetention is codemode.runs.retention when unset.
const DefaultRetention = 7 * 24 * time.Hour

// Recorder hands finished runs to its Backend on a writer goroutine.
type Recorder struct {
	b    Backend
	o    Options
	red  *redact.Redactor
	log  *slog.Logger
	wake chan struct{}
	stop chan struct{} // closed by Close
	done chan struct{} // closed when the writer has returned

	// base is what writes run under; it ends when Close's context does,
	// which ends a write in flight too.
	base    context.Context
	abandon context.CancelFunc

	mu      sync.Mutex
	queue   []*Record
	closing bool
	dropped int       // since the last warning of drops
	warned  time.Time // of the last warning of drops
	failed  time.Time // of the last warning of a failed write
}

// NewRecorder starts a Recorder writing to b. Close it to flush.
func NewRecorder(b Backend, o Options) *Recorder {
	if o.Retention <= 0 {
		o.Retention = DefaultRetention
	}
	if o.Queue <= 0 {
		o.Queue = 1024
	}
	if o.Batch <= 0 {
		o.Batch = 100
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	r := &Recorder{b: b, o: o, red: redact.New(o.Secrets), log: o.Logger, wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	if r.log == nil {
		r.log = slog.Default()
	}
	r.base, r.abandon = context.WithCancel(context.Background())
	go r.write()
	return r
}

// Backend is where the Recorder writes; List and Get read from it.
func (r *Recorder) Backend() Backend { return r.b }

func (r *Recorder) now() time.Time { return r.o.Now() }

// enqueue queues rec for the writer, dropping the oldest waiting record
// when the queue is full. It never blocks on the store.
func (r *Recorder) enqueue(rec *Record) {
	r.mu.Lock()
	if r.closing {
		r.mu.Unlock()
		r.drop(1, "the recorder is closed")
		return
	}
	r.queue = append(r.queue, rec)
	over := len(r.queue) - r.o.Queue
	if over > 0 {
		r.queue = append(r.queue[:0], r.queue[over:]...)
	}
	r.mu.Unlock()
	if over > 0 {
		r.drop(over, "the store is not keeping up")
	}
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// drop counts n dropped records and warns, at most once a minute.
func (r *Recorder) drop(n int, why string) {
	if r.o.Dropped != nil {
		r.o.Dropped(n)
	}
	r.mu.Lock()
	r.dropped += n
	now := r.now()
	if now.Sub(r.warned) < time.Minute {
		r.mu.Unlock()
		return
	}
	n, r.dropped, r.warned = r.dropped, 0, now
	r.mu.Unlock()
	r.log.Warn("run records dropped: "+why+"; the executions were not affected", "dropped", n, "queue", r.o.Queue)
}

// take removes up to a batch of queued records.
func (r *Recorder) take() []*Record {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := min(len(r.queue), r.o.Batch)
	batch := append([]*Record(nil), r.queue[:n]...)
	r.queue = append(r.queue[:0], r.queue[n:]...)
	return batch
}

// putBack returns a batch the store refused to the front of the queue,
// dropping what no longer fits.
func (r *Recorder) putBack(batch []*Record) {
	r.mu.Lock()
	q := append(batch, r.queue...)
	over := max(len(q)-r.o.Queue, 0)
	r.queue = q[over:]
	r.mu.Unlock()
	if over > 0 {
		r.drop(over, "the store is failing")
	}
}

// Close stops taking records and writes those queued, until ctx ends;
// records still queued then are dropped and counted.
func (r *Recorder) Close(ctx context.Context) error {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	first := !r.closing
	r.closing = true
	r.mu.Unlock()
	if first {
		defer context.AfterFunc(ctx, r.abandon)()
		close(r.stop)
	}
	<-r.done
	r.abandon()
	return nil
}

// scrub redacts what a record holds of the script's text before it is
// written.
func (r *Recorder) scrub(rec *Record) {
	if r.red.Empty() {
		return
	}
	rec.Code, rec.ErrorMsg = r.red.String(rec.Code), r.red.String(rec.ErrorMsg)
	for i := range rec.Calls {
		rec.Calls[i].Name = r.red.String(rec.Calls[i].Name)
	}
}
