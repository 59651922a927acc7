package procs

import (
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"
)

// fake records a Governor's effects and holds its timers until the test
// fires them.
type fake struct {
	mu     sync.Mutex
	now    time.Time
	calls  []string // "one", "all"
	timers []*timer
	heap   int64
}

type timer struct {
	d       time.Duration
	f       func()
	stopped bool
}

func newFake() (*fake, *Governor) {
	fk := &fake{now: time.Unix(1000, 0)}
	g := NewWith(Effects{
		One: func() { fk.record("one") },
		All: func() { fk.record("all") },
		Now: func() time.Time { fk.mu.Lock(); defer fk.mu.Unlock(); return fk.now },
		AfterFunc: func(d time.Duration, f func()) func() bool {
			fk.mu.Lock()
			defer fk.mu.Unlock()
			t := &timer{d: d, f: f}
			fk.timers = append(fk.timers, t)
			return func() bool {
				fk.mu.Lock()
				defer fk.mu.Unlock()
				was := !t.stopped
				t.stopped = true
				return was
			}
		},
		LiveHeap: func() int64 { fk.mu.Lock(); defer fk.mu.Unlock(); return fk.heap },
	})
	return fk, g
}

func (fk *fake) record(s string) {
	fk.mu.Lock()
	defer fk.mu.Unlock()
	fk.calls = append(fk.calls, s)
}

func (fk *fake) advance(d time.Duration) {
	fk.mu.Lock()
	fk.now = fk.now.Add(d)
	fk.mu.Unlock()
}

// fire runs the timers set for d that are neither stopped nor fired.
func (fk *fake) fire(d time.Duration) int {
	fk.mu.Lock()
	var due []*timer
	for _, t := range fk.timers {
		if t.d == d && !t.stopped {
			t.stopped = true
			due = append(due, t)
		}
	}
	fk.mu.Unlock()
	for _, t := range due {
		t.f()
	}
	return len(due)
}

func (fk *fake) took() []string {
	fk.mu.Lock()
	defer fk.mu.Unlock()
	c := fk.calls
	fk.calls = nil
	return c
}

func TestOneProcessorForOneShortTask(t *testing.T) {
	fk, g := newFake()
	end := g.Begin()
	end()
	if c := fk.took(); len(c) != 0 {
		t.Fatalf("before Start: %v, want nothing", c)
	}
	g.Start()
	if c := fk.took(); !slices.Equal(c, []string{"one"}) || !g.One() {
		t.Fatalf("Start with nothing in flight: %v, want [one]", c)
	}
	for range 3 { // back to back
		end := g.Begin()
		end()
	}
	if c := fk.took(); len(c) != 0 || !g.One() {
		t.Fatalf("tasks one at a time: %v, want nothing", c)
	}
}

func TestAllProcessorsForOverlappingTasks(t *testing.T) {
	fk, g := newFake()
	g.Start()
	fk.took()
	end1 := g.Begin()
	end2 := g.Begin()
	if c := fk.took(); !slices.Equal(c, []string{"all"}) || g.One() {
		t.Fatalf("two tasks in flight: %v, want [all]", c)
	}
	end3 := g.Begin()
	end1()
	end2()
	if c := fk.took(); len(c) != 0 {
		t.Fatalf("still raised for less than Hold: %v, want nothing", c)
	}
	fk.advance(Hold)
	if n := fk.fire(Hold); n != 1 {
		t.Fatalf("%d timers for Hold, want 1", n)
	}
	if c := fk.took(); !slices.Equal(c, []string{"one"}) {
		t.Fatalf("one short task left after Hold: %v, want [one]", c)
	}
	end3()
	end3() // twice is once
	if c := fk.took(); len(c) != 0 || !g.One() {
		t.Fatalf("the last task ended: %v, want nothing", c)
	}
	end := g.Begin()
	end()
	if c := fk.took(); len(c) != 0 {
		t.Fatalf("a task on one processor: %v", c)
	}
}

func TestAllProcessorsForALongTask(t *testing.T) {
	fk, g := newFake()
	g.Start()
	fk.took()
	end := g.Begin()
	fk.advance(Short)
	if n := fk.fire(Short); n != 1 {
		t.Fatalf("%d timers for Short, want 1", n)
	}
	if c := fk.took(); !slices.Equal(c, []string{"all"}) {
		t.Fatalf("a task running for Short: %v, want [all]", c)
	}
	fk.advance(2 * Hold)
	end()
	if c := fk.took(); !slices.Equal(c, []string{"one"}) {
		t.Fatalf("the long task ended after Hold: %v, want [one]", c)
	}
	// A short task's timer is stopped when it ends: firing it late does nothing.
	end = g.Begin()
	end()
	if n := fk.fire(Short); n != 0 {
		t.Fatalf("%d timers of ended tasks fired", n)
	}
	if c := fk.took(); len(c) != 0 {
		t.Fatalf("after a short task: %v, want nothing", c)
	}
}

func TestAllProcessorsForALargeHeap(t *testing.T) {
	fk, g := newFake()
	fk.heap = MaxLiveHeap + 1
	g.Start()
	if c := fk.took(); len(c) != 0 || g.One() {
		t.Fatalf("Start with a large heap: %v, want nothing", c)
	}
	end := g.Begin()
	end()
	if c := fk.took(); len(c) != 0 {
		t.Fatalf("a short task with a large heap: %v, want nothing", c)
	}
	fk.mu.Lock()
	fk.heap = MaxLiveHeap
	fk.mu.Unlock()
	end = g.Begin()
	end()
	if c := fk.took(); len(c) != 0 {
		t.Fatalf("the heap read again before Hold: %v, want nothing", c)
	}
	fk.advance(Hold)
	end = g.Begin()
	if c := fk.took(); !slices.Equal(c, []string{"one"}) {
		t.Fatalf("the heap small again after Hold: %v, want [one]", c)
	}
	fk.mu.Lock()
	fk.heap = 2 * MaxLiveHeap
	fk.mu.Unlock()
	fk.advance(Hold)
	end()
	if c := fk.took(); !slices.Equal(c, []string{"all"}) {
		t.Fatalf("the heap grew: %v, want [all]", c)
	}
}

func TestNil(t *testing.T) {
	var g *Governor
	g.Start()
	g.Begin()()
	if g.One() {
		t.Fatal("a nil Governor is on one processor")
	}
	if New(func(string) (string, bool) { return "3", true }) != nil {
		t.Fatal("New governs a process whose GOMAXPROCS the user set")
	}
}

// TestProcess governs this process: one processor with nothing in flight,
// all of them again with two tasks.
func TestProcess(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	runtime.SetDefaultGOMAXPROCS()
	all := runtime.GOMAXPROCS(0)
	g := New(func(string) (string, bool) { return "", false })
	if all < 2 {
		if g != nil {
			t.Fatalf("New governs a process on %d processor", all)
		}
		return
	}
	g.Start()
	if n := runtime.GOMAXPROCS(0); n != 1 {
		t.Fatalf("GOMAXPROCS %d after Start, want 1", n)
	}
	end1, end2 := g.Begin(), g.Begin()
	if n := runtime.GOMAXPROCS(0); n != all {
		t.Fatalf("GOMAXPROCS %d with two tasks in flight, want %d", n, all)
	}
	end1()
	end2()
}
