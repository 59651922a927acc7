package hosted

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fakeRefresher records when each upstream was refreshed, on the bubble's
// clock.
type fakeRefresher struct {
	mu    sync.Mutex
	start time.Time
	at    map[string][]time.Duration
}

func (f *fakeRefresher) Refresh(_ context.Context, server string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.at[server] = append(f.at[server], time.Since(f.start))
	return true
}

func (f *fakeRefresher) times() map[string][]time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.at
}

// TestRefreshesCoalesce: an upstream is refreshed at once when asked, at
// most once per interval, and asks that come within the interval make one
// more refresh at its end, not one each; upstreams do not wait for each
// other.
func TestRefreshesCoalesce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeRefresher{start: time.Now(), at: map[string][]time.Duration{}}
		r := newRefreshes(f, time.Second, slog.New(slog.DiscardHandler))
		defer r.close()
		r.ask("up")
		synctest.Wait()
		time.Sleep(300 * time.Millisecond)
		for range 5 {
			r.ask("up") // within the interval: one more refresh at 1s
		}
		r.ask("other")
		time.Sleep(2 * time.Second) // the interval after the second refresh passes with no ask
		r.ask("up")
		synctest.Wait()
		want := map[string][]time.Duration{
			"up":    {0, time.Second, 2300 * time.Millisecond},
			"other": {300 * time.Millisecond},
		}
		if diff := cmp.Diff(want, f.times()); diff != "" {
			t.Errorf("refreshes (-want +got):\n%s", diff)
		}
	})
}
