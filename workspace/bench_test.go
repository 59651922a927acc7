package workspace

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mcp-codemode/mcp-codemode/tools"
)

// BenchmarkWorkspace measures a small file's write and read through the
// workspace API, and a write and a full listing among 100 and 10,000
// files, on each backend side by side. Besides ns/op it reports the median
// (p50-µs) of the operations, each timed alone:
//
//	go test -run '^$' -bench Workspace -benchtime 300x ./workspace/
func BenchmarkWorkspace(b *testing.B) {
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			for _, files := range []int{100, 10000} {
				w := be.open(b, Limits{})
				ctx := tools.WithSubject(context.Background(), "bench")
				fill(b, w, ctx, files)
				content := strings.Repeat("x", 100)
				b.Run(fmt.Sprintf("files=%d/write", files), func(b *testing.B) {
					timed(b, func(i int) error { return w.WriteFile(ctx, fmt.Sprintf("d%d/f%d.txt", i%10, i%files), content) })
				})
				b.Run(fmt.Sprintf("files=%d/read", files), func(b *testing.B) {
					timed(b, func(i int) error { _, err := w.ReadFile(ctx, fmt.Sprintf("d%d/f%d.txt", i%10, i%files)); return err })
				})
				b.Run(fmt.Sprintf("files=%d/list", files), func(b *testing.B) {
					timed(b, func(int) error {
						infos, err := w.Glob(ctx, "")
						if err == nil && len(infos) != files {
							err = fmt.Errorf("listed %d files of %d", len(infos), files)
						}
						return err
					})
				})
			}
		})
	}
}

// fill writes n files of 100 bytes, d0/f0.txt to d9/f{n-1}.txt.
func fill(b *testing.B, w *Workspace, ctx context.Context, n int) {
	b.Helper()
	content := strings.Repeat("x", 100)
	for i := range n {
		must(b, w.WriteFile(ctx, fmt.Sprintf("d%d/f%d.txt", i%10, i), content))
	}
}

// timed runs op b.N times and reports the median time of one op.
func timed(b *testing.B, op func(i int) error) {
	times := make([]time.Duration, 0, b.N)
	for i := 0; b.Loop(); i++ {
		start := time.Now()
		if err := op(i); err != nil {
			b.Fatal(err)
		}
		times = append(times, time.Since(start))
	}
	slices.Sort(times)
	b.ReportMetric(float64(times[len(times)/2].Nanoseconds())/1e3, "p50-µs")
}
