package testenv

import (
	"strings"
	"testing"
)

// TestMissing: a missing install skips a test with the command that
// installs it, unless CI is set: then the test fails with the same words.
func TestMissing(t *testing.T) {
	const msg = "npm packages are not installed: run `npm ci --prefix npm` first"
	t.Setenv("CI", "")
	r := &recorder{}
	Missing(r, msg)
	if r.skipped != msg || r.failed != "" {
		t.Errorf("without CI: skipped %q, failed %q", r.skipped, r.failed)
	}
	t.Setenv("CI", "true")
	r = &recorder{}
	Missing(r, msg)
	if r.skipped != "" || !strings.Contains(r.failed, "npm ci --prefix npm") {
		t.Errorf("under CI: skipped %q, failed %q", r.skipped, r.failed)
	}
}

// TestBuffer: writers and a reader at once (the race detector checks it).
func TestBuffer(t *testing.T) {
	var b Buffer
	done := make(chan struct{})
	for range 4 {
		go func() {
			defer func() { done <- struct{}{} }()
			for range 100 {
				b.Write([]byte("x"))
			}
		}()
	}
	for range 100 {
		_ = b.String()
	}
	for range 4 {
		<-done
	}
	if n := len(b.String()); n != 400 {
		t.Errorf("%d bytes, want 400", n)
	}
}
