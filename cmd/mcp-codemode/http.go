package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	mcpserver "github.com/mark3labs/mcp-go/server"

	"github.com/mcp-codemode/mcp-codemode/server"
)

// checkTransport validates --transport and --listen before anything starts.
// Authentication is not built yet, so only loopback addresses may be bound.
func checkTransport(transport, listen string) error {
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
	if !isLoopback(host) {
		return fmt.Errorf("--listen %q is not a loopback address and requests would be unauthenticated; "+
			"listen on 127.0.0.1 (or ::1, localhost), or configure codemode.auth", listen)
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

// serveHTTP serves streamable HTTP at /mcp or SSE at /sse and /message, plus
// /healthz and /readyz, until ctx is cancelled.
func serveHTTP(ctx context.Context, srv *server.Server, transport, listen string, log *slog.Logger) error {
	mux := http.NewServeMux()
	if transport == "http" {
		mux.Handle("/mcp", mcpserver.NewStreamableHTTPServer(srv.MCP()))
	} else {
		sse := mcpserver.NewSSEServer(srv.MCP())
		mux.Handle("/sse", sse.SSEHandler())
		mux.Handle("/message", sse.MessageHandler())
	}
	ok := func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") }
	mux.HandleFunc("/healthz", ok)
	mux.HandleFunc("/readyz", ok)
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	log.Info("serving", "transport", transport, "address", ln.Addr().String())
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = hs.Shutdown(shutdown)
	}()
	if err := hs.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
