package store

// The bus carries short messages between the replicas that share a
// database: a cancellation or an answer that reached the wrong replica, a
// change of the tool list. Within one process it is a map of channels to
// subscriptions; on PostgreSQL, Publish also sends a NOTIFY that every
// replica's listener (listen.go) hands to its own subscriptions.
//
// Each subscription has a queue and one goroutine, so fn is called in
// publication order and a slow subscriber holds up only itself. Publish
// never blocks on a subscriber.

import (
	"context"
	"errors"
	"strings"
	"sync"
)

// Publish sends payload to every subscriber of channel: this process's at
// once and, on PostgreSQL, every other replica's through the database. An
// error (a *[Error] when the database is down) means the other replicas
// may not receive it; this process's subscribers do. A channel name may
// not hold a newline or a NUL.
func (s *Store) Publish(ctx context.Context, channel string, payload []byte) error {
	if channel == "" || strings.ContainsAny(channel, "\n\x00") {
		return errors.New("store: a bus channel name must be non-empty, without newline or NUL")
	}
	s.bus.deliver(channel, payload)
	if s.listener != nil {
		return s.listener.publish(ctx, channel, payload)
	}
	return nil
}

// Subscribe calls fn with each payload published on channel from now on,
// in order, on a goroutine of this subscription's own. cancel ends the
// subscription and drops what is queued; it does not wait for fn, so a
// call already taken off the queue may still run (cancel may be called
// from fn itself). Payloads published while PostgreSQL's listener was
// reconnecting are not delivered to other replicas (the bus is for
// messages whose loss a retry or a timeout covers).
func (s *Store) Subscribe(channel string, fn func(payload []byte)) (cancel func()) {
	return s.bus.subscribe(channel, fn)
}

type bus struct {
	mu     sync.Mutex
	subs   map[string]map[*subscription]bool
	closed bool
}

func newBus() *bus { return &bus{subs: map[string]map[*subscription]bool{}} }

type subscription struct {
	fn     func([]byte)
	mu     sync.Mutex
	queue  [][]byte
	wake   chan struct{} // capacity 1: something was queued, or the subscription ended
	closed bool
}

func (b *bus) subscribe(channel string, fn func([]byte)) func() {
	sub := &subscription{fn: fn, wake: make(chan struct{}, 1)}
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return func() {}
	}
	if b.subs[channel] == nil {
		b.subs[channel] = map[*subscription]bool{}
	}
	b.subs[channel][sub] = true
	b.mu.Unlock()
	go sub.run()
	return func() {
		b.mu.Lock()
		delete(b.subs[channel], sub)
		if len(b.subs[channel]) == 0 {
			delete(b.subs, channel)
		}
		b.mu.Unlock()
		sub.end()
	}
}

// deliver queues payload on every subscription of channel.
func (b *bus) deliver(channel string, payload []byte) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for sub := range b.subs[channel] {
		sub.push(payload)
	}
}

func (b *bus) close() {
	b.mu.Lock()
	subs := b.subs
	b.subs, b.closed = map[string]map[*subscription]bool{}, true
	b.mu.Unlock()
	for _, m := range subs {
		for sub := range m {
			sub.end()
		}
	}
}

func (sub *subscription) push(p []byte) {
	sub.mu.Lock()
	if !sub.closed {
		sub.queue = append(sub.queue, p)
	}
	sub.mu.Unlock()
	select {
	case sub.wake <- struct{}{}:
	default:
	}
}

func (sub *subscription) end() {
	sub.mu.Lock()
	sub.closed, sub.queue = true, nil
	sub.mu.Unlock()
	select {
	case sub.wake <- struct{}{}:
	default:
	}
}

// run calls fn with each queued payload until the subscription ends.
func (sub *subscription) run() {
	for range sub.wake {
		for {
			p, ok, closed := sub.next()
			if closed {
				return
			}
			if !ok {
				break
			}
			sub.fn(p)
		}
	}
}

func (sub *subscription) next() (p []byte, ok, closed bool) {
	sub.mu.Lock()
	defer sub.mu.Unlock()
	if sub.closed {
		return nil, false, true
	}
	if len(sub.queue) == 0 {
		return nil, false, false
	}
	p, sub.queue = sub.queue[0], sub.queue[1:]
	return p, true, false
}
