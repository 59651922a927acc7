package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcp-codemode/mcp-codemode/bench"
)

func TestUsage(t *testing.T) {
	if code := run(context.Background(), []string{"-nope"}, io.Discard, io.Discard); code != 2 {
		t.Errorf("run(-nope) = %d, want 2", code)
	}
}

// TestWrite writes the three files, replacing only what lies between the
// markers of benchmarks.md.
func TestWrite(t *testing.T) {
	dir := t.TempDir()
	doc := "# Benchmarks\n\nprose\n\n" + beginMark + "\nold figures\n" + endMark + "\n\nmore prose\n"
	if err := os.WriteFile(filepath.Join(dir, "benchmarks.md"), []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := write(&bench.Results{}, dir); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(filepath.Join(dir, "benchmarks.md"))
	s := string(got)
	if strings.Contains(s, "old figures") || !strings.HasPrefix(s, "# Benchmarks\n\nprose\n\n"+beginMark) ||
		!strings.HasSuffix(s, endMark+"\n\nmore prose\n") || !strings.Contains(s, "### Targets") {
		t.Errorf("benchmarks.md:\n%s", s)
	}
	for _, f := range []string{"benchmarks.json", "benchmarks.svg"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
}
