package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/mcp-codemode/mcp-codemode/store"
	"github.com/mcp-codemode/mcp-codemode/tools"
	"github.com/mcp-codemode/mcp-codemode/workspace"
)

// How the workspace's cost grows with what it holds (issue 18): a small
// write and the list of a small directory among 100 and 10,000 files, and a
// small write into a workspace near its quota against one into an empty
// workspace, on SQLite in a file, the sizes measured interleaved in the
// same rounds.

// WorkspaceFiles are the file counts of the curve; the first is the baseline.
var WorkspaceFiles = []int{100, 10000}

// WorkspaceFigures are the figures of the workspace curve.
type WorkspaceFigures struct {
	Files []WorkspacePoint `json:"files"`
	// EmptyWrite and FullWrite write a small file into an empty workspace
	// and into one holding 99 MB of its 100 MB quota.
	EmptyWrite Latency `json:"empty_write"`
	FullWrite  Latency `json:"full_write"`
}

// WorkspacePoint is a workspace of Files files of 100 bytes, 10 of them
// in the directory listed.
type WorkspacePoint struct {
	Files int     `json:"files"`
	Write Latency `json:"write"`
	List  Latency `json:"prefix_list"`
}

// benchWorkspace is one workspace of the curve in its own SQLite file.
type benchWorkspace struct {
	w   *workspace.Workspace
	st  *store.Store
	dir string
}

func openBenchWorkspace(limits workspace.Limits) (*benchWorkspace, error) {
	dir, err := os.MkdirTemp("", "mcp-codemode-bench-ws")
	if err != nil {
		return nil, err
	}
	st, err := store.Open(context.Background(), store.Options{Dir: dir, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return &benchWorkspace{w: workspace.New(st, limits), st: st, dir: dir}, nil
}

func (b *benchWorkspace) close() {
	b.st.Close()
	os.RemoveAll(b.dir)
}

// wsContext is the subject every write of the curve belongs to.
var wsContext = tools.WithSubject(context.Background(), "bench")

// fillFiles writes n files of 100 bytes: small/f0..f9 and the rest spread
// over 10 other directories.
func fillFiles(w *workspace.Workspace, n int) error {
	content := strings.Repeat("x", 100)
	for i := range n {
		p := fmt.Sprintf("d%d/f%d.txt", i%10, i)
		if i < 10 {
			p = fmt.Sprintf("small/f%d.txt", i)
		}
		if err := w.WriteFile(wsContext, p, content); err != nil {
			return err
		}
	}
	return nil
}

// fillBytes writes 99 files of 1 MB: 99 MB of the 100 MB quota.
func fillBytes(w *workspace.Workspace) error {
	content := strings.Repeat("y", 1<<20-64)
	for i := range 99 {
		if err := w.WriteFile(wsContext, fmt.Sprintf("big/f%d.bin", i), content); err != nil {
			return err
		}
	}
	return nil
}

// timeOp appends the time of n calls of op.
func timeOp(n int, ds *[]time.Duration, op func(i int) error) error {
	for i := range n {
		start := time.Now()
		if err := op(i); err != nil {
			return err
		}
		*ds = append(*ds, time.Since(start))
	}
	return nil
}

// writeSmall writes one of 50 small files, in turn.
func writeSmall(w *workspace.Workspace) func(i int) error {
	content := strings.Repeat("z", 100)
	return func(i int) error { return w.WriteFile(wsContext, fmt.Sprintf("new/f%d.txt", i%50), content) }
}

// listSmall lists small/, which holds 10 files.
func listSmall(w *workspace.Workspace) func(int) error {
	return func(int) error {
		infos, err := w.Glob(wsContext, "small/*")
		if err == nil && len(infos) != 10 {
			err = fmt.Errorf("listed %d files of small/, want 10", len(infos))
		}
		return err
	}
}

// MeasureWorkspace measures the workspace curve: rounds rounds of per
// operations of each kind at each size.
func MeasureWorkspace(rounds, per int, log io.Writer) (*WorkspaceFigures, error) {
	var open []*benchWorkspace
	defer func() {
		for _, b := range open {
			b.close()
		}
	}()
	limits := workspace.Limits{MaxFiles: 20000}
	for _, n := range WorkspaceFiles {
		b, err := openBenchWorkspace(limits)
		if err != nil {
			return nil, err
		}
		open = append(open, b)
		if err := fillFiles(b.w, n); err != nil {
			return nil, fmt.Errorf("writing %d files: %w", n, err)
		}
	}
	for range 2 {
		b, err := openBenchWorkspace(limits)
		if err != nil {
			return nil, err
		}
		open = append(open, b)
	}
	empty, full := open[len(open)-2], open[len(open)-1]
	if err := fillBytes(full.w); err != nil {
		return nil, fmt.Errorf("filling the quota: %w", err)
	}
	writes := make([][]time.Duration, len(WorkspaceFiles))
	lists := make([][]time.Duration, len(WorkspaceFiles))
	var emptyW, fullW []time.Duration
	for round := range rounds {
		fmt.Fprintf(log, "workspace round %d/%d\n", round+1, rounds)
		for i := range WorkspaceFiles {
			w := open[i].w
			if err := timeOp(per, &writes[i], writeSmall(w)); err != nil {
				return nil, err
			}
			if err := timeOp(per, &lists[i], listSmall(w)); err != nil {
				return nil, err
			}
		}
		if err := timeOp(per, &emptyW, writeSmall(empty.w)); err != nil {
			return nil, err
		}
		if err := timeOp(per, &fullW, writeSmall(full.w)); err != nil {
			return nil, fmt.Errorf("near the quota: %w", err)
		}
	}
	res := &WorkspaceFigures{EmptyWrite: Summarize(emptyW), FullWrite: Summarize(fullW)}
	for i, n := range WorkspaceFiles {
		res.Files = append(res.Files, WorkspacePoint{Files: n, Write: Summarize(writes[i]), List: Summarize(lists[i])})
	}
	return res, nil
}

// Markdown prints the figures and their ratios against the targets.
func (f *WorkspaceFigures) Markdown(w io.Writer) {
	f.Table(w)
	PrintTargets(w, f.Targets())
}

// Table prints the figures as a table of docs/benchmarks.md.
func (f *WorkspaceFigures) Table(w io.Writer) {
	fmt.Fprintln(w, "| workspace (SQLite) | write a small file (p50 / p99) | list a directory of 10 files (p50 / p99) |")
	fmt.Fprintln(w, "|---|---:|---:|")
	for _, p := range f.Files {
		fmt.Fprintf(w, "| %d files | %s / %s | %s / %s |\n", p.Files, msf(p.Write.P50), msf(p.Write.P99), msf(p.List.P50), msf(p.List.P99))
	}
	fmt.Fprintf(w, "| empty | %s / %s | |\n", msf(f.EmptyWrite.P50), msf(f.EmptyWrite.P99))
	fmt.Fprintf(w, "| near the quota (99 of 100 MB) | %s / %s | |\n\n", msf(f.FullWrite.P50), msf(f.FullWrite.P99))
}

// PrintTargets prints one line per target, met or MISSED.
func PrintTargets(w io.Writer, ts []Target) {
	for _, t := range ts {
		mark := "met"
		if !t.Met {
			mark = "MISSED"
		}
		fmt.Fprintf(w, "- %s: want %s, got %s: %s\n", t.Name, t.Want, t.Got, mark)
	}
}

// Targets are issue 18's: at 10,000 files ≤ 2× at 100, near the quota ≤ 2×
// empty.
func (f *WorkspaceFigures) Targets() []Target {
	if len(f.Files) < 2 {
		return nil
	}
	lo, hi := f.Files[0], f.Files[len(f.Files)-1]
	ratio := func(name string, a, b float64) Target {
		r := a / b
		return Target{Name: name, Want: "≤ 2×", Got: times(r), Met: r <= 2}
	}
	return []Target{
		ratio(fmt.Sprintf("workspace write, %d files against %d", hi.Files, lo.Files), hi.Write.P50, lo.Write.P50),
		ratio(fmt.Sprintf("workspace prefix list, %d files against %d", hi.Files, lo.Files), hi.List.P50, lo.List.P50),
		ratio("workspace write near the quota against empty", f.FullWrite.P50, f.EmptyWrite.P50),
	}
}
