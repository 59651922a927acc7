package learn

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mcp-codemode/mcp-codemode/store"
)

// The tool id is server NUL tool; PostgreSQL's TEXT cannot hold NUL, so
// there the separator is U+FFFF, as in the pins table.
func (b *Book) toolKey(id string) string {
	if b.st.Dialect() == store.Postgres {
		return strings.ReplaceAll(id, "\x00", "\uffff")
	}
	return id
}

func (b *Book) toolID(k string) string { return strings.ReplaceAll(k, "\uffff", "\x00") }

// load reads subject's stored shapes once. A failure is logged and
// tried again at the next need: learning goes on in memory meanwhile.
func (b *Book) load(subject string) {
	b.mu.Lock()
	done := b.st == nil || b.loaded[subject] || time.Since(b.tried[subject]) < retryLoad
	if !done {
		b.tried[subject] = time.Now()
	}
	b.mu.Unlock()
	if done {
		return
	}
	rows, err := b.read(subject)
	if err != nil {
		b.log.Warn("reading learned result types", "err", err)
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.loaded[subject] {
		return
	}
	b.loaded[subject] = true
	for k, r := range rows {
		e := b.entries[k]
		if e == nil {
			e = &entry{}
			b.entries[k] = e
		}
		e.base, e.baseN = r.shape, r.results
		e.cur = Merge(r.shape, e.delta)
		b.refresh(subject, e)
	}
}

// retryLoad is how long after a failed read a subject's shapes are read
// again: a database that is down must not slow every execution.
const retryLoad = 30 * time.Second

type stored struct {
	shape   *Shape
	results int64
}

func (b *Book) read(subject string) (map[key]stored, error) {
	rs, err := b.st.Read().Query(`SELECT tool, hash, results, shape FROM learned WHERE subject = $1`, subject)
	if err != nil {
		return nil, fmt.Errorf("reading learned result types: %w", b.st.Wrap(err))
	}
	defer rs.Close()
	out := map[key]stored{}
	for rs.Next() {
		var tool, hash, shape string
		var n int64
		if err := rs.Scan(&tool, &hash, &n, &shape); err != nil {
			return nil, fmt.Errorf("reading learned result types: %w", b.st.Wrap(err))
		}
		s := &Shape{}
		if json.Unmarshal([]byte(shape), s) != nil {
			continue // written by another version: learned again
		}
		prune(s)
		out[key{subject, b.toolID(tool), hash}] = stored{s, n}
	}
	return out, b.st.Wrap(rs.Err())
}

func (b *Book) flushLoop() {
	defer b.wg.Done()
	t := time.NewTicker(b.every)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			b.Flush()
			b.Refresh()
		case <-b.done:
			return
		}
	}
}

// Flush writes the shapes learned since the last write to the store.
func (b *Book) Flush() {
	if b == nil || b.st == nil {
		return
	}
	b.mu.Lock()
	var todo []key
	for k, e := range b.entries {
		if e.dirty {
			todo = append(todo, k)
		}
	}
	b.mu.Unlock()
	for _, k := range todo {
		if err := b.flush(k); err != nil {
			b.log.Warn("storing a learned result type", "err", err)
		}
	}
}

// flush writes one entry's delta, merged into what is stored.
func (b *Book) flush(k key) error {
	b.mu.Lock()
	e := b.entries[k]
	delta, n := e.delta, e.deltaN
	e.delta, e.deltaN, e.dirty = nil, 0, false
	b.mu.Unlock()
	merged, total, err := b.write(k, delta, n)
	b.mu.Lock()
	defer b.mu.Unlock()
	if err != nil { // keep it for the next flush
		e.delta, e.deltaN, e.dirty = Merge(delta, e.delta), e.deltaN+n, true
		return err
	}
	e.base, e.baseN = merged, total
	e.cur = Merge(merged, e.delta)
	if b.refresh(k.subject, e) {
		go b.changed(k.subject) // another replica's results changed it
	}
	return nil
}

// write merges delta into the stored shape of k, where the stored count is
// still the one read (another replica may write between), and returns
// what is stored then.
func (b *Book) write(k key, delta *Shape, n int64) (*Shape, int64, error) {
	tool := b.toolKey(k.tool)
	for range 8 {
		var shape string
		var old int64
		err := b.st.Read().QueryRow(`SELECT results, shape FROM learned WHERE subject = $1 AND tool = $2 AND hash = $3`,
			k.subject, tool, k.hash).Scan(&old, &shape)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, 0, fmt.Errorf("reading a learned result type: %w", b.st.Wrap(err))
		}
		base := &Shape{}
		if err == nil && json.Unmarshal([]byte(shape), base) != nil {
			base = nil
		}
		merged := Merge(base, delta)
		data, _ := json.Marshal(merged)
		ok, werr := b.put(err == nil, k.subject, tool, k.hash, old, old+n, string(data))
		if werr != nil {
			return nil, 0, werr
		}
		if ok {
			return merged, old + n, nil
		}
	}
	return nil, 0, errors.New("storing a learned result type: too many concurrent writes; tried 8 times")
}

// put inserts the row (exists false) or updates it from old results to
// results, reporting whether no other writer came between.
func (b *Book) put(exists bool, subject, tool, hash string, old, results int64, shape string) (bool, error) {
	now := time.Now().UnixMilli()
	var res sql.Result
	var err error
	if exists {
		res, err = b.st.Write().Exec(`UPDATE learned SET results = $1, shape = $2, updated = $3
WHERE subject = $4 AND tool = $5 AND hash = $6 AND results = $7`, results, shape, now, subject, tool, hash, old)
	} else {
		res, err = b.st.Write().Exec(`INSERT INTO learned (subject, tool, hash, results, shape, updated)
VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (subject, tool, hash) DO NOTHING`, subject, tool, hash, results, shape, now)
		if err == nil { // a new definition: the old ones' shapes are of no use
			_, err = b.st.Write().ExecContext(context.Background(), `DELETE FROM learned WHERE subject = $1 AND tool = $2 AND hash <> $3`, subject, tool, hash)
		}
	}
	if err != nil {
		return false, fmt.Errorf("storing a learned result type: %w", b.st.Wrap(err))
	}
	affected, err := res.RowsAffected()
	return err == nil && affected == 1, nil
}

// Refresh reads what other replicas stored since the last Refresh, for
// the subjects this Book has read: their results widen the types here
// too, and a changed type is announced as one learned here is.
func (b *Book) Refresh() {
	if b == nil || b.st == nil {
		return
	}
	b.mu.Lock()
	since := b.refreshed.Add(-time.Minute) // replicas' clocks differ a little
	b.mu.Unlock()
	now := time.Now()
	rows, err := b.readSince(since)
	if err != nil {
		b.log.Warn("reading learned result types", "err", err)
		return
	}
	b.mu.Lock()
	b.refreshed = now
	changed := map[string]bool{}
	for k, r := range rows {
		if !b.loaded[k.subject] {
			continue
		}
		e := b.entries[k]
		if e == nil {
			e = &entry{}
			b.entries[k] = e
		}
		if r.results <= e.baseN {
			continue
		}
		e.base, e.baseN = r.shape, r.results
		e.cur = Merge(r.shape, e.delta)
		if b.refresh(k.subject, e) {
			changed[k.subject] = true
		}
	}
	b.mu.Unlock()
	for subject := range changed {
		b.changed(subject)
	}
}

func (b *Book) readSince(since time.Time) (map[key]stored, error) {
	rs, err := b.st.Read().Query(`SELECT subject, tool, hash, results, shape FROM learned WHERE updated >= $1`, since.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("reading learned result types: %w", b.st.Wrap(err))
	}
	defer rs.Close()
	out := map[key]stored{}
	for rs.Next() {
		var subject, tool, hash, shape string
		var n int64
		if err := rs.Scan(&subject, &tool, &hash, &n, &shape); err != nil {
			return nil, fmt.Errorf("reading learned result types: %w", b.st.Wrap(err))
		}
		s := &Shape{}
		if json.Unmarshal([]byte(shape), s) != nil {
			continue
		}
		prune(s)
		out[key{subject, b.toolID(tool), hash}] = stored{s, n}
	}
	return out, b.st.Wrap(rs.Err())
}
