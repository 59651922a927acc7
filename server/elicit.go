package server

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/mark3labs/mcp-go/mcp"
)

// clientRPC is the server's side of the requests a Conn sends its client
// (elicitation/create), and what the client said of itself at
// initialization.
type clientRPC struct {
	mu      sync.Mutex
	next    int64
	waiting map[string]chan rpcReply // by request id's JSON
	info    mcp.Implementation
	caps    mcp.ClientCapabilities
}

// rpcReply is a client's response to one of our requests.
type rpcReply struct {
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// RequestElicitation asks the client (mcp-go's SessionWithElicitation) and
// waits for its answer, ctx's end or the end of the connection.
func (c *Conn) RequestElicitation(ctx context.Context, req mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
	raw, err := c.request(ctx, string(mcp.MethodElicitationCreate), req.Params)
	if err != nil {
		return nil, err
	}
	var res mcp.ElicitationResult
	if err := json.Unmarshal(raw, &res); err != nil {
		return nil, fmt.Errorf("elicitation result: %w", err)
	}
	return &res, nil
}

// request sends the client a request and returns its result.
func (c *Conn) request(ctx context.Context, method string, params any) (json.RawMessage, error) {
	id, wait := c.rpc.open()
	defer c.rpc.close(id)
	msg, err := json.Marshal(map[string]any{"jsonrpc": mcp.JSONRPC_VERSION, "id": json.RawMessage(id), "method": method, "params": params})
	if err != nil {
		return nil, err
	}
	select {
	case c.out <- msg:
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-c.ctx.Done():
		return nil, errNotAsked
	}
	select {
	case r := <-wait:
		if r.Error != nil {
			return nil, fmt.Errorf("the client answered %s with error %d: %s", method, r.Error.Code, r.Error.Message)
		}
		return r.Result, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-c.ctx.Done():
		return nil, errNotAsked
	}
}

// open registers a request id and the channel its response comes on.
func (r *clientRPC) open() (string, chan rpcReply) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.waiting == nil {
		r.waiting = map[string]chan rpcReply{}
	}
	r.next++
	id := fmt.Sprintf(`"codemode-%d"`, r.next)
	ch := make(chan rpcReply, 1)
	r.waiting[id] = ch
	return id, ch
}

func (r *clientRPC) close(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.waiting, id)
}

// response delivers a client's response to the request waiting for it;
// one nobody waits for is dropped.
func (c *Conn) response(msg []byte) {
	var m struct {
		ID json.RawMessage `json:"id"`
		rpcReply
	}
	if json.Unmarshal(msg, &m) != nil {
		return
	}
	c.rpc.mu.Lock()
	ch := c.rpc.waiting[string(m.ID)]
	c.rpc.mu.Unlock()
	if ch != nil {
		select {
		case ch <- m.rpcReply:
		default:
		}
	}
}

// mcp-go's SessionWithClientInfo: initialize records what the client is
// and can do (whether it can be asked for approvals).

func (c *Conn) GetClientInfo() mcp.Implementation {
	c.rpc.mu.Lock()
	defer c.rpc.mu.Unlock()
	return c.rpc.info
}

func (c *Conn) SetClientInfo(info mcp.Implementation) {
	c.rpc.mu.Lock()
	defer c.rpc.mu.Unlock()
	c.rpc.info = info
}

func (c *Conn) GetClientCapabilities() mcp.ClientCapabilities {
	c.rpc.mu.Lock()
	defer c.rpc.mu.Unlock()
	return c.rpc.caps
}

func (c *Conn) SetClientCapabilities(caps mcp.ClientCapabilities) {
	c.rpc.mu.Lock()
	defer c.rpc.mu.Unlock()
	c.rpc.caps = caps
}
