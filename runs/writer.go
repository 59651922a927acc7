package runs

import (
	"context"
	"time"
)

const (
	// writeTimeout bounds one insert or prune while serving.
	writeTimeout = 30 * time.Second
	// pruneBatch is the most records one prune statement deletes, so that
	// deleting a backlog never holds the database for long.
	pruneBatch = 1000
	// maxBackoff is the longest pause between tries of a failing store.
	maxBackoff = 5 * time.Second
	// gather is how long the writer lets records collect once woken, so
	// that executions close together share a transaction: one transaction
	// per record was 13.5% of a stdio server's CPU back to back, and with
	// 10 ms, 15 % of it with calls 5 ms apart. A record is visible to
	// `runs list` this much after its execution answered.
	gather = 100 * time.Millisecond
)

// write is the writer goroutine: it inserts what is queued, prunes old
// records now and then, and flushes at Close.
func (r *Recorder) write() {
	defer close(r.done)
	r.prune()
	tick := time.NewTicker(pruneEvery(r.o.Retention))
	defer tick.Stop()
	var backoff time.Duration
	for {
		if batch := r.take(); len(batch) > 0 {
			ok := r.insert(batch)
			if ok {
				backoff = 0
				continue
			}
			r.putBack(batch)
			backoff = min(max(2*backoff, 100*time.Millisecond), maxBackoff)
			if !r.pause(backoff) {
				r.giveUp()
				return
			}
			continue
		}
		if r.stopping() {
			return
		}
		select {
		case <-r.wake:
			if !r.pause(gather) {
				r.giveUp()
				return
			}
		case <-r.stop:
		case <-tick.C:
			r.prune()
		}
	}
}

// pruneEvery is how often old records are looked for.
func pruneEvery(retention time.Duration) time.Duration {
	return max(min(retention/10, time.Hour), time.Second)
}

// context is what one write runs under: at most writeTimeout, and no
// longer than Close's context.
func (r *Recorder) context() (context.Context, context.CancelFunc) {
	return context.WithTimeout(r.base, writeTimeout)
}

func (r *Recorder) stopping() bool {
	select {
	case <-r.stop:
		return true
	default:
		return false
	}
}

// insert writes a batch; a failure is logged (at most once a minute, as
// drops are) and the batch kept.
func (r *Recorder) insert(batch []*Record) bool {
	for _, rec := range batch {
		r.scrub(rec)
	}
	ctx, cancel := r.context()
	defer cancel()
	err := r.b.Insert(ctx, batch)
	if err != nil {
		r.warnFailed(err)
	}
	return err == nil
}

// pause waits d before the next try; false when the flush at Close ran
// out of time first.
func (r *Recorder) pause(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	stop := r.stop
	if r.stopping() {
		stop = nil // closing already: wait out the pause
	}
	select {
	case <-t.C:
		return true
	case <-r.base.Done():
		return false
	case <-stop:
		return true // Close arrived: try again at once, under its context
	}
}

// giveUp drops and counts what is still queued when Close's time is up.
func (r *Recorder) giveUp() {
	r.mu.Lock()
	n := len(r.queue)
	r.queue = nil
	r.mu.Unlock()
	if n > 0 {
		r.drop(n, "the store did not take them before shutdown")
	}
}

func (r *Recorder) warnFailed(err error) {
	r.mu.Lock()
	now := r.now()
	if now.Sub(r.failed) < time.Minute {
		r.mu.Unlock()
		return
	}
	r.failed = now
	r.mu.Unlock()
	r.log.Warn("writing run records failed; they wait in the queue and are tried again", "error", err, "queue", r.o.Queue)
}

// prune deletes records older than the retention, a batch at a time.
func (r *Recorder) prune() {
	before := r.now().Add(-r.o.Retention)
	for !r.stopping() {
		ctx, cancel := r.context()
		n, err := r.b.Prune(ctx, before, pruneBatch)
		cancel()
		if err != nil {
			r.warnFailed(err)
			return
		}
		if n < pruneBatch {
			return
		}
	}
}
