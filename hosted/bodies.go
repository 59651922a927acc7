package hosted

import (
	"errors"
	"io"
	"sync"
)

// bodies bounds the bytes of request bodies that requests in flight hold,
// per subject and in all. Each POST may carry up to the body cap, and
// nothing else bounds how many a subject sends at once (its executions
// are capped only once their bodies are read and parsed): without this,
// one token's slow uploads or many concurrent POSTs would hold the
// server's memory for everyone.
type bodies struct {
	perSubject, total int64

	mu        sync.Mutex
	all       int64
	bySubject map[string]int64
}

// Over these multiples of the body cap, a subject's or the server's
// requests in flight are refused 429.
const (
	bodiesPerSubject = 4
	bodiesTotal      = 32
)

func newBodies(maxBody int64) *bodies {
	return &bodies{perSubject: bodiesPerSubject * maxBody, total: bodiesTotal * maxBody, bySubject: map[string]int64{}}
}

// Why a body was refused before it was read whole.
var (
	errSubjectBodies = errors.New("this subject's requests in flight hold too many bytes")
	errAllBodies     = errors.New("the server's requests in flight hold too many bytes")
)

// take counts n more bytes held by subject, or says which budget is spent.
func (b *bodies) take(subject string, n int64) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case b.bySubject[subject]+n > b.perSubject:
		return errSubjectBodies
	case b.all+n > b.total:
		return errAllBodies
	}
	b.bySubject[subject] += n
	b.all += n
	return nil
}

// give returns n bytes subject held.
func (b *bodies) give(subject string, n int64) {
	if n == 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.all -= n
	if b.bySubject[subject] -= n; b.bySubject[subject] <= 0 {
		delete(b.bySubject, subject)
	}
}

// heldBody reads a body, counting what it read against the budgets.
type heldBody struct {
	r       io.Reader
	b       *bodies
	subject string
	held    int64
}

func (h *heldBody) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	if n > 0 {
		if berr := h.b.take(h.subject, int64(n)); berr != nil {
			return 0, berr
		}
		h.held += int64(n)
	}
	return n, err
}

// release gives back what was read.
func (h *heldBody) release() { h.b.give(h.subject, h.held) }
