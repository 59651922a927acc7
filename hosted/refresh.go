package hosted

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// refreshEvery is how often, at most, a replica lists one upstream's tools
// again because other replicas saw them change: with N replicas told by
// one upstream, each hears of it up to N-1 times at once.
const refreshEvery = time.Second

// refresher is what refreshes needs of the registry (a *tools.Registry).
type refresher interface {
	Refresh(ctx context.Context, server string) bool
}

// refreshes re-lists upstreams that other replicas saw change: one
// refresh at a time per upstream, at most one per interval, and however
// many requests come during a refresh or the interval after it, one more
// refresh after that, not one each.
type refreshes struct {
	reg      refresher // nil: nothing to refresh
	interval time.Duration
	log      *slog.Logger
	ctx      context.Context // cancelled by close
	stop     context.CancelFunc

	mu      sync.Mutex
	running map[string]bool // upstream → another refresh was asked for meanwhile
	wg      sync.WaitGroup
}

func newRefreshes(reg refresher, interval time.Duration, log *slog.Logger) *refreshes {
	ctx, stop := context.WithCancel(context.Background())
	return &refreshes{reg: reg, interval: interval, log: log, ctx: ctx, stop: stop, running: map[string]bool{}}
}

// ask has upstream's tools listed again: now, unless a refresh of it is
// running or was made less than interval ago, and then once after that.
func (r *refreshes) ask(upstream string) {
	if r.reg == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ctx.Err() != nil {
		return
	}
	if _, busy := r.running[upstream]; busy {
		r.running[upstream] = true
		return
	}
	r.running[upstream] = false
	r.wg.Add(1)
	go r.loop(upstream)
}

// loop refreshes upstream until no request came during a refresh and the
// interval after it.
func (r *refreshes) loop(upstream string) {
	defer r.wg.Done()
	for {
		if !r.reg.Refresh(r.ctx, upstream) {
			r.log.Debug("another replica saw an upstream's tools change, and this one has no connection to it to list them", "upstream", upstream)
		}
		t := time.NewTimer(r.interval)
		select {
		case <-t.C:
		case <-r.ctx.Done():
			t.Stop()
		}
		r.mu.Lock()
		again := r.running[upstream] && r.ctx.Err() == nil
		if !again {
			delete(r.running, upstream)
		} else {
			r.running[upstream] = false
		}
		r.mu.Unlock()
		if !again {
			return
		}
	}
}

// close stops the refreshes and waits for the one running to end.
func (r *refreshes) close() {
	r.stop()
	r.wg.Wait()
}
