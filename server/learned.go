package server

import (
	"sync"
	"time"

	"github.com/mcp-codemode/mcp-codemode/typegen"
)

// Learned result types (README: Learned result types): what the model reads.
//
// search_tools and codemode.describe declare the types learned for the
// caller's subject, with the count of results as it is now.
//
// The execute description is one text for every client of the server:
// mcp-go keeps one tools/list, clients cache it, and a replica or a
// stateless request serves it without asking who reads it. So it shows
// learned types only when there is one subject, without codemode.auth
// (stdio, or HTTP on loopback): then they are that subject's. With auth it
// shows none (Promise<unknown>, as before learning), since one tenant's
// results must never shape what another reads; each tenant finds its own
// in describe and search.
//
// The description must not change with every call: it shows each type
// with the count of results as it was when the type last changed, and is
// rebuilt for learned types at most once per learnEvery (a type changes a
// bounded number of times anyway: learning only widens). A change that
// alters the text is announced with notifications/tools/list_changed, as a
// change of the tool set is (upstreams.go).

// learnEveryDefault is how often, at most, the description is rebuilt for
// learned types.
const learnEveryDefault = 10 * time.Second

// learnedShown is the learned-types version the description shows, and the
// throttle of its updates.
type learnedShown struct {
	version uint64 // guarded by Server.mu

	mu    sync.Mutex
	every time.Duration // 0: learnEveryDefault
	last  time.Time
	timer *time.Timer
}

// describedNamespaces are the namespaces the execute description declares.
func (s *Server) describedNamespaces() []typegen.Namespace {
	if s.limits.Auth != nil {
		return s.reg.Namespaces()
	}
	return s.reg.NamespacesFor("", true)
}

// onLearned schedules a rebuild of the description when the types it
// shows changed, at most one per learnEvery.
func (s *Server) onLearned(subject string) {
	if subject != "" || s.limits.Auth != nil {
		return
	}
	l := &s.learned
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.timer != nil {
		return // a rebuild is due: it will show this change too
	}
	every := l.every
	if every <= 0 {
		every = learnEveryDefault
	}
	l.timer = time.AfterFunc(max(0, every-time.Since(l.last)), s.showLearned)
}

// showLearned rebuilds the description with the types learned so far; the
// rebuild announces it when its text changed.
func (s *Server) showLearned() {
	l := &s.learned
	l.mu.Lock()
	l.timer, l.last = nil, time.Now()
	l.mu.Unlock()
	v := s.reg.LearnedVersion("")
	s.mu.Lock()
	l.version = v
	s.mu.Unlock()
	s.current()
}
