package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/mcp-codemode/mcp-codemode/config"
	"github.com/mcp-codemode/mcp-codemode/store"
	"github.com/mcp-codemode/mcp-codemode/workspace"
)

// openWorkspace is the built-in workspace, kept in st within the limits of
// codemode.workspace.
func openWorkspace(cfg *config.Config, st *store.Store) *workspace.Workspace {
	return workspace.New(st, workspace.Limits{MaxBytes: cfg.Codemode.Workspace.MaxBytes, MaxFiles: cfg.Codemode.Workspace.MaxFiles})
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
