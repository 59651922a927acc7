package isolate

import (
	"io"
	"os"
	"syscall"
	"unsafe"
)

// pollable returns f read and written through the Go runtime's poller when
// it is a pipe, as a pool's worker's stdin and stdout are. os/exec hands a
// child its pipes in blocking mode, so the worker waited for each frame in
// a read system call and wrote each in a write one, each holding a thread
// and its processor; the runtime's monitor (sysmon), which takes a
// processor back from a system call, then polled every 20µs rather than
// backing off. On the poller, the reader parks like a goroutine waiting on
// a channel: under load (BenchmarkThroughput/pool, perf stat) the pool's
// context switches halved and its nanosleeps fell by four fifths. The
// pipe's ends are the worker's alone (the parent closed its copies), so
// their non-blocking mode changes nothing for anyone else. A terminal or a
// file (a worker started by hand) is left as it is.
func pollable(f *os.File) *os.File {
	info, err := f.Stat()
	if err != nil || info.Mode()&os.ModeNamedPipe == 0 {
		return f
	}
	fd := f.Fd()
	if err := syscall.SetNonblock(int(fd), true); err != nil {
		return f
	}
	return os.NewFile(fd, f.Name())
}

// rawPipe reads and writes a non-blocking pipe with raw system calls,
// waiting on the runtime's poller when it is empty or full. See quiet.
type rawPipe struct {
	f  *os.File
	rc syscall.RawConn
}

// quiet returns f, a non-blocking pipe (see pollable), read and written
// with raw system calls, waiting on the poller only when it is empty or
// full. A syscall.Read or Write enters the scheduler's system-call state,
// and one entered while the runtime's monitor (sysmon) sleeps, as it does
// whenever every processor is idle, wakes it and sets it polling every 20µs
// for the next millisecond. A worker under load goes idle between runs and
// is woken for each, so its monitor never slowed down: 7 in 10 of the
// workers' context switches over HTTP at 64 clients. With raw calls, those
// switches fell by three quarters, and the workers' CPU per execution by a
// third (0.21-0.22 → 0.13-0.16 ms, benchmark program, -http). A
// non-blocking read or write never blocks, so there is no processor to hand
// over while it is in the kernel. The parent reads and writes its ends of
// the workers' pipes so too. Anything else (a blocking file: a worker
// started by hand on a terminal) is returned as it is.
func quiet(f *os.File) io.ReadWriter {
	if nb, err := isNonblock(f); err != nil || !nb {
		return f
	}
	rc, err := f.SyscallConn()
	if err != nil {
		return f
	}
	return &rawPipe{f: f, rc: rc}
}

func isNonblock(f *os.File) (bool, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return false, err
	}
	var flags uintptr
	var errno syscall.Errno
	if err := rc.Control(func(fd uintptr) {
		flags, _, errno = syscall.RawSyscall(syscall.SYS_FCNTL, fd, syscall.F_GETFL, 0)
	}); err != nil {
		return false, err
	}
	if errno != 0 {
		return false, errno
	}
	return flags&syscall.O_NONBLOCK != 0, nil
}

func (p *rawPipe) Read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	var n uintptr
	var errno syscall.Errno
	err := p.rc.Read(func(fd uintptr) bool {
		for {
			n, _, errno = syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)))
			if errno != syscall.EINTR {
				return errno != syscall.EAGAIN
			}
		}
	})
	switch {
	case err != nil:
		return 0, &os.PathError{Op: "read", Path: p.f.Name(), Err: err}
	case errno != 0:
		return 0, &os.PathError{Op: "read", Path: p.f.Name(), Err: errno}
	case n == 0:
		return 0, io.EOF
	}
	return int(n), nil
}

func (p *rawPipe) Write(b []byte) (int, error) {
	done := 0
	for done < len(b) {
		var n uintptr
		var errno syscall.Errno
		err := p.rc.Write(func(fd uintptr) bool {
			for {
				n, _, errno = syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(&b[done])), uintptr(len(b)-done))
				if errno != syscall.EINTR {
					return errno != syscall.EAGAIN
				}
			}
		})
		if err != nil {
			return done, &os.PathError{Op: "write", Path: p.f.Name(), Err: err}
		}
		if errno != 0 {
			return done, &os.PathError{Op: "write", Path: p.f.Name(), Err: errno}
		}
		done += int(n)
	}
	return done, nil
}
