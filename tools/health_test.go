package tools

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestHealth: an upstream is up while connected, down (with why) after its
// process died, and up again once a call restarted it.
func TestHealth(t *testing.T) {
	r := newTestRegistry(t, Options{})
	must(t, r.Add(loadCorpus(t, "workspace")...)) // built-in tools have no health
	mustConnect(t, r, fakeServer("fake", nil))
	up := []Health{{Server: "fake", Transport: "stdio", Up: true}}
	if diff := cmp.Diff(up, r.Health()); diff != "" {
		t.Fatalf("connected (-want +got):\n%s", diff)
	}
	_, _ = call(t, r, "fake", "crash", `{}`)
	h := r.Health()
	if len(h) != 1 || h[0].Up || h[0].Down == "" {
		t.Errorf("after a crash: %+v, want down with a reason", h)
	}
	mustCall(t, r, "fake", "echo", `{"text":"back"}`)
	if diff := cmp.Diff(up, r.Health()); diff != "" {
		t.Errorf("restarted (-want +got):\n%s", diff)
	}
}
