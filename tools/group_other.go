//go:build !unix

package tools

import (
	"os"
	"os/exec"
	"syscall"
)

// ownGroup does nothing where there are no process groups (Windows): what
// an upstream starts is not stopped with it.
func ownGroup(*exec.Cmd) {}

// signalGroup kills p for SIGKILL; the other signals have no equivalent
// (closing its stdin, before them, is what asks it to exit).
func signalGroup(p *os.Process, sig syscall.Signal) {
	if sig == syscall.SIGKILL {
		_ = p.Kill()
	}
}
