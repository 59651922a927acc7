package testenv

import (
	"os"
	"testing"
)

// OpenFDs is how many file descriptors this process has open (Linux's
// /proc/self/fd): a test compares it before and after, to find descriptors
// that were not closed.
func OpenFDs(t testing.TB) int {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(fds)
}
