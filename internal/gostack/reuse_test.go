package gostack

import (
	"bytes"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"
	"unsafe"
)

// goroutineID is the calling goroutine's number, from its stack trace.
func goroutineID() int {
	b := make([]byte, 64)
	b = b[:runtime.Stack(b, false)]
	b = bytes.TrimPrefix(b, []byte("goroutine "))
	id, err := strconv.Atoi(string(b[:bytes.IndexByte(b, ' ')]))
	if err != nil {
		panic(err)
	}
	return id
}

// onGo runs f with Go (or GoDeep) and waits for it, and for its goroutine
// to wait for the next function.
func onGo(deepStack bool, f func()) {
	done := make(chan struct{})
	r, run := shallow, Go
	if deepStack {
		r, run = deep, GoDeep
	}
	idle := r.waiting()
	run(func() {
		defer close(done)
		f()
	})
	<-done
	waitFor(func() bool { return r.waiting() > max(idle-1, 0) })
}

// waitFor waits until cond holds: a goroutine puts itself back a moment
// after its function returned. It panics after 10 s, which only a broken
// reuse takes.
func waitFor(cond func() bool) {
	for deadline := time.Now().Add(10 * time.Second); !cond(); runtime.Gosched() {
		if time.Now().After(deadline) {
			panic("gostack: a goroutine did not wait for the next function within 10 s")
		}
	}
}

// waiting is how many goroutines wait for a function.
func (r *reuse) waiting() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.idle)
}

func TestGoReusesGrownStacks(t *testing.T) {
	Drain()
	defer Drain()
	for _, deepStack := range []bool{false, true} {
		depth = 16 << 10
		if deepStack {
			depth = 40 << 10
		}
		var ids [3]int
		for i := range ids {
			onGo(deepStack, func() {
				ids[i] = goroutineID()
				var x int
				before := uintptr(unsafe.Pointer(&x))
				recurse(depth / 256)
				if uintptr(unsafe.Pointer(&x)) != before {
					t.Errorf("deep stack %v, function %d: the stack grew for %d KB of frames", deepStack, i, depth>>10)
				}
			})
		}
		if ids[1] != ids[0] || ids[2] != ids[0] {
			t.Errorf("deep stack %v: one function after another ran on goroutines %v, not the same one again", deepStack, ids)
		}
		Drain()
		onGo(deepStack, func() {
			if id := goroutineID(); id == ids[0] {
				t.Errorf("deep stack %v: after Drain a function ran on the drained goroutine %d", deepStack, id)
			}
		})
	}
}

func TestGoAtOnceKeepsMaxIdle(t *testing.T) {
	Drain()
	defer Drain()
	// MaxIdle+4 functions at once, each on a goroutine of its own.
	n := MaxIdle + 4
	var started, release sync.WaitGroup
	started.Add(n)
	release.Add(1)
	var mu sync.Mutex
	first := map[int]bool{}
	var ended sync.WaitGroup
	ended.Add(n)
	for range n {
		Go(func() {
			defer ended.Done()
			mu.Lock()
			first[goroutineID()] = true
			mu.Unlock()
			started.Done()
			release.Wait()
		})
	}
	started.Wait()
	if len(first) != n {
		t.Fatalf("%d functions at once ran on %d goroutines", n, len(first))
	}
	release.Done()
	ended.Wait()
	// The goroutines put themselves back after their function returned:
	// wait until MaxIdle of them wait, the rest having ended.
	waitFor(func() bool { return shallow.waiting() >= MaxIdle })
	time.Sleep(10 * time.Millisecond) // the other 4 would have been put back by now
	if idle := shallow.waiting(); idle != MaxIdle {
		t.Fatalf("%d goroutines wait for a function, not MaxIdle (%d)", idle, MaxIdle)
	}
	// Then functions run on those, not on new goroutines.
	for range MaxIdle {
		onGo(false, func() {
			if id := goroutineID(); !first[id] {
				t.Errorf("a function ran on a new goroutine %d while %d waited", id, MaxIdle)
			}
		})
	}
}
