package hostile

import (
	"bufio"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
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
