// Package golden compares generated text with testdata files, so every change
// to what the model sees shows in review. UPDATE_GOLDEN=1 rewrites the files.
package golden

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Update reports whether golden files are being rewritten (UPDATE_GOLDEN set).
func Update() bool { return os.Getenv("UPDATE_GOLDEN") != "" }

// Check compares got with the file at path, or rewrites the file when
// UPDATE_GOLDEN is set. A missing or stale file fails t with a diff.
func Check(t testing.TB, path, got string) {
	t.Helper()
	if Update() {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run UPDATE_GOLDEN=1 go test to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s is stale (-want +got); check the change, then rewrite with UPDATE_GOLDEN=1 go test:\n%s", path, diff)
	}
}
