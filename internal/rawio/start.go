package rawio

import (
	"os"
	"os/exec"
)

// Start starts cmd with its stdin and stdout on pipes of its own, and
// returns the caller's ends: stdin to write to, stdout to read from, both
// non-blocking (on Go's poller, so for Wrap). Unlike exec's StdinPipe and
// StdoutPipe these are the files themselves, and Wait closes neither: what
// the process wrote before it exited is still read, and the caller closes
// them. On an error nothing is left open.
func Start(cmd *exec.Cmd) (stdin, stdout *os.File, err error) {
	childIn, stdin, err := os.Pipe()
	if err != nil {
		return nil, nil, err
	}
	stdout, childOut, err := os.Pipe()
	if err != nil {
		childIn.Close()
		stdin.Close()
		return nil, nil, err
	}
	cmd.Stdin, cmd.Stdout = childIn, childOut
	err = cmd.Start()
	childIn.Close() // the child's ends are the child's alone
	childOut.Close()
	if err != nil {
		stdin.Close()
		stdout.Close()
		return nil, nil, err
	}
	return stdin, stdout, nil
}
