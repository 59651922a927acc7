package server

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/mcp-codemode/mcp-codemode/internal/rawio"
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
	out, releaseOut := pollableOut(out)
	defer releaseOut()
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
	in, release := pollable(in)
	defer release() // after stop: a reader still blocked in it returns
	if rw, ok := in.(io.ReadWriter); ok {
		in = rawio.Wrap(rw)
	}
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

// pollable returns in as a reader the Go runtime's poller waits on, when
// in is a pipe or a socket (a client's stdio), and what releases it.
//
// A read of os.Stdin as it comes is a blocking system call: between two
// messages a thread sits in it, and the runtime's monitor, each time it
// takes the processor back from that thread, goes on polling every 20 µs
// instead of backing off. Back to back over stdio that was a tenth of the
// server's CPU per execution (perf; docs/benchmarks.md); read through the
// poller, 2–4 %. A socket (Node's child_process) is wrapped by
// net.FileConn, a duplicate that shares its description, now non-blocking:
// nothing else reads it. A pipe is opened again through /proc (Linux),
// which gives a description of its own. Anything else (a terminal, a file,
// another system) is read as it is. Release closes the reader, which also
// ends a read still waiting in it. ServeStdio reads it raw (see rawio), and
// writes out so too (see pollableOut).
func pollable(in io.Reader) (io.Reader, func()) {
	if c := ownNonblocking(in, os.O_RDONLY); c != nil {
		return c, func() { c.Close() }
	}
	return in, func() {}
}

// ownNonblocking returns x, when it is a socket or a pipe, as a
// non-blocking descriptor this server may close, opened for flag
// (os.O_RDONLY or os.O_WRONLY); nil for anything else. See pollable.
func ownNonblocking(x any, flag int) io.ReadWriteCloser {
	f, ok := x.(*os.File)
	if !ok {
		return nil
	}
	st, err := f.Stat()
	if err != nil {
		return nil
	}
	switch st.Mode().Type() {
	case os.ModeSocket:
		if c, err := net.FileConn(f); err == nil {
			return c
		}
	case os.ModeNamedPipe:
		if p, err := os.OpenFile(fmt.Sprintf("/proc/self/fd/%d", f.Fd()), flag|syscall.O_NONBLOCK, 0); err == nil {
			return p
		}
	}
	return nil
}

// pollableOut returns out written raw (see rawio) through a non-blocking
// descriptor of its own, when out is a pipe or a socket, and what releases
// it; anything else is written as it is. A pipe is opened again through
// /proc, as stdin is (see pollable): the descriptor the server was given
// stays blocking. A socket is wrapped by net.FileConn, whose duplicate
// shares its description, now non-blocking: nothing else writes it, since
// stdout belongs to the protocol. A response written through the
// scheduler's system-call path, like a request read so, woke the runtime's
// monitor of a server that was idle between calls, which then polled every
// 20 µs while the request was served (sandbox.Run keeps it near enough to
// preempt a script). Read and written raw, with the upstreams' pipes
// (package tools), a call took 10–15 % less time with one upstream call or
// 5 ms apart, and 4–10 % less back to back (paired runs, the official
// SDK's client).
func pollableOut(out io.Writer) (io.Writer, func()) {
	if c := ownNonblocking(out, os.O_WRONLY); c != nil {
		return rawio.Wrap(c), func() { c.Close() }
	}
	return out, func() {}
}

// readLines sends each non-empty line of in until stop is closed, then
// closes lines and reports why reading stopped (nil at EOF). It may outlive
// ServeStdio, blocked in a read that only the end of in releases, when in
// is not pollable: a blocking read cannot be interrupted.
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
