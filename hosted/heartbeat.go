package hosted

import (
	"context"
	"sync"
	"time"

	"github.com/mcp-codemode/mcp-codemode/store"
)

// heartbeatEvery is how often a replica that holds SSE streams says it is
// alive: a third of store.ReplicaLease, so that two beats may fail (the
// database slow to answer) before its sessions stop counting.
const heartbeatEvery = store.ReplicaLease / 3

// heartbeat keeps this replica's row in the store's replicas table fresh
// while it holds SSE streams. An SSE session ends with its stream, and so
// with its process; its row names the replica holding the stream, and once
// that replica's heartbeat is older than store.ReplicaLease (it died
// without ending its sessions), the row no longer counts against
// max_sessions and max_sessions_per_subject and the next sweep deletes it,
// where it used to count until it idled out (session_idle_timeout).
type heartbeat struct {
	rows    sessionRows
	replica string
	done    chan struct{}
	once    sync.Once // closes done
	wg      sync.WaitGroup

	mu   sync.Mutex
	last time.Time // of the last heartbeat recorded
}

// newHeartbeat starts beating for replica.
func newHeartbeat(rows sessionRows, replica string) *heartbeat {
	h := &heartbeat{rows: rows, replica: replica, done: make(chan struct{})}
	h.wg.Add(1)
	go h.loop()
	return h
}

func (h *heartbeat) loop() {
	defer h.wg.Done()
	t := time.NewTicker(heartbeatEvery)
	defer t.Stop()
	for {
		h.beat(context.Background())
		select {
		case <-t.C:
		case <-h.done:
			return
		}
	}
}

// beat records that the replica is alive now, within publishTimeout.
func (h *heartbeat) beat(ctx context.Context) {
	now := time.Now()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), publishTimeout)
	defer cancel()
	if err := h.rows.heartbeat(ctx, h.replica, now); err != nil {
		return // the next beat tries again; a session created meanwhile fails on the same database
	}
	h.mu.Lock()
	if now.After(h.last) {
		h.last = now
	}
	h.mu.Unlock()
}

// ensure beats now unless a beat was recorded within heartbeatEvery: a
// session whose stream this replica holds is about to be created, and
// would not count (and be expired) if the replica's heartbeat were stale.
func (h *heartbeat) ensure(ctx context.Context) {
	h.mu.Lock()
	fresh := time.Since(h.last) < heartbeatEvery
	h.mu.Unlock()
	if !fresh {
		h.beat(ctx)
	}
}

// stop ends the beats, once; the row is left to lapse.
func (h *heartbeat) stop() {
	h.once.Do(func() { close(h.done) })
	h.wg.Wait()
}
