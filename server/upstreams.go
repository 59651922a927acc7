package server

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/mcp-codemode/mcp-codemode/sandbox"
)

// awaitUpstreams waits, within the execution's timeout, for the upstreams
// the code names that are still connecting for the first time (the
// server answered its client without waiting for them), and returns how
// long that took: it comes out of the run's timeout, as bundling does.
// When the whole timeout went by, the execution is a TimeoutError that
// names them.
func (s *Server) awaitUpstreams(ctx context.Context, code string) (time.Duration, *sandbox.Error) {
	start := time.Now()
	wctx, cancel := context.WithTimeout(ctx, s.limits.Timeout)
	defer cancel()
	waited, connecting := s.reg.AwaitFirst(wctx, code)
	switch {
	case !waited:
		return 0, nil
	case len(connecting) > 0 && ctx.Err() == nil:
		return 0, &sandbox.Error{Name: sandbox.NameTimeout, Message: fmt.Sprintf("execution timed out after %v waiting for "+
			"upstream %s to connect (it is still starting; the execute description says when it is unavailable)",
			s.limits.Timeout, strings.Join(connecting, ", "))}
	}
	return time.Since(start), nil
}

// announce gives clients the newest execute description. Rebuilds run
// concurrently (one per tool-set change, and upstreams connecting in the
// background change it often) and finish in any order: registering each
// one's description as it finished left an older one in place.
func (s *Server) announce() {
	s.announceMu.Lock()
	defer s.announceMu.Unlock()
	s.mu.Lock()
	d := s.cache.description
	s.mu.Unlock()
	if d != s.announced {
		s.mcp.AddTool(executeTool(d), s.handleExecute)
		s.announced = d
	}
}
