//go:build unix

// Package rawio reads and writes a non-blocking pipe or socket with raw
// system calls, waiting on the Go runtime's poller only when it is empty
// or full.
//
// A read or write through os.File or net.Conn enters the scheduler's
// system-call state, and one entered while the runtime's monitor (sysmon)
// sleeps, as it does whenever every processor is idle, wakes it and sets it
// polling every 20 µs for the next millisecond. A process that goes idle
// between requests and is woken for each (a sandbox worker between runs, a
// stdio server between calls) so keeps its monitor polling while it works:
// 7 in 10 of the workers' context switches over HTTP at 64 clients. A
// non-blocking read or write never blocks, so there is no processor to
// hand over while it is in the kernel, and no need to tell the scheduler.
//
// The monitor is also what preempts a goroutine that keeps its processor.
// A process with one processor that reads raw must wake it before work
// that may not yield, or keep a timer due soon, which bounds its sleep:
// sandbox.Run does both for a script.
package rawio

import (
	"io"
	"os"
	"syscall"
	"unsafe"
)

// Wrap returns rw read and written with raw system calls when it is a
// syscall.Conn (an *os.File, a *net.UnixConn, ...) in non-blocking mode,
// and rw itself otherwise: a raw read of a blocking file (a terminal) would
// hold its thread and processor while it waits.
func Wrap(rw io.ReadWriter) io.ReadWriter {
	sc, ok := rw.(syscall.Conn)
	if !ok {
		return rw
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return rw
	}
	var flags uintptr
	var errno syscall.Errno
	if err := rc.Control(func(fd uintptr) {
		flags, _, errno = syscall.RawSyscall(syscall.SYS_FCNTL, fd, syscall.F_GETFL, 0)
	}); err != nil || errno != 0 || flags&syscall.O_NONBLOCK == 0 {
		return rw
	}
	return &conn{rc: rc}
}

// conn is a non-blocking descriptor read and written raw.
type conn struct{ rc syscall.RawConn }

func (c *conn) Read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	var n uintptr
	var errno syscall.Errno
	err := c.rc.Read(func(fd uintptr) bool {
		for {
			n, _, errno = syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)))
			if errno != syscall.EINTR {
				return errno != syscall.EAGAIN
			}
		}
	})
	switch {
	case err != nil:
		return 0, err // closed: os.File's and net.Conn's own error for it
	case errno != 0:
		return 0, os.NewSyscallError("read", errno)
	case n == 0:
		return 0, io.EOF
	}
	return int(n), nil
}

func (c *conn) Write(b []byte) (int, error) {
	done := 0
	for done < len(b) {
		var n uintptr
		var errno syscall.Errno
		err := c.rc.Write(func(fd uintptr) bool {
			for {
				n, _, errno = syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(&b[done])), uintptr(len(b)-done))
				if errno != syscall.EINTR {
					return errno != syscall.EAGAIN
				}
			}
		})
		if err != nil {
			return done, err
		}
		if errno != 0 {
			return done, os.NewSyscallError("write", errno)
		}
		done += int(n)
	}
	return done, nil
}
