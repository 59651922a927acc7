package main

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/mcp-codemode/mcp-codemode/internal/testenv"
)

// runBinary runs the built binary and returns its stdout, stderr and exit
// status.
func runBinary(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(binary(t), args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

// TestRunsCommand: executions run with a data_dir or a database_url are
// recorded; runs list prints them newest first, runs show one with its
// calls and code.
func TestRunsCommand(t *testing.T) {
	t.Run("data_dir", func(t *testing.T) {
		testRunsCommand(t, map[string]any{"data_dir": filepath.Join(t.TempDir(), "data")})
	})
	t.Run("database_url", func(t *testing.T) {
		testRunsCommand(t, map[string]any{"database_url": testenv.Postgres(t)})
	})
}

func testRunsCommand(t *testing.T, store map[string]any) {
	cfg := writeConfig(t, map[string]any{}, store)
	ok := `await workspace.write_file({path: "a.txt", content: "hello"});
return await workspace.read_file({path: "a.txt"});`
	if out, errs, code := runBinary(t, ok, "run", "--config", cfg, "-"); code != 0 {
		t.Fatalf("run: exit %d\n%s%s", code, out, errs)
	}
	failing := `await workspace.read_file({path: "missing.txt"});`
	if _, _, code := runBinary(t, failing, "run", "--config", cfg, "-"); code != 1 {
		t.Fatalf("the failing script exited %d, want 1", code)
	}

	out, errs, code := runBinary(t, "", "runs", "--config", cfg)
	if code != 0 {
		t.Fatalf("runs: exit %d: %s", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	row := regexp.MustCompile(`^([0-9a-v]{26})\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\s+-\s+\S+\s+(\d+)\s+(\S+)$`)
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "ID") {
		t.Fatalf("runs list:\n%s", out)
	}
	var ids []string
	for i, want := range []string{"1 error", "2 ok"} { // newest first
		m := row.FindStringSubmatch(lines[i+1])
		if m == nil || m[2]+" "+m[3] != want {
			t.Fatalf("row %d: %q, want calls and outcome %q", i+1, lines[i+1], want)
		}
		ids = append(ids, m[1])
	}
	if out, _, _ := runBinary(t, "", "runs", "--config", cfg, "list", "--limit", "1"); strings.Count(out, "\n") != 2 || !strings.Contains(out, ids[0]) {
		t.Errorf("runs list --limit 1:\n%s", out)
	}

	out, errs, code = runBinary(t, "", "runs", "--config", cfg, "show", ids[1])
	if code != 0 {
		t.Fatalf("runs show: exit %d: %s", code, errs)
	}
	for _, want := range []string{
		"run       " + ids[1], "outcome   ok", "result    7 bytes", "calls     2",
		`#  KIND  NAME                  ARGS  SHA-256`,
		"1  tool  workspace.write_file  ", "2  tool  workspace.read_file   ",
		"code:\n" + ok,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("runs show lacks %q:\n%s", want, out)
		}
	}
	out, _, _ = runBinary(t, "", "runs", "--config", cfg, "show", ids[0])
	if !regexp.MustCompile(`(?m)^outcome\s+error\n(.|\n)*^error\s+\w+: .*missing\.txt`).MatchString(out) {
		t.Errorf("runs show of the failed run names no error:\n%s", out)
	}

	_, errs, code = runBinary(t, "", "runs", "--config", cfg, "show", "nosuchrun")
	if code != 1 || !strings.Contains(errs, `runs show: no run "nosuchrun"`) {
		t.Errorf("show of an unknown id: exit %d: %s", code, errs)
	}
}

// TestRunsWithoutStore: without data_dir or database_url there is nothing
// to read: exit 2, saying where runs are kept.
func TestRunsWithoutStore(t *testing.T) {
	cfg := writeConfig(t, map[string]any{}, nil)
	for _, args := range [][]string{{"runs", "--config", cfg}, {"runs", "--config", cfg, "show", "x"}} {
		_, errs, code := runBinary(t, "", args...)
		if code != 2 || !strings.Contains(errs, "kept only with codemode.data_dir or codemode.database_url") {
			t.Errorf("%v: exit %d: %s", args, code, errs)
		}
	}
	_, errs, code := runBinary(t, "", "runs", "--config", cfg, "frob")
	if code != 2 || !strings.Contains(errs, `unknown action "frob"`) {
		t.Errorf("runs frob: exit %d: %s", code, errs)
	}
}
