package hosted

import (
	"fmt"
	"net/http"
	"strings"
)

// healthz is liveness: the process serves HTTP.
func (h *Handler) healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, "ok")
}

// readyz is readiness: 200 while every configured upstream is connected
// and the server is not shutting down; 503 otherwise, with one line per
// upstream saying which are down and why.
func (h *Handler) readyz(w http.ResponseWriter, _ *http.Request) {
	lines, ready := h.readiness()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if !ready {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	fmt.Fprint(w, strings.Join(lines, "\n")+"\n")
}

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
			if !u.Up {
				ready = false
				lines = append(lines, fmt.Sprintf("%s: down: %s", u.Server, u.Down))
				continue
			}
			lines = append(lines, u.Server+": up")
		}
	}
	if !ready && lines[0] == "ready" {
		lines[0] = "not ready"
	}
	return lines, ready
}
