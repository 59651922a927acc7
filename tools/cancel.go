package tools

import (
	"github.com/mark3labs/mcp-go/client/transport"
)

// cancelling is how mcp-go's client sees an HTTP or SSE transport. The
// client tells a server that a call was cancelled or abandoned (its
// context ended) with notifications/cancelled only when the transport is
// not an HTTP one: on HTTP it relies on the request's stream closing,
// which a server of a legacy session (the revision we negotiate) does not
// take as a cancellation (MCP 2025-11-25, "Cancellation"), so it worked
// on. Hidden behind cancelling, the transport gets the notification like
// stdio does. What the client would do with an HTTP transport, conn.open
// does itself: the negotiated protocol version goes in its header.
type cancelling struct {
	transport.Interface
}

// SetRequestHandler passes on the handler of the server's own requests
// (ping, roots) when the transport takes them.
func (c cancelling) SetRequestHandler(h transport.RequestHandler) {
	if b, ok := c.Interface.(transport.BidirectionalInterface); ok {
		b.SetRequestHandler(h)
	}
}
