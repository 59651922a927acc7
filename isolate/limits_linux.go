package isolate

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"unsafe"
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

// schedBatch is Linux's SCHED_BATCH scheduling policy.
const schedBatch = 3

// batchScheduling puts every thread of this process under SCHED_BATCH,
// which threads started later inherit from the thread that starts them. A
// batch thread woken (a worker, for its next run or a tool call's reply)
// does not preempt the task running on its CPU, as a normal one does at
// once: it runs when that task waits or its time slice ends. Under load the
// parent, which had written a run to a worker and was switched out for it
// in the middle of serving other requests, goes on to the end of its work,
// and the worker finds its runs waiting rather than being woken for each.
// Over HTTP, throughput with workers against in process rose by 5% at 64
// clients and 15% at 8 (three paired runs of the benchmark program's
// -http, each with and without). Its share of the CPU under
// contention is as before: that is the nice value's (see hogNice).
// Lowering one's own policy needs no privilege.
func batchScheduling() error {
	// A thread started by one not yet moved, while the others are, would
	// be missed: go over them until none was left to move.
	for range 4 {
		tasks, err := os.ReadDir("/proc/self/task")
		if err != nil {
			return err
		}
		moved := 0
		for _, t := range tasks {
			tid, err := strconv.Atoi(t.Name())
			if err != nil {
				continue
			}
			policy, _, errno := syscall.RawSyscall(syscall.SYS_SCHED_GETSCHEDULER, uintptr(tid), 0, 0)
			if errno != 0 || policy == schedBatch {
				continue // exited meanwhile, or moved
			}
			var param struct{ priority int32 } // struct sched_param: 0 for SCHED_BATCH
			_, _, errno = syscall.RawSyscall(syscall.SYS_SCHED_SETSCHEDULER, uintptr(tid), schedBatch, uintptr(unsafe.Pointer(&param)))
			if errno != 0 && errno != syscall.ESRCH {
				return fmt.Errorf("sched_setscheduler(SCHED_BATCH): %w", errno)
			}
			moved++
		}
		if moved == 0 {
			return nil
		}
	}
	return nil
}
