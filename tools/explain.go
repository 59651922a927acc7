package tools

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mcp-codemode/mcp-codemode/config"
)

// explain says what a failure to connect, or of a connection, means and
// what to check, where mcp-go's words do not: a hung server and one that
// writes garbage both said only "context deadline exceeded", a wrong url
// path was called "likely a legacy SSE server", and messages repeated
// "failed to send request: ".
func (u *upstream) explain(c *conn, err error) error {
	msg := strings.ReplaceAll(err.Error(), "failed to send request: ", "")
	switch {
	case errors.Is(err, transport.ErrLegacySSEServer):
		msg = fmt.Sprintf("%s answered initialize with an HTTP 4xx status: check the url's path (streamable HTTP "+
			`servers are usually at /mcp), and for a server of the older HTTP+SSE transport set "type": "sse"`, u.cfg.URL)
	case errors.Is(err, context.DeadlineExceeded) && !strings.Contains(msg, "did not answer"):
		step, _, _ := strings.Cut(msg, ":")
		if step != "initialize" && step != "tools/list" {
			step = "initialize"
		}
		msg = fmt.Sprintf("no answer to %s within %s (the entry's \"timeout\"); %s", step, u.timeout(), u.hangHint(c))
	}
	if msg == err.Error() {
		return err
	}
	return &messageError{msg: msg, err: err}
}

// hangHint is what to check when a server does not answer.
func (u *upstream) hangHint(c *conn) string {
	switch {
	case u.transportName() != config.Stdio:
		return `check that the url is the server's MCP endpoint and that the server is up, or raise "timeout"`
	case c.junk.String() != "":
		return c.junk.String()
	}
	return `check that the command starts an MCP server on stdin and stdout (run it by hand: it should wait for ` +
		`input without printing), or raise "timeout" if it is slow to start (a first npx -y download can take minutes)`
}
