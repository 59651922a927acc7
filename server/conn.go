package server

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcp-codemode/mcp-codemode/internal/gostack"
)

// Conn serves MCP to one client over a transport that carries whole
// JSON-RPC messages both ways, such as stdio lines or SSE events: the
// transport hands each message it reads to Handle, and Conn sends whatever
// goes back through the send function given to NewConn, one message at a
// time, from one goroutine.
//
// Conn keeps promises that mcp-go's own stdio and SSE transports do not:
// the notifications of a request (progress, console lines) are sent before
// its response; a request cancelled with notifications/cancelled is
// interrupted and gets no response; and requests run concurrently, each on
// its own goroutine, so a long execution never holds up the next message.
type Conn struct {
	s    *Server
	id   string
	send func([]byte) error
	log  *slog.Logger

	ctx    context.Context // cancelled by Close: ends every request
	cancel context.CancelFunc
	out    chan []byte                  // to the writer, in order
	notes  chan mcp.JSONRPCNotification // from mcp-go (tools/list_changed ...)
	done   chan struct{}                // closed when the writer has stopped

	mu       sync.Mutex
	inflight map[string]*pending // by the request id's JSON
	wg       sync.WaitGroup      // requests in flight
	idle     chan struct{}       // closed and replaced when inflight empties
	closed   bool                // Close began: no request starts (wg.Add must not race its Wait)

	initialized atomic.Bool
	level       atomic.Value // mcp.LoggingLevel
	rpc         clientRPC    // our requests to the client (elicit.go)
	sub         subscription // a 2026-07-28 client's subscriptions/listen
}

// subscription is the subscriptions/listen request a 2026-07-28 client
// has running, if any: the list changes it opted in to reach it, tagged
// with the request's id, though it never sent initialize.
type subscription struct {
	mu     sync.Mutex
	id     json.RawMessage // of the latest subscriptions/listen
	filter mcp.SubscriptionFilter
	active bool
	modern bool // the client speaks 2026-07-28: it gets list changes only while it listens
}

// pending is one request in flight.
type pending struct {
	cancel    context.CancelFunc
	cancelled bool // by notifications/cancelled: its response is dropped
}

// outQueue bounds what waits for a slow client. Notifications beyond it are
// dropped; responses wait for room.
const outQueue = 256

// NewConn registers a client session with id (unique in this Server) whose
// messages go out through send. Close it when the transport ends.
func (s *Server) NewConn(id string, send func(msg []byte) error) (*Conn, error) {
	c := &Conn{
		s: s, id: id, send: send, log: s.log.With("session", id),
		out: make(chan []byte, outQueue), notes: make(chan mcp.JSONRPCNotification, outQueue),
		done: make(chan struct{}), inflight: map[string]*pending{}, idle: make(chan struct{}),
	}
	close(c.idle)
	c.level.Store(mcp.LoggingLevelError)
	c.ctx, c.cancel = context.WithCancel(context.Background())
	if err := s.mcp.RegisterSession(c.ctx, c); err != nil {
		return nil, fmt.Errorf("registering session %q: %w", id, err)
	}
	go c.write()
	return c, nil
}

// Handle processes one message read from the client. A request is started
// on a goroutine of its own, with ctx's values (the subject, the request
// id of the logs) but not its cancellation: it runs until it ends, is
// cancelled, or the Conn is closed. Notifications are handled before
// Handle returns, so a notifications/cancelled always finds the request it
// names when the client sent that request first.
func (c *Conn) Handle(ctx context.Context, msg []byte) {
	var m struct {
		ID     json.RawMessage `json:"id"`
		Method string          `json:"method"`
		Params struct {
			RequestID json.RawMessage `json:"requestId"`
			Meta      *mcp.Meta       `json:"_meta"`
		} `json:"params"`
	}
	if err := json.Unmarshal(msg, &m); err != nil {
		c.reply(mcp.NewJSONRPCError(mcp.NewRequestId(nil), mcp.PARSE_ERROR, "Parse error: "+err.Error(), nil))
		return
	}
	ctx = c.s.mcp.WithContext(ctx, c)
	if mcp.IsModernProtocol(m.Params.Meta.ProtocolVersion()) {
		c.sub.speaksModern()
	}
	switch {
	case m.Method == "": // a response to one of our requests (elicit.go)
		c.response(msg)
	case m.Method == string(mcp.MethodNotificationCancelled):
		c.cancelRequest(m.Params.RequestID)
	case len(m.ID) == 0 || string(m.ID) == "null":
		c.s.mcp.HandleMessage(ctx, msg)
	case m.Method == string(mcp.MethodSubscriptionsListen):
		c.sub.mu.Lock()
		c.sub.id = m.ID
		c.sub.mu.Unlock()
		c.start(ctx, string(m.ID), msg)
	default:
		c.start(ctx, string(m.ID), msg)
	}
}

// start runs one request on its own goroutine.
func (c *Conn) start(ctx context.Context, id string, msg []byte) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stop := context.AfterFunc(c.ctx, cancel)
	p := &pending{cancel: cancel}
	c.mu.Lock()
	if c.closed { // a request that came as the session ended: nobody reads its answer
		c.mu.Unlock()
		stop()
		cancel()
		return
	}
	if len(c.inflight) == 0 {
		c.idle = make(chan struct{})
	}
	c.inflight[id] = p
	c.wg.Add(1)
	c.mu.Unlock()
	gostack.GoDeep(func() { // mcp-go's dispatch, the parse of the script
		defer c.wg.Done()
		defer stop()
		defer cancel()
		resp := c.s.mcp.HandleMessage(WithStream(ctx, connStream{c}), msg)
		if !c.finish(id, p) && resp != nil {
			c.reply(resp)
		}
	})
}

// finish forgets a request and reports whether it was cancelled.
func (c *Conn) finish(id string, p *pending) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.inflight[id] == p {
		delete(c.inflight, id)
	}
	if len(c.inflight) == 0 {
		close(c.idle)
	}
	return p.cancelled
}

// cancelRequest interrupts the request with the given id, if it is still
// running, and makes sure it gets no response.
func (c *Conn) cancelRequest(id json.RawMessage) {
	c.mu.Lock()
	p := c.inflight[string(id)]
	if p != nil {
		p.cancelled = true
	}
	c.mu.Unlock()
	if p != nil {
		p.cancel()
	}
}

// reply queues a response, waiting for room: a client waits for it.
func (c *Conn) reply(msg mcp.JSONRPCMessage) {
	b, err := json.Marshal(msg)
	if err != nil {
		c.log.Error("encoding a response", "err", err)
		return
	}
	select {
	case c.out <- b:
	case <-c.ctx.Done():
	}
}

// write is the only goroutine that sends: messages leave in the order they
// were queued.
func (c *Conn) write() {
	defer close(c.done)
	for {
		var b []byte
		select {
		case b = <-c.out:
		case n := <-c.notes:
			n, ok := c.sub.tag(n)
			if !ok {
				continue
			}
			b, _ = json.Marshal(n)
		case <-c.ctx.Done():
			return
		}
		if err := c.send(b); err != nil {
			c.log.Debug("sending to the client", "err", err)
		}
	}
}

// Wait returns when no request is in flight, or with ctx's error.
func (c *Conn) Wait(ctx context.Context) error {
	for {
		c.mu.Lock()
		idle, n := c.idle, len(c.inflight)
		c.mu.Unlock()
		if n == 0 {
			return nil
		}
		select {
		case <-idle:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Close cancels the requests in flight, waits for them to return, stops
// sending and unregisters the session. Responses not yet sent are dropped.
func (c *Conn) Close() {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.cancel()
	c.wg.Wait()
	<-c.done
	c.s.mcp.UnregisterSession(context.Background(), c.id)
}

// connStream queues a request's notifications on the Conn's one queue,
// ahead of the response the request queues when it ends.
type connStream struct{ c *Conn }

func (st connStream) Notify(n mcp.JSONRPCNotification) {
	b, err := json.Marshal(n)
	if err != nil {
		return
	}
	select {
	case st.c.out <- b:
	default: // a client this far behind loses progress, never responses
	}
}

// mcp-go's ClientSession and SessionWithLogging.

func (c *Conn) SessionID() string                                   { return c.id }
func (c *Conn) NotificationChannel() chan<- mcp.JSONRPCNotification { return c.notes }
func (c *Conn) Initialize()                                         { c.initialized.Store(true) }

// Initialized is also true while a subscription runs: mcp-go broadcasts
// list changes to initialized sessions only, and a 2026-07-28 client never
// initializes.
func (c *Conn) Initialized() bool                  { return c.initialized.Load() || c.sub.running() }
func (c *Conn) SetLogLevel(level mcp.LoggingLevel) { c.level.Store(level) }
func (c *Conn) GetLogLevel() mcp.LoggingLevel      { return c.level.Load().(mcp.LoggingLevel) }

// mcp-go's SessionWithSubscriptionFilter: subscriptions/listen sets the
// filter while it runs, and clears it when it returns.

func (c *Conn) SetSubscriptionFilter(f mcp.SubscriptionFilter) {
	c.sub.mu.Lock()
	defer c.sub.mu.Unlock()
	c.sub.filter, c.sub.active = f, !f.IsEmpty()
}

func (c *Conn) SubscriptionFilter() (mcp.SubscriptionFilter, bool) {
	c.sub.mu.Lock()
	defer c.sub.mu.Unlock()
	return c.sub.filter, c.sub.active
}

func (s *subscription) running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.active
}

func (s *subscription) speaksModern() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.modern = true
}

// tag marks a list change sent while a subscription runs with its id, as
// every notification on a subscription's stream must be; ok is false for
// one a 2026-07-28 client did not opt in to (mcp-go counts such a client
// initialized after its first request, and broadcasts to it).
func (s *subscription) tag(n mcp.JSONRPCNotification) (_ mcp.JSONRPCNotification, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !strings.HasSuffix(n.Method, "/list_changed") {
		return n, true
	}
	if !s.active {
		return n, !s.modern
	}
	meta := maps.Clone(n.Params.Meta)
	if meta == nil {
		meta = map[string]any{}
	}
	meta[mcp.MetaKeySubscriptionID] = s.id
	n.Params.Meta = meta
	return n, true
}
