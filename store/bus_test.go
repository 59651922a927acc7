package store_test

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/mcp-codemode/mcp-codemode/internal/testenv"
	"github.com/mcp-codemode/mcp-codemode/store"
)

// inbox collects the payloads a subscription receives.
type inbox struct {
	mu   sync.Mutex
	got  [][]byte
	more chan struct{}
}

func subscribe(t *testing.T, s *store.Store, channel string) *inbox {
	in := &inbox{more: make(chan struct{}, 1)}
	cancel := s.Subscribe(channel, func(p []byte) {
		in.mu.Lock()
		in.got = append(in.got, p)
		in.mu.Unlock()
		select {
		case in.more <- struct{}{}:
		default:
		}
	})
	t.Cleanup(cancel)
	return in
}

// wait waits until n payloads arrived and returns them.
func (in *inbox) wait(t *testing.T, n int) [][]byte {
	t.Helper()
	deadline := time.After(testenv.Within(5 * time.Second))
	for {
		in.mu.Lock()
		got := append([][]byte(nil), in.got...)
		in.mu.Unlock()
		if len(got) >= n {
			return got
		}
		select {
		case <-in.more:
		case <-deadline:
			t.Fatalf("received %d payloads, want %d", len(got), n)
		}
	}
}

func (in *inbox) count() int {
	in.mu.Lock()
	defer in.mu.Unlock()
	return len(in.got)
}

// TestBus: every subscriber of a channel receives each payload, in order,
// and only its channel's; cancel ends a subscription.
func TestBus(t *testing.T) {
	each(t, func(t *testing.T, b backend) {
		s := open(t, b.options(t))
		ctx := context.Background()
		a, a2, other := subscribe(t, s, "a"), subscribe(t, s, "a"), subscribe(t, s, "b")
		var want [][]byte
		for i := range 50 {
			p := []byte(fmt.Sprintf("message %d", i))
			want = append(want, p)
			if err := s.Publish(ctx, "a", p); err != nil {
				t.Fatal(err)
			}
		}
		for _, in := range []*inbox{a, a2} {
			if got := in.wait(t, 50); !equal(got, want) {
				t.Errorf("received %q, want %q in order", got, want)
			}
		}
		if other.count() != 0 {
			t.Errorf("channel b received %d payloads of channel a", other.count())
		}
		if err := s.Publish(ctx, "bad\nname", nil); err == nil {
			t.Error("a channel name with a newline should be refused")
		}
	})
}

// TestBusAcrossStores: two Stores on one PostgreSQL database (two
// replicas) both receive what either publishes, large and binary payloads
// too.
func TestBusAcrossStores(t *testing.T) {
	url := testenv.Postgres(t)
	s1, s2 := open(t, store.Options{URL: url}), open(t, store.Options{URL: url})
	in1, in2 := subscribe(t, s1, "ch"), subscribe(t, s2, "ch")
	big := bytes.Repeat([]byte("0123456789abcdef"), 100*1024/16) // 100 KB, through the bus table
	binary := []byte{0, 1, 2, 0xff, 0xfe, '\n'}                  // not text: base64 in the notification
	payloads := [][]byte{[]byte("from one"), big, binary, []byte("")}
	ctx := context.Background()
	if err := s1.Publish(ctx, "ch", payloads[0]); err != nil {
		t.Fatal(err)
	}
	if err := s2.Publish(ctx, "ch", payloads[1]); err != nil {
		t.Fatal(err)
	}
	if err := s2.Publish(ctx, "ch", payloads[2]); err != nil {
		t.Fatal(err)
	}
	if err := s1.Publish(ctx, "ch", payloads[3]); err != nil {
		t.Fatal(err)
	}
	for i, in := range []*inbox{in1, in2} {
		got := in.wait(t, 4)
		if !sameSet(got, payloads) {
			t.Errorf("store %d received %d payloads of sizes %v; want sizes %v", i+1, len(got), sizes(got), sizes(payloads))
		}
	}
	time.Sleep(testenv.Within(100 * time.Millisecond))
	if in1.count() != 4 || in2.count() != 4 {
		t.Errorf("received %d and %d payloads, want 4 each (a Store's own come back once)", in1.count(), in2.count())
	}
}

func equal(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

// sameSet: the same payloads, in any order (two publishers).
func sameSet(got, want [][]byte) bool {
	if len(got) != len(want) {
		return false
	}
	used := make([]bool, len(got))
	for _, w := range want {
		found := false
		for i, g := range got {
			if !used[i] && bytes.Equal(g, w) {
				used[i], found = true, true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func sizes(ps [][]byte) []int {
	var out []int
	for _, p := range ps {
		out = append(out, len(p))
	}
	return out
}
