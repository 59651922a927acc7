package main

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/mcp-codemode/mcp-codemode/config"
	"github.com/mcp-codemode/mcp-codemode/hosted"
	"github.com/mcp-codemode/mcp-codemode/server"
)

// defaultGrace is how long requests in flight may take to finish after
// SIGTERM before they are cancelled; MCP_CODEMODE_SHUTDOWN_GRACE changes it.
const defaultGrace = 30 * time.Second

// checkTransport validates --transport and --listen before anything starts.
// A non-loopback address needs codemode.auth: anyone who can reach the
// port could otherwise run code with the configured servers' credentials.
func checkTransport(transport, listen string, auth *config.Auth) error {
	switch transport {
	case "stdio":
		return nil
	case "http", "sse":
	default:
		return fmt.Errorf("--transport %q: use stdio, http or sse", transport)
	}
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return fmt.Errorf("--listen %q: %v; write it as HOST:PORT, e.g. 127.0.0.1:8080", listen, err)
	}
	if !isLoopback(host) && (auth == nil || len(auth.Tokens) == 0 && auth.JWT == nil) {
		return fmt.Errorf("--listen %q is not a loopback address, and without codemode.auth anyone who can reach it "+
			"could run code with your servers' credentials; set bearer tokens in the config file, e.g. "+
			`"codemode": {"auth": {"tokens": ["${MCP_CODEMODE_TOKEN}"]}} (or auth.jwt with jwks_url, issuer and audience), `+
			"or listen on 127.0.0.1", listen)
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// serveHTTP serves streamable HTTP at /mcp or SSE at /sse and /message,
// with /healthz, /readyz and /metrics, until ctx is cancelled; then it
// shuts down gracefully (see hosted.Handler.Serve).
func (e *env) serveHTTP(ctx context.Context, f *flags, cfg *config.Config) int {
	grace, err := e.grace()
	if err != nil {
		return e.usageError(err)
	}
	ln, err := net.Listen("tcp", f.listen)
	if err != nil {
		fmt.Fprintf(e.stderr, "mcp-codemode: --listen %s: %v\n", f.listen, err)
		return exitFailed
	}
	defer ln.Close()
	runner, stop, err := e.isolation(cfg, f.transport)
	if err != nil {
		return e.usageError(err)
	}
	defer stop()
	metrics := hosted.NewMetrics()
	reg, srv, statuses, err := e.startServing(ctx, cfg, server.Options{Observer: metrics, Runner: runner})
	if err != nil {
		return e.usageError(err)
	}
	defer reg.Close()
	log := e.logger()
	opts := hosted.Options{
		Server: srv, Registry: reg, Started: statuses, Transport: f.transport, Config: cfg.Codemode,
		Loopback: isLoopback(hostOf(ln.Addr().String())), Metrics: metrics, Logger: log,
	}
	if cfg.Codemode.DatabaseURL != "" || cfg.Codemode.DataDir != "" {
		// Sessions in the database (README: Run several replicas): valid on every replica, and
		// after a restart; the bus between replicas.
		opts.Store = e.st
	}
	h, err := hosted.New(opts)
	if err != nil {
		return e.usageError(inConfig(cfg, err))
	}
	log.Info("serving", "transport", f.transport, "address", ln.Addr().String(), "auth", cfg.Codemode.Auth != nil,
		"isolation", isolationName(runner))
	if err := h.Serve(ctx, ln, grace); err != nil {
		fmt.Fprintf(e.stderr, "mcp-codemode: %v\n", err)
		return exitFailed
	}
	return exitOK
}

func (e *env) grace() (time.Duration, error) {
	v, ok := e.lookup("MCP_CODEMODE_SHUTDOWN_GRACE")
	if !ok || v == "" {
		return defaultGrace, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("MCP_CODEMODE_SHUTDOWN_GRACE=%q: write a duration like 30s or 2m", v)
	}
	return d, nil
}

func hostOf(addr string) string {
	h, _, _ := net.SplitHostPort(addr)
	return h
}

func isolationName(r server.Runner) string {
	if r == nil {
		return "inprocess"
	}
	return "process"
}
