package isolate

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// applyLimits sets the worker's own OS limits: RLIMIT_DATA bounds its
// heap (the Go runtime maps the heap as private writable memory, which is
// what RLIMIT_DATA counts), RLIMIT_CPU its CPU time over its life (the
// kernel kills it at the hard limit). A script has no way to raise them.
//
// The data limit is twice mem: it is the backstop for a burst too fast for
// the pool's RSS check at mem, because hitting it is a crash, not an error
// (the Go runtime cannot handle a failed mapping, and may even fault). Go
// never unmaps its heap, so a worker whose data segment passed mem retires
// after its run (see dataBytes). Under the race detector, whose shadow
// memory counts as data, the memory limit is left out.
func applyLimits(mem, cpu int64) error {
	if mem > 0 && !raceEnabled {
		if err := setLimit(syscall.RLIMIT_DATA, uint64(2*mem)); err != nil {
			return fmt.Errorf("RLIMIT_DATA: %w", err)
		}
	}
	if cpu > 0 {
		if err := setLimit(syscall.RLIMIT_CPU, uint64(cpu)); err != nil {
			return fmt.Errorf("RLIMIT_CPU: %w", err)
		}
	}
	return nil
}

func setLimit(resource int, v uint64) error {
	var cur syscall.Rlimit
	if err := syscall.Getrlimit(resource, &cur); err != nil {
		return err
	}
	v = min(v, cur.Max)
	return syscall.Setrlimit(resource, &syscall.Rlimit{Cur: v, Max: v})
}

// cpuSeconds is the CPU time this process used so far.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	tv := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	return tv(ru.Utime) + tv(ru.Stime)
}

// rssOf is the resident set size of process pid in bytes, or 0.
func rssOf(pid int) int64 { return statm("/proc/"+strconv.Itoa(pid)+"/statm", 1) }

// dataBytes is this process's data segment (what RLIMIT_DATA counts), or 0.
func dataBytes() int64 { return statm("/proc/self/statm", 5) }

// statm reads field i of a statm file, in bytes.
func statm(path string, i int) int64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) <= i {
		return 0
	}
	pages, _ := strconv.ParseInt(f[i], 10, 64)
	return pages * int64(os.Getpagesize())
}

// setNice sets the nice value of every thread of worker pid, which leads
// its own process group (sysProcAttr); setpriority on the process would set
// only its main thread's.
func setNice(pid, nice int) error { return syscall.Setpriority(syscall.PRIO_PGRP, pid, nice) }

// sysProcAttr kills the worker with its parent, and makes it lead a process
// group of its own.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
}

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
