//go:build unix

package sandbox

import (
	"runtime"
	"sync"
	"syscall"
	"time"
)

// monitorNear bounds how long the Go runtime's monitor sleeps while runs
// come at least that often (see wakeMonitor).
const monitorNear = 20 * time.Millisecond

var monitor struct {
	sync.Mutex
	last  time.Time   // when the last run started
	timer *time.Timer // due monitorNear after it
}

// wakeMonitor makes sure, on one processor, that the Go runtime's monitor
// (sysmon) wakes soon after a script starts: it is what preempts a
// goroutine that keeps the processor, a script in a loop or a native call
// (a backtracking regular expression), so that the deadline's timer and
// regexp2's clock run. It sleeps while every processor is idle, until the
// next timer due then (a minute when none is), or until a system call
// through the scheduler wakes it; the sandbox workers and the stdio server
// read and write their pipes raw (internal/rawio), which does not wake it.
// Unwoken, an idle worker ran a script's backtracking regular expression
// well past its 500 ms, until the pool killed it at its deadline, and the
// stdio server for seconds.
//
// Waking it at each run set it polling every 20 µs again, which is what
// the raw reads and writes spare a busy worker (its CPU per run went back
// up by a third). So a timer is kept due monitorNear after the latest run
// started, which bounds the monitor's sleep while runs come that often
// (reset before it fires, it costs nothing), and the monitor is woken
// (a getpid through syscall.Syscall, which enters the scheduler's
// system-call state) only for a run after a longer pause: its timer has
// fired, and the monitor may be asleep for long.
func wakeMonitor() {
	if runtime.GOMAXPROCS(0) != 1 {
		return // a timer runs on another processor while a script keeps one
	}
	now := time.Now()
	if now == now.Round(0) {
		// No monotonic reading: a testing/synctest bubble, whose clock and
		// timers are fake. A timer made there may not be reset outside it
		// (a fatal error), and its fake time says nothing of the monitor.
		return
	}
	monitor.Lock()
	defer monitor.Unlock()
	if monitor.timer == nil {
		monitor.timer = time.AfterFunc(monitorNear, func() {})
	} else {
		monitor.timer.Reset(monitorNear)
	}
	if now.Sub(monitor.last) > monitorNear {
		syscall.Syscall(syscall.SYS_GETPID, 0, 0, 0)
	}
	monitor.last = now
}
