package server

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"sync/atomic"
	"time"
)

var stdioConns atomic.Int64

// drainSlack is how much longer than an execution's timeout the requests
// still running when stdin ends may take to finish: a request waiting on
// the client (an approval) gets no answer once the client has gone.
const drainSlack = 5 * time.Second

// ServeStdio serves MCP on in and out until in ends or ctx is cancelled:
// one JSON-RPC message per line each way. Only MCP messages are written to
// out; errlog gets the transport's own complaints. Requests run
// concurrently (see Conn). When in ends, the requests still running finish
// and their answers are written before ServeStdio returns (a client may
// close stdin right after its last request, as `echo ... | mcp-codemode`
// does); when ctx is cancelled, they are cancelled.
func (s *Server) ServeStdio(ctx context.Context, in io.Reader, out io.Writer, errlog io.Writer) error {
	flushed := make(chan struct{})
	c, err := s.NewConn(fmt.Sprintf("stdio-%d", stdioConns.Add(1)), func(msg []byte) error {
		if len(msg) == 0 { // the marker drain queued: everything before it is written
			close(flushed)
			return nil
		}
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
				err := <-readErr
				if err != nil {
					fmt.Fprintf(errlog, "mcp-codemode: reading standard input: %v\n", err)
				}
				c.drain(ctx, s.limits.Timeout+drainSlack, flushed)
				return err
			}
			c.Handle(ctx, line)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// drain waits, at most max or until ctx ends, for the requests in flight to
// finish and for their responses to be written: an empty message queued
// behind them reaches send (which closes flushed) once everything before
// it has been written.
func (c *Conn) drain(ctx context.Context, max time.Duration, flushed <-chan struct{}) {
	ctx, cancel := context.WithTimeout(ctx, max)
	defer cancel()
	finished := make(chan struct{})
	go func() {
		c.wg.Wait() // each request has queued its response when it is done
		close(finished)
	}()
	select {
	case <-finished:
	case <-ctx.Done():
		return
	}
	select {
	case c.out <- []byte{}:
	case <-ctx.Done():
		return
	}
	select {
	case <-flushed:
	case <-ctx.Done():
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
