package workspace

import (
	"context"
	"sync"
)

// gates keeps one subject's calls from queueing ahead of another's: each
// subject has at most one change and maxReads reads in flight, the rest
// wait at its own gate. The database then only ever sees a few calls per
// subject, so another subject's call waits for a few transactions, not
// for a queue one subject filled.
type gates struct {
	mu sync.Mutex
	m  map[string]*gate
}

// maxReads is how many reads of one subject run at once.
const maxReads = 2

type gate struct {
	write, read chan struct{} // semaphores
	users       int           // calls holding or waiting; the gate is dropped at 0
}

// enter waits for the subject's gate, returning the function that leaves
// it.
func (g *gates) enter(ctx context.Context, subject string, write bool) (func(), error) {
	gt := g.join(subject)
	sem := gt.read
	if write {
		sem = gt.write
	}
	select {
	case sem <- struct{}{}:
		return func() { <-sem; g.leave(subject) }, nil
	case <-ctx.Done():
		g.leave(subject)
		return nil, ctx.Err()
	}
}

func (g *gates) join(subject string) *gate {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.m == nil {
		g.m = map[string]*gate{}
	}
	gt := g.m[subject]
	if gt == nil {
		gt = &gate{write: make(chan struct{}, 1), read: make(chan struct{}, maxReads)}
		g.m[subject] = gt
	}
	gt.users++
	return gt
}

func (g *gates) leave(subject string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if gt := g.m[subject]; gt != nil {
		if gt.users--; gt.users == 0 {
			delete(g.m, subject)
		}
	}
}
