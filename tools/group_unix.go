//go:build unix

package tools

import (
	"os"
	"os/exec"
	"syscall"
)

// ownGroup makes cmd's process lead a process group of its own, so that
// what it starts (npx's node, a shell's children) is stopped with it.
func ownGroup(cmd *exec.Cmd) { cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} }

// signalGroup sends sig to the process group p leads.
func signalGroup(p *os.Process, sig syscall.Signal) { _ = syscall.Kill(-p.Pid, sig) }
