package tools

// Tool-list changes across replicas. Each replica has connections of its
// own to the upstreams, and an upstream may tell only some of them that its
// tools changed (a stdio server tells its one client; an HTTP server the
// sessions listening on a GET stream). A replica that was told says so
// (OnUpstreamChanged), and the others re-list that upstream (Refresh), so
// that every replica's declarations and bindings follow the change.

import "context"

// OnUpstreamChanged registers f to be called, on its own goroutine, each
// time an upstream sent notifications/tools/list_changed, after its tools
// were listed again (whether or not that changed the tool set): server is
// its name. A Refresh does not call f, so replicas that pass the news on do
// not echo it back and forth.
func (r *Registry) OnUpstreamChanged(f func(server string)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.onUpstream = append(r.onUpstream, f)
}

// upstreamChanged runs the OnUpstreamChanged hooks.
func (r *Registry) upstreamChanged(server string) {
	r.mu.Lock()
	fs := r.onUpstream
	r.mu.Unlock()
	for _, f := range fs {
		go f(server)
	}
}

// Refresh lists the tools of upstream server again on its live connection,
// as a notifications/tools/list_changed from it would have them listed:
// another replica was told that they changed, and this one's connection
// may not have been. It reports whether server is an upstream connected
// over MCP; a failure to list is logged, and the tools stay as they were.
func (r *Registry) Refresh(ctx context.Context, server string) bool {
	r.mu.Lock()
	st := r.servers[server]
	r.mu.Unlock()
	if st == nil || st.up == nil {
		return false
	}
	u := st.up
	u.mu.Lock()
	c := u.conn
	u.mu.Unlock()
	if c == nil || c.client == nil {
		return false // down (it lists its tools when it reconnects), or OpenAPI
	}
	u.relist(ctx, c)
	return true
}
