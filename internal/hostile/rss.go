package hostile

import (
	"bufio"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"time"

	"github.com/mcp-codemode/mcp-codemode/internal/testenv"
)

// RSS returns the resident set size of the process and its peak since the
// last ResetPeak, in bytes; zeros where /proc is not available.
func RSS() (now, peak int64) {
	return rssOf("/proc/self/status")
}

// RSSOf is RSS of another process.
func RSSOf(pid int) (now, peak int64) {
	return rssOf("/proc/" + strconv.Itoa(pid) + "/status")
}

func rssOf(path string) (now, peak int64) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		k, v, ok := strings.Cut(s.Text(), ":")
		if !ok {
			continue
		}
		fields := strings.Fields(v)
		if len(fields) == 0 {
			continue
		}
		n, _ := strconv.ParseInt(fields[0], 10, 64)
		switch k {
		case "VmRSS":
			now = n << 10
		case "VmHWM":
			peak = n << 10
		}
	}
	return now, peak
}

// Settle collects garbage, returns freed memory to the system and resets
// the peak RSS (Linux: clear_refs 5), so that the next peak belongs to
// what runs next. It returns the RSS after settling.
func Settle() int64 {
	runtime.GC()
	debug.FreeOSMemory()
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
	now, _ := RSS()
	return now
}

// Growth is how much the process grew while a function ran (Measure).
type Growth struct {
	// RSS is the peak resident set over the RSS before (the kernel's
	// high-water mark); zero where /proc is not available.
	RSS int64
	// Held is the peak of what the Go runtime holds from the system (all it
	// mapped but what it returned: heap objects, garbage and free pages not
	// yet returned, stacks, its own metadata) over what it held before.
	Held int64
}

// Bytes is the growth to hold against a bound: the larger of the two, or
// under the race detector Held alone. The detector's shadow memory is not
// the Go runtime's: it stays resident once a heap page was touched, even
// after the runtime returned the page, so the RSS growth of the same run
// depended on what had run before in the process (four string doublings:
// +221 MB first, +0 MB in later iterations, +692 MB after a different
// case), while Held stayed within 211–256 MB.
func (g Growth) Bytes() int64 {
	if testenv.RaceEnabled {
		return g.Held
	}
	return max(g.RSS, g.Held)
}

// heldEvery is how often Measure samples what the runtime holds. The
// runtime returns memory slowly (its background scavenger), so a peak
// lasts longer than this.
const heldEvery = time.Millisecond

// Measure settles the process (Settle), runs f and returns how much the
// process grew while f ran. f should return only once everything it
// started has ended (an execution's runtime may outlive its Run), so that
// its memory is measured here and not in what runs next.
func Measure(f func()) Growth {
	rss := Settle()
	held := heldBytes(heldSample())
	peak := make(chan int64, 1)
	stop := make(chan struct{})
	go func() {
		s, top := heldSample(), held
		t := time.NewTicker(heldEvery)
		defer t.Stop()
		for {
			select {
			case <-stop:
				peak <- max(top, heldBytes(s))
				return
			case <-t.C:
				top = max(top, heldBytes(s))
			}
		}
	}()
	func() {
		defer close(stop) // also when f ends its test (t.Fatal)
		f()
	}()
	g := Growth{Held: <-peak - held}
	if _, top := RSS(); rss > 0 {
		g.RSS = top - rss
	}
	return g
}

// heldSample is what heldBytes reads: what the Go runtime mapped, and
// what of it it returned. The sandbox's watchdog reads the same
// (sandbox.Memory).
func heldSample() []metrics.Sample {
	return []metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}
}

// heldBytes is what the Go runtime holds from the system.
func heldBytes(s []metrics.Sample) int64 {
	metrics.Read(s)
	return int64(s[0].Value.Uint64() - s[1].Value.Uint64())
}
