package tools

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/mcp-codemode/mcp-codemode/config"
	"github.com/mcp-codemode/mcp-codemode/typegen"
)

// Background attempts to connect an upstream that is not up: the first
// after retryFirst, then each after twice as long up to retryMax, each
// ±20 % so that servers that failed together do not retry together. Tests
// shorten them.
var retryFirst, retryMax = time.Second, time.Minute

// Start registers every server and connects them in the background; it
// returns at once, so that a client of ours gets its tools without
// waiting on any upstream. Each server's tools are added as it connects
// (OnChange hooks run: the server announces tools/list_changed); one that
// fails is retried with backoff until it comes up. Until then it is
// listed by Unavailable with why. When two entries share a name, the
// first one wins; the other is logged and left out.
func (r *Registry) Start(servers []config.Server) {
	r.start(servers)
}

// Connect is Start, then waits until every server's first attempt has
// ended, each within its timeout (they run in parallel), or ctx ends. It
// is for commands that need the tools before they go on (run, check,
// types). Statuses are in input order; a server that failed keeps being
// retried in the background.
func (r *Registry) Connect(ctx context.Context, servers []config.Server) []Status {
	ups, out := r.start(servers)
	for i, u := range ups {
		if u == nil {
			continue
		}
		select {
		case <-u.first:
			u.mu.Lock()
			out[i] = u.status
			u.mu.Unlock()
		case <-ctx.Done():
			out[i] = Status{Server: u.name, Transport: u.transportName(), Err: ctx.Err()}
		}
	}
	return out
}

func (r *Registry) start(servers []config.Server) ([]*upstream, []Status) {
	ups, out := make([]*upstream, len(servers)), make([]Status, len(servers))
	for i, s := range servers {
		u := r.newUpstream(s)
		out[i] = Status{Server: s.Name, Transport: u.transportName()}
		if err := r.claim(u); err != nil {
			out[i].Err = err
			u.log.Error("upstream left out", "err", err)
			continue
		}
		ups[i] = u
		u.publish()
		go u.supervise()
	}
	return ups, out
}

// LeaveOut registers a server whose entry is refused (config.Unavailable:
// a ${VAR} it names is not set, or it would start mcp-codemode itself).
// It is never started; Health, Unavailable and the Status returned say
// why, and the other servers work.
func (r *Registry) LeaveOut(name, transport string, err error) Status {
	u := r.newUpstream(config.Server{Name: name, Type: transport})
	st := Status{Server: name, Transport: u.transportName(), Err: r.red.Error(err)}
	u.leftOut, u.down, u.status = true, st.Err.Error(), st
	close(u.first)
	if cerr := r.claim(u); cerr != nil {
		st.Err = cerr
		return st
	}
	u.log.Error("upstream left out", "transport", st.Transport, "err", st.Err)
	u.publish()
	return st
}

// supervise makes the first attempt to connect u, records how it went for
// Connect, and, when it failed, keeps trying in the background.
func (u *upstream) supervise() {
	start := time.Now()
	tools, _, err := u.attempt(u.reg.ctx)
	u.mu.Lock()
	u.status = Status{Server: u.name, Transport: u.transportName(), Tools: tools, Err: err, Duration: time.Since(start)}
	u.mu.Unlock()
	close(u.first)
	switch {
	case refused(err):
		u.refuse(err)
	case err != nil:
		u.revive(false)
	}
}

// refused says whether an attempt failed because the process is an
// mcp-codemode that would not run as an upstream of ours.
func refused(err error) bool {
	return err != nil && strings.Contains(err.Error(), config.SelfSpawnRefusal)
}

// revive reconnects u in the background until it is up (or closed, or
// refused for good), first at once when now is set; calls meanwhile fail
// at once and say when the next attempt is. One loop runs per upstream.
func (u *upstream) revive(now bool) {
	u.mu.Lock()
	if u.reviving || u.closed || u.leftOut {
		u.mu.Unlock()
		return
	}
	u.reviving = true
	u.mu.Unlock()
	defer func() {
		u.mu.Lock()
		u.reviving = false
		u.mu.Unlock()
	}()
	delay := retryFirst
	for ; ; delay = min(2*delay, retryMax) {
		if !now && !u.waitRetry(jitter(delay)) {
			return
		}
		now = false
		if _, _, err := u.attempt(u.reg.ctx); refused(err) {
			u.refuse(err)
			return
		}
		if u.settled() {
			return
		}
	}
}

// waitRetry waits d, during which calls fail at once; false when the
// registry closed meanwhile.
func (u *upstream) waitRetry(d time.Duration) bool {
	u.mu.Lock()
	u.retryAt = time.Now().Add(d)
	u.mu.Unlock()
	select {
	case <-time.After(d):
		return true
	case <-u.reg.ctx.Done():
		return false
	}
}

// settled says whether u needs no more attempts: it is up or closed.
func (u *upstream) settled() bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.conn != nil || u.closed || u.leftOut
}

// refuse leaves u out for good: the process it starts is an mcp-codemode
// that refused to run as an upstream of ours (config.ParentEnv), through a
// wrapper the static check of the entry does not see through.
func (u *upstream) refuse(err error) {
	u.mu.Lock()
	u.leftOut = true
	u.down = u.reg.red.String(fmt.Sprintf("it starts mcp-codemode itself (through a wrapper), which would start "+
		"copies of itself without end; remove the entry from mcpServers (%v)", err))
	u.mu.Unlock()
	u.log.Error("upstream left out: it starts mcp-codemode itself", "err", err)
	u.publish()
}

// lost is called when the event stream of an SSE connection ends: the
// calls in flight fail at once (closing c ends them), and the server is
// reconnected in the background rather than by the next call, which would
// fail first otherwise.
func (u *upstream) lost(c *conn, err error) {
	u.mu.Lock()
	live := u.conn == c
	u.mu.Unlock()
	msg := fmt.Sprintf("its SSE event stream ended (%v)", err)
	if isTooLarge(err) {
		msg = fmt.Sprintf("it sent a message larger than %d bytes on its SSE event stream, which was closed", u.reg.maxResult)
	}
	u.broken(c, &messageError{msg: msg, err: err})
	if live {
		u.revive(true)
	}
}

func jitter(d time.Duration) time.Duration {
	return d + time.Duration(rand.Int64N(int64(d)*2/5+1)) - d/5
}

// Unavailable lists, one line each sorted by name, the servers whose tools
// the model cannot call and why: "github (connecting)", "github (not
// connected: ...; retried in the background)", "github (left out: ...)".
// A server that was up and whose connection broke is not listed: its tools
// are declared, and a call reconnects it. Version changes whenever these
// lines do, so that the execute description can show them.
func (r *Registry) Unavailable() []string {
	var out []string
	for _, u := range r.upstreams() {
		if line := u.unavailable(); line != "" {
			out = append(out, line)
		}
	}
	slices.Sort(out)
	return out
}

func (r *Registry) upstreams() []*upstream {
	r.mu.Lock()
	defer r.mu.Unlock()
	var ups []*upstream
	for _, st := range r.servers {
		if st.up != nil {
			ups = append(ups, st.up)
		}
	}
	return ups
}

// unavailable is u's line of Unavailable, "" when its tools are declared.
func (u *upstream) unavailable() string {
	u.mu.Lock()
	defer u.mu.Unlock()
	switch {
	case u.everUp || u.closed:
		return ""
	case u.leftOut:
		return fmt.Sprintf("%s (left out: %s)", u.name, truncate(u.down, 300))
	case u.down == "":
		return u.name + " (connecting)"
	}
	return fmt.Sprintf("%s (not connected: %s; retried in the background)", u.name, truncate(u.down, 300))
}

// publish bumps the registry's Version when u's line of Unavailable
// changed since it was last published.
func (u *upstream) publish() {
	line := u.unavailable()
	u.mu.Lock()
	same := line == u.shown
	u.shown = line
	u.mu.Unlock()
	if same {
		return
	}
	u.reg.mu.Lock()
	defer u.reg.mu.Unlock()
	if u.reg.ctx.Err() == nil {
		u.reg.rebuild()
	}
}

// AwaitFirst waits until each upstream that code mentions (by its
// namespace's identifier) and whose first attempt to connect is still
// running has connected or failed, or ctx ends. A client that runs code
// right after start gets the tools it names instead of a ReferenceError,
// and code that names none of them waits for nothing. It reports whether
// it waited, and the servers still connecting when ctx ended.
func (r *Registry) AwaitFirst(ctx context.Context, code string) (waited bool, connecting []string) {
	for _, u := range r.upstreams() {
		select {
		case <-u.first:
			continue
		default:
		}
		if !strings.Contains(code, typegen.Identifier(u.name)) {
			continue
		}
		waited = true
		select {
		case <-u.first:
		case <-ctx.Done():
			connecting = append(connecting, u.name)
		}
	}
	slices.Sort(connecting)
	return waited, connecting
}
