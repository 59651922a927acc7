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
