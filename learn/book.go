package learn

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mcp-codemode/mcp-codemode/store"
)

// A Book keeps the learned result shapes of tools, by subject, tool id and
// definition hash: a result of one subject never shapes another's types,
// and a tool whose definition changed starts over.
//
// # The calls' path
//
// [Book.Observe] only queues the result (a slice the caller no longer
// changes), never waits: when the queue is full, or holds MaxQueuedBytes,
// the result is not learned from. One goroutine walks and merges the
// queued results, so learning costs a call nothing but a channel send.
//
// # Storing
//
// With a store, shapes are written behind, every FlushEvery, only those
// that changed: never a write per call. A write merges this replica's
// results since its last write into the stored shape (read, merge, write
// where the stored count is still the one read, else again), so replicas
// sharing a database add up their results without counting any twice. A
// subject's stored shapes are read when it is first needed, and after each
// flush the rows any replica changed since are read again (Refresh).
//
// A nil *Book learns nothing (codemode.learn_result_types: false).
type Book struct {
	st    *store.Store
	log   *slog.Logger
	every time.Duration

	queue  chan observation
	queued atomic.Int64 // bytes of the results in queue
	done   chan struct{}
	wg     sync.WaitGroup

	mu       sync.Mutex
	entries  map[key]*entry
	loaded   map[string]bool      // subjects read from the store
	tried    map[string]time.Time // when a subject was last read, or tried
	versions map[string]uint64    // bumped when a subject's schema changes
	onChange []func(subject string)
	closed   bool

	refreshed time.Time // when Refresh last read what other replicas stored
}

// BookOptions configure a Book. The zero value keeps shapes in memory.
type BookOptions struct {
	// Store keeps the shapes (the learned table); nil keeps them in memory.
	Store *store.Store
	// FlushEvery is how often changed shapes are written to Store; 0 means
	// 5s.
	FlushEvery time.Duration
	// Logger receives failed writes; nil means slog.Default().
	Logger *slog.Logger
}

// MaxQueuedBytes bounds the results waiting to be learned from.
const MaxQueuedBytes = 32 << 20

// MaxEntries bounds the tools times subjects a Book learns for (each at
// most MaxNodes shape nodes): past it, a tool not yet learned for a subject
// is not learned for it until a restart.
const MaxEntries = 100000

type key struct{ subject, tool, hash string }

type observation struct {
	key
	data []byte
	sync chan struct{} // non-nil: a marker for Sync
}

// entry is one tool's learned shape for one subject and definition.
type entry struct {
	base    *Shape // as last read from or written to the store
	baseN   int64
	delta   *Shape // results since, not yet written
	deltaN  int64
	cur     *Shape // base and delta merged
	schema  json.RawMessage
	stableN int64 // results when schema last changed
	dirty   bool
}

// NewBook returns a Book and starts its goroutines; Close stops them.
func NewBook(o BookOptions) *Book {
	b := &Book{st: o.Store, log: o.Logger, every: o.FlushEvery, queue: make(chan observation, 256), done: make(chan struct{}),
		entries: map[key]*entry{}, loaded: map[string]bool{}, tried: map[string]time.Time{}, versions: map[string]uint64{}}
	if b.log == nil {
		b.log = slog.Default()
	}
	if b.every <= 0 {
		b.every = 5 * time.Second
	}
	b.wg.Add(1)
	go b.work()
	if b.st != nil {
		b.wg.Add(1)
		go b.flushLoop()
	}
	return b
}

// Observe queues one result of a tool (its unwrapped JSON) to learn from.
// It never blocks.
func (b *Book) Observe(subject, tool, hash string, result []byte) {
	if b == nil || len(result) == 0 {
		return
	}
	if b.queued.Add(int64(len(result))) > MaxQueuedBytes {
		b.queued.Add(-int64(len(result)))
		return
	}
	select {
	case b.queue <- observation{key: key{subject, tool, hash}, data: result}:
	default:
		b.queued.Add(-int64(len(result)))
	}
}

// Sync waits until every result queued before it was learned from.
func (b *Book) Sync() {
	if b == nil {
		return
	}
	done := make(chan struct{})
	select {
	case b.queue <- observation{sync: done}:
		<-done
	case <-b.done:
	}
}

// OnChange registers f, called (on the Book's goroutine) with the subject
// whose learned types changed.
func (b *Book) OnChange(f func(subject string)) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.onChange = append(b.onChange, f)
}

// Learned is what results of one tool taught for subject: the JSON Schema
// of their type (nil when none was seen), how many results it comes from,
// and how many it came from when it last changed: what a text that must
// not change with every call (the execute description) shows.
func (b *Book) Learned(subject, tool, hash string) (schema json.RawMessage, results, stable int64) {
	if b == nil {
		return nil, 0, 0
	}
	b.load(subject)
	b.mu.Lock()
	defer b.mu.Unlock()
	e := b.entries[key{subject, tool, hash}]
	if e == nil {
		return nil, 0, 0
	}
	return e.schema, e.baseN + e.deltaN, e.stableN
}

// Version changes whenever a learned type of subject does.
func (b *Book) Version(subject string) uint64 {
	if b == nil {
		return 0
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.versions[subject]
}

// Close stops learning and writes what was learned and not yet stored.
func (b *Book) Close() error {
	if b == nil {
		return nil
	}
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	b.mu.Unlock()
	close(b.done)
	b.wg.Wait()
	b.Flush()
	return nil
}

// work learns from the queued results, one at a time.
func (b *Book) work() {
	defer b.wg.Done()
	for {
		select {
		case o := <-b.queue:
			if o.sync != nil {
				close(o.sync)
				continue
			}
			b.queued.Add(-int64(len(o.data)))
			b.learn(o)
		case <-b.done:
			return
		}
	}
}

func (b *Book) learn(o observation) {
	s, err := Of(o.data)
	if err != nil || s.Empty() {
		return
	}
	b.load(o.subject)
	b.mu.Lock()
	e := b.entries[o.key]
	if e == nil {
		if len(b.entries) >= MaxEntries {
			b.mu.Unlock()
			return
		}
		e = &entry{}
		b.entries[o.key] = e
	}
	e.delta, e.deltaN, e.dirty = Merge(e.delta, s), e.deltaN+1, true
	e.cur = Merge(e.cur, s)
	changed := b.refresh(o.subject, e)
	b.mu.Unlock()
	if changed {
		b.changed(o.subject)
	}
}

// refresh recomputes e's schema from e.cur and reports whether it changed;
// b.mu is held.
func (b *Book) refresh(subject string, e *entry) bool {
	schema := e.cur.Schema()
	if bytes.Equal(schema, e.schema) {
		return false
	}
	e.schema, e.stableN = schema, e.baseN+e.deltaN
	b.versions[subject]++
	return true
}

func (b *Book) changed(subject string) {
	b.mu.Lock()
	fs := b.onChange
	b.mu.Unlock()
	for _, f := range fs {
		f(subject)
	}
}
