package runs

import (
	"context"
	"sync"
	"time"
)

// Memory keeps the last runs of a server without a store: at most Max
// records and MaxBytes of them, the oldest forgotten first. Retention
// applies too.
type Memory struct {
	max, maxBytes int

	mu    sync.Mutex
	recs  []*Record // oldest first
	bytes int
}

// NewMemory returns an empty Memory; zero max means 1,000 records, zero
// maxBytes 32 MiB.
func NewMemory(max, maxBytes int) *Memory {
	if max <= 0 {
		max = 1000
	}
	if maxBytes <= 0 {
		maxBytes = 32 << 20
	}
	return &Memory{max: max, maxBytes: maxBytes}
}

// Insert implements Backend.
func (m *Memory) Insert(_ context.Context, recs []*Record) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range recs {
		m.recs = append(m.recs, r)
		m.bytes += r.size()
	}
	n := 0
	for len(m.recs)-n > m.max || m.bytes > m.maxBytes && len(m.recs)-n > 1 {
		m.bytes -= m.recs[n].size()
		m.recs[n] = nil
		n++
	}
	m.recs = m.recs[n:]
	return nil
}

// List implements Backend.
func (m *Memory) List(_ context.Context, q Query) ([]*Record, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*Record
	for i := len(m.recs) - 1; i >= 0 && len(out) < limit(q); i-- {
		if r := m.recs[i]; q.Subject == "" || r.Subject == q.Subject {
			c := *r
			c.Calls = nil
			out = append(out, &c)
		}
	}
	return out, nil
}

// Get implements Backend.
func (m *Memory) Get(_ context.Context, id string) (*Record, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range m.recs {
		if r.ID == id {
			c := *r
			c.Calls = append([]Call(nil), r.Calls...)
			return &c, nil
		}
	}
	return nil, ErrNotFound
}

// Prune implements Backend. Records are kept in the order they ended,
// which is about the order they started: it deletes from the front.
func (m *Memory) Prune(_ context.Context, before time.Time, max int) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for n < len(m.recs) && n < max && m.recs[n].Start.Before(before) {
		m.bytes -= m.recs[n].size()
		m.recs[n] = nil
		n++
	}
	m.recs = m.recs[n:]
	return n, nil
}

// limit is q.Limit, or its default.
func limit(q Query) int {
	if q.Limit <= 0 {
		return 50
	}
	return q.Limit
}
