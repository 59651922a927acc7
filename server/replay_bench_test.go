package server

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

// BenchmarkResume measures what a resume costs as a function of the calls
// the run made before its pause: the retry runs the script again and
// answers each of them from the journal. Each iteration pauses a run
// (untimed) and times its resume; compare with "plain", the same script
// run through without approvals.
//
//	go test -run '^$' -bench Resume ./server
func BenchmarkResume(b *testing.B) {
	defer slog.SetDefault(slog.Default())
	slog.SetDefault(slog.New(slog.DiscardHandler))
	for _, n := range []int{0, 10, 100, 190} {
		code := fmt.Sprintf(`for (let i = 0; i < %d; i++) await t.read({i}); return await t.send({})`, n)
		b.Run(fmt.Sprintf("calls=%d/plain", n), func(b *testing.B) {
			s, _ := replayServer(b, nil)
			s.limits.RequireApproval = nil
			for b.Loop() {
				if res := call(b, s, code, "", nil); res["isError"] == true {
					b.Fatal(text(res))
				}
			}
		})
		b.Run(fmt.Sprintf("calls=%d/resume", n), func(b *testing.B) {
			s, _ := replayServer(b, nil)
			for range b.N {
				b.StopTimer()
				first := call(b, s, code, "", nil)
				state, _ := first["requestState"].(string)
				b.StartTimer()
				res := call(b, s, code, state, map[string]any{"action": "accept"})
				if res["isError"] == true || strings.Contains(text(res), "Error") {
					b.Fatal(text(res))
				}
			}
		})
	}
}
