package hosted

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// healthz is liveness: the process serves HTTP.
func (h *Handler) healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, "ok")
}

// readyz is readiness: 200 from start until shutdown begins; 503 while
// shutting down, or when an upstream failed to start (the configuration or
// the host is wrong, which another replica may not be).
//
// An upstream whose connection broke later does not make the server
// unready. A script can make an upstream exit, and no tenant may take a
// replica out of rotation for everyone (nor flap it): the registry starts
// the upstream again, and whoever calls it meanwhile gets an error that
// says so. Such an upstream is listed as down here, without the reason
// (this endpoint needs no token, and a script may have chosen the words;
// the reason is in the logs), and mcp_codemode_upstream_up reports it.
func (h *Handler) readyz(w http.ResponseWriter, r *http.Request) {
	lines, ready := h.readiness()
	if line, ok := h.storeReady(r.Context()); !ok {
		lines, ready = append(lines, line), false
		if lines[0] == "ready" {
			lines[0] = "not ready"
		}
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if !ready {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	fmt.Fprint(w, strings.Join(lines, "\n")+"\n")
}

// storeReady asks Options.Ready (the database answers). Unlike an
// upstream, the database is no tenant's to break, and a replica without it
// cannot serve what needs it: 503 until it answers again (the load
// balancer then sends its requests to replicas that can).
func (h *Handler) storeReady(ctx context.Context) (string, bool) {
	if h.opts.Ready == nil {
		return "", true
	}
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	if err := h.opts.Ready(ctx); err != nil {
		// Not the reason: this endpoint needs no token, and it names hosts.
		h.log.WarnContext(ctx, "not ready: the database does not answer", "err", err)
		return "store: down", false
	}
	return "", true
}

// readyTimeout bounds the readiness check of the database.
const readyTimeout = 3 * time.Second

func (h *Handler) readiness() ([]string, bool) {
	ready := !h.draining.Load()
	lines := []string{"ready"}
	if !ready {
		lines[0] = "shutting down"
	}
	for _, st := range h.opts.Started {
		if st.Err != nil {
			ready = false
			lines = append(lines, fmt.Sprintf("%s: failed to start: %v", st.Server, st.Err))
		}
	}
	if h.opts.Registry != nil {
		for _, u := range h.opts.Registry.Health() {
			state := "up"
			if !u.Up {
				state = "down"
			}
			lines = append(lines, u.Server+": "+state)
		}
	}
	if !ready && lines[0] == "ready" {
		lines[0] = "not ready"
	}
	return lines, ready
}
