package sandbox

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"
)

// Replay makes a run see the same Math.random numbers and clock as an
// earlier run of the same code, so that, given the same tool results, it
// takes the same path: a durable run resumes after an approval by running
// its script again from the start (see server/replay.go).
//
// Math.random is drawn from a generator seeded with Seed. Date.now and
// new Date() hand out Times, the values the earlier run saw, in order; past
// them the clock runs on, never earlier than the last value handed out.
type Replay struct {
	Seed  uint64  `json:"seed"`
	Times []int64 `json:"times,omitempty"` // Unix milliseconds
}

// clock is the time source of a replayed run. It records every value it
// hands out (Result.Times), so that a later run can replay this one.
type clock struct {
	mu    sync.Mutex
	next  []int64 // still to be replayed
	given []int64
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	var ms int64
	if len(c.next) > 0 {
		ms, c.next = c.next[0], c.next[1:]
	} else {
		ms = time.Now().UnixMilli()
		if n := len(c.given); n > 0 && ms < c.given[n-1] {
			ms = c.given[n-1]
		}
	}
	if len(c.given) < maxTimes {
		c.given = append(c.given, ms)
	}
	return time.UnixMilli(ms)
}

// times returns a copy of the values handed out so far.
func (c *clock) times() []int64 {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]int64{}, c.given...)
}

// maxTimes bounds the clock values one run records (800 KB): past it the
// clock is not recorded, and a replay that needs more values than were
// recorded sees the real clock there (a script that then takes another
// path fails with a ReplayError at its next tool call).
const maxTimes = 100_000

// replay sets up x's runtime to repeat r. It runs before the runtime
// goroutine starts.
func (x *execution) replay(r *Replay) {
	x.clock = nil
	if r == nil {
		return
	}
	src := rand.New(rand.NewPCG(r.Seed, r.Seed^0x9e3779b97f4a7c15))
	x.rt.SetRandSource(src.Float64)
	x.clock = &clock{next: r.Times}
	x.rt.SetTimeSource(x.clock.now)
}

// seqKey carries the order of a binding call in its context.
type seqKey struct{}

// CallSeq returns the order in which the script started the call whose
// context ctx is (1 for its first binding call), and whether ctx is one.
// A script that takes the same path starts its calls in the same order,
// whatever order they finish in.
func CallSeq(ctx context.Context) (int, bool) {
	n, ok := ctx.Value(seqKey{}).(int)
	return n, ok
}

// WithCallSeq returns ctx carrying n as its call order: for a Caller that
// passes calls on (a worker process's parent).
func WithCallSeq(ctx context.Context, n int) context.Context {
	return context.WithValue(ctx, seqKey{}, n)
}
