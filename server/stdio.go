package server

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"sync/atomic"
)

var stdioConns atomic.Int64

// ServeStdio serves MCP on in and out until in ends or ctx is cancelled:
// one JSON-RPC message per line each way. Only MCP messages are written to
// out; errlog gets the transport's own complaints. Requests run
// concurrently (see Conn); when in ends, the requests still running are
// cancelled.
func (s *Server) ServeStdio(ctx context.Context, in io.Reader, out io.Writer, errlog io.Writer) error {
	c, err := s.NewConn(fmt.Sprintf("stdio-%d", stdioConns.Add(1)), func(msg []byte) error {
		_, err := out.Write(append(msg, '\n'))
		return err
	})
	if err != nil {
		return err
	}
	defer c.Close()
	lines, readErr, stop := make(chan []byte), make(chan error, 1), make(chan struct{})
	defer close(stop)
	go readLines(in, lines, readErr, stop)
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				if err := <-readErr; err != nil {
					fmt.Fprintf(errlog, "mcp-codemode: reading standard input: %v\n", err)
					return err
				}
				return nil
			}
			c.Handle(ctx, line)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// readLines sends each non-empty line of in until stop is closed, then
// closes lines and reports why reading stopped (nil at EOF). It may outlive
// ServeStdio, blocked in a read that only the end of in releases: stdin
// cannot be interrupted.
func readLines(in io.Reader, lines chan<- []byte, done chan<- error, stop <-chan struct{}) {
	defer close(lines)
	r := bufio.NewReaderSize(in, 64<<10)
	for {
		line, err := r.ReadBytes('\n')
		if line = bytes.TrimSpace(line); len(line) > 0 {
			select {
			case lines <- line:
			case <-stop:
				return
			}
		}
		if err != nil {
			if err == io.EOF {
				err = nil
			}
			done <- err
			return
		}
	}
}
