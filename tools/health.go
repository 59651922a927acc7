package tools

import (
	"slices"
	"strings"
)

// Health is the state of one upstream server at the moment it is asked.
type Health struct {
	Server    string
	Transport string // as in Status
	Up        bool   // a live connection is open
	Down      string // why it is down, redacted; "" while up
}

// Health reports every upstream the registry holds, sorted by name: one
// still connecting, or failing and retried in the background, or left out
// (LeaveOut) is down with why; one whose connection broke later is down
// until it is reconnected.
func (r *Registry) Health() []Health {
	ups := r.upstreams()
	out := make([]Health, 0, len(ups))
	for _, u := range ups {
		out = append(out, u.health())
	}
	slices.SortFunc(out, func(a, b Health) int { return strings.Compare(a.Server, b.Server) })
	return out
}

func (u *upstream) health() Health {
	u.mu.Lock()
	defer u.mu.Unlock()
	h := Health{Server: u.name, Transport: u.transportName(), Up: u.conn != nil && !u.closed}
	if !h.Up {
		h.Down = u.down
		if h.Down == "" {
			h.Down = "connecting"
		}
	}
	return h
}
