package hosted

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"
)

// Serve serves h on ln until ctx is done, then shuts down gracefully:
// /readyz turns 503 and new MCP requests are refused (503), standalone
// streams end, the listener closes, and requests in flight get grace to
// finish. The executions still running then are cancelled (each answers
// with a CancelledError saying the server is shutting down), and Serve
// returns once their answers are out, or 5 s later.
func (h *Handler) Serve(ctx context.Context, ln net.Listener, grace time.Duration) error {
	base, cancelAll := context.WithCancel(context.Background())
	defer cancelAll()
	hs := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute, // idle keep-alive connections do not hold fds for ever
		BaseContext:       func(net.Listener) context.Context { return base },
	}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	stopSweep := h.sweepSessions()
	defer stopSweep()
	defer h.Close()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	h.log.Info("shutting down", "grace", grace)
	h.drain()
	graceCtx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	shut := make(chan error, 1)
	go func() { shut <- hs.Shutdown(graceCtx) }()
	h.waitSSE(graceCtx)
	h.closeSSE()
	if err := <-shut; err != nil {
		h.log.Warn("grace period over: cancelling the executions still running", "running", h.opts.Server.Running())
		h.opts.Server.Abort(errShuttingDown)
		final, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		h.waitSSE(final)
		h.closeSSE()
		if err := hs.Shutdown(final); err != nil {
			cancelAll()
			_ = hs.Close()
		}
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

var errShuttingDown = errors.New("the server is shutting down")

// drain starts the shutdown: readiness fails, new requests are refused,
// GET streams (which would hold Shutdown up) end.
func (h *Handler) drain() {
	h.draining.Store(true)
	h.endStreams()
}

// waitSSE waits until no SSE session has a request in flight, or ctx ends.
func (h *Handler) waitSSE(ctx context.Context) {
	if h.sse == nil {
		return
	}
	for _, c := range h.sse.each() {
		if c.Wait(ctx) != nil {
			return
		}
	}
}

// closeSSE ends every SSE session, cancelling what it still runs.
func (h *Handler) closeSSE() {
	if h.sse == nil {
		return
	}
	h.sessions.endAll()
}

// sweepSessions expires idle sessions every so often until stopped.
func (h *Handler) sweepSessions() (stop func()) {
	every := min(max(h.sessions.idle/4, time.Second), time.Minute)
	t := time.NewTicker(every)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-t.C:
				if err := h.sessions.sweep(context.Background()); err != nil {
					h.log.Warn("expiring idle sessions", "err", err)
				}
			case <-done:
				return
			}
		}
	}()
	return func() { t.Stop(); close(done) }
}
