//go:build !linux

package isolate

import (
	"os"
	"syscall"
)

// applyLimits is a no-op where rlimits are not wired up: the pool's
// wall-time kill still applies.
func applyLimits(mem, cpu int64) error { return nil }

func cpuSeconds() float64 { return 0 }

func rssOf(pid int) int64 { return 0 }

func dataBytes() int64 { return 0 }

func setNice(pid, nice int) error { return nil }

func sysProcAttr() *syscall.SysProcAttr { return nil }

func pollable(f *os.File) *os.File { return f }

func batchScheduling() error { return nil }
