package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// TestReplicasApproval: a 2026-07-28 client's gated call pauses on one
// replica and its retry, sent to another, resumes the run there by replay
// (README: Approvals and tool pinning): the journal and the key that signs requestStates are in
// PostgreSQL. Each upstream call is made once, across the two replicas;
// the retry sent again, to the first replica, calls nothing.
func TestReplicasApproval(t *testing.T) {
	setup := newReplicaSetup(t)
	a := startHosted(t, "http", setup.config, setup.env...)
	b := startHosted(t, "http", setup.config, setup.env...)
	file := filepath.Join(t.TempDir(), "tally")
	code := fmt.Sprintf(`await testup.tally({file: %q, label: "before"});
		const r = Math.random();
		await testup.noise();
		await testup.tally({file: %[1]q, label: "after"});
		return r`, file)
	onA := &modern{url: a.endpoint("http"), token: tokenAlice}
	first := onA.call(t, code, "", nil)
	state, _ := first["requestState"].(string)
	if first["resultType"] != "input_required" || state == "" {
		t.Fatalf("the gated call on the first replica: %v", first)
	}
	onB := &modern{url: b.endpoint("http"), token: tokenAlice}
	res := onB.call(t, code, state, map[string]any{"action": "accept", "content": map[string]any{}})
	if res["isError"] == true {
		t.Fatalf("the retry on the second replica: %s", resultText(res))
	}
	if got := tallies(t, file); strings.Join(got, " ") != "before after" {
		t.Errorf("upstream calls across the replicas: %q, want before and after once each", got)
	}
	bob := &modern{url: b.endpoint("http"), token: tokenBob}
	if got := resultText(bob.call(t, code, state, map[string]any{"action": "accept"})); !strings.Contains(got, "belongs to another user") {
		t.Errorf("another subject's retry: %s", got)
	}
	if got := resultText(onA.call(t, code, state, map[string]any{"action": "accept"})); !strings.Contains(got, "already resumed") {
		t.Errorf("the same retry again, on the first replica: %s", got)
	}
	if got := tallies(t, file); len(got) != 2 {
		t.Errorf("refused retries made calls: %q", got)
	}
}
