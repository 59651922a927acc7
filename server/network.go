package server

import (
	"log/slog"
	"slices"

	"github.com/mcp-codemode/mcp-codemode/config"
	"github.com/mcp-codemode/mcp-codemode/egress"
	"github.com/mcp-codemode/mcp-codemode/sandbox"
)

// fetchID is the binding id of fetch; a tool's id never starts with NUL.
const fetchID = "\x00fetch"

// newNetwork builds the fetch policy of Limits.Network, or nil when it has
// no rules. A bad rule leaves fetch out rather than half a policy in.
func newNetwork(n config.Network, log *slog.Logger) *egress.Client {
	if len(n.Allow) == 0 {
		return nil
	}
	c, err := egress.New(n, egress.Options{Logger: log})
	if err != nil {
		log.Error("network policy refused; fetch is not available", "error", err)
		return nil
	}
	return c
}

// withNetwork adds fetch to an execution when the policy allows something,
// and returns the execution's network session (nil otherwise). The bindings
// come from the API version, shared by every execution: they are copied,
// since appending in place would write into their spare capacity from
// several executions at once.
func (s *Server) withNetwork(opts *sandbox.Options) *egress.Session {
	if !s.net.Enabled() {
		return nil
	}
	opts.Prelude = slices.Concat(opts.Prelude, []string{egress.Shim})
	opts.Bindings = slices.Concat(opts.Bindings, []sandbox.Binding{{Object: egress.BindingObject, Method: egress.BindingMethod, ID: fetchID}})
	return s.net.Session()
}

// networkLine is the description's sentence on the network.
func networkLine(summary string) string {
	if summary == "" {
		return "There is no network, file system or require: use the tools. "
	}
	return summary + " There is no file system or require. "
}
