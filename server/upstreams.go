package server

import (
	"context"
	"time"
)

// awaitUpstreams waits, within the execution's timeout, for the upstreams
// the code names that are still connecting for the first time (the
// server answered its client without waiting for them), and returns how
// long that took: it comes out of the run's timeout, as bundling does.
func (s *Server) awaitUpstreams(ctx context.Context, code string) time.Duration {
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, s.limits.Timeout)
	defer cancel()
	if !s.reg.AwaitFirst(ctx, code) {
		return 0
	}
	return time.Since(start)
}
