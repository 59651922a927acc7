package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/mcp-codemode/mcp-codemode/config"
	"github.com/mcp-codemode/mcp-codemode/workspace"
)

// openWorkspace opens the built-in workspace: stored in codemode.data_dir
// when it is set, else in memory. Its database also keeps the pins of tool
// definitions.
func openWorkspace(cfg *config.Config) (*workspace.Workspace, error) {
	dir, err := dataDir(cfg)
	if err != nil {
		return nil, err
	}
	ws, err := workspace.Open(dir)
	if err != nil {
		return nil, &config.Error{Path: cfg.Path, Key: "codemode.data_dir", Msg: err.Error() + "; name a directory mcp-codemode may create and write"}
	}
	ws.MaxBytes, ws.MaxFiles = cfg.Codemode.Workspace.MaxBytes, cfg.Codemode.Workspace.MaxFiles
	return ws, nil
}

// dataDir is codemode.data_dir with a leading "~/" expanded and a relative
// path taken from the configuration file's directory (Claude Desktop does
// not start servers in a useful working directory).
func dataDir(cfg *config.Config) (string, error) {
	dir := cfg.Codemode.DataDir
	switch {
	case dir == "":
		return "", nil
	case dir == "~" || strings.HasPrefix(dir, "~/"):
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("codemode.data_dir %q: %v", dir, err)
		}
		dir = filepath.Join(home, strings.TrimPrefix(dir, "~"))
	case !filepath.IsAbs(dir) && cfg.Path != "":
		dir = filepath.Join(filepath.Dir(cfg.Path), dir)
	}
	return filepath.Abs(dir)
}
