package server

import (
	"context"

	"github.com/mark3labs/mcp-go/mcp"
)

// Stream carries the notifications of one request to its client. A
// transport that puts one in the request's context (WithStream) promises
// that what is sent through it reaches the client before the request's
// response: mcp-go's session channel, the fallback, makes no such promise
// on stdio and SSE, where a goroutine of its own forwards notifications.
type Stream interface {
	// Notify sends n, or drops it when the client is too slow to take it.
	// It must not block: it is called from the sandbox's runtime goroutine.
	Notify(n mcp.JSONRPCNotification)
}

type streamKey struct{}

// WithStream returns ctx whose request sends its notifications through st.
func WithStream(ctx context.Context, st Stream) context.Context {
	return context.WithValue(ctx, streamKey{}, st)
}

// Notify sends a notification for the request ctx belongs to: through its
// Stream when the transport gave one, so that it reaches the client before
// the request's response, else through mcp-go's session. Tools served next
// to execute on the same mcp-go server use it for their progress.
func (s *Server) Notify(ctx context.Context, method string, params map[string]any) {
	if st, ok := ctx.Value(streamKey{}).(Stream); ok {
		st.Notify(mcp.JSONRPCNotification{
			JSONRPC:      mcp.JSONRPC_VERSION,
			Notification: mcp.Notification{Method: method, Params: mcp.NotificationParams{AdditionalFields: params}},
		})
		return
	}
	_ = s.mcp.SendNotificationToClient(ctx, method, params) // no session, or its channel is full: dropped
}
