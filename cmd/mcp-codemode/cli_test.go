package main

import (
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/mcp-codemode/mcp-codemode/internal/testenv"
)

// TestCLI runs the command-line scenarios in testdata/script: exit codes,
// messages and outputs of every subcommand, in process.
func TestCLI(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(e *testscript.Env) error {
			e.Setenv("NODE_MODULES", testenv.NodeModules(t))
			e.Setenv("REPO", testenv.Root())
			return nil
		},
		Cmds: map[string]func(*testscript.TestScript, bool, []string){"echoserver": echoServerCmd},
	})
}
