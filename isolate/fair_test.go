package isolate

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcp-codemode/mcp-codemode/internal/testenv"
	"github.com/mcp-codemode/mcp-codemode/sandbox"
)

type subjectKey struct{}

// as is a context of an execution for subject, as Options.Subject reads it.
func as(subject string) context.Context {
	return context.WithValue(context.Background(), subjectKey{}, subject)
}

func subjectOf(ctx context.Context) string {
	s, _ := ctx.Value(subjectKey{}).(string)
	return s
}

// waitUntil polls cond until it holds, failing t after a generous while.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(testenv.Within(5 * time.Second))
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (p *Pool) locked(f func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f()
}

// TestTakeTurns: a free worker goes to the waiting execution whose subject
// holds the fewest, counting the subject that just released it. With one
// worker, subject B's execution, queued behind two of A's, runs right after
// the one of A's that held the worker (one queue served them in arrival
// order: a1, a2, a3, b1).
func TestTakeTurns(t *testing.T) {
	p := newPool(t, Options{Size: 1, Max: 1, Subject: subjectOf})
	inCall, release := make(chan struct{}), make(chan struct{})
	var mu sync.Mutex
	var order []string
	caller := sandbox.CallerFunc(func(ctx context.Context, id string, args json.RawMessage) (json.RawMessage, error) {
		var name string
		_ = json.Unmarshal(args, &name)
		mu.Lock()
		order = append(order, name)
		mu.Unlock()
		if name == "a1" {
			close(inCall)
			<-release
		}
		return args, nil
	})
	var wg sync.WaitGroup
	run := func(name string) {
		wg.Go(func() {
			res := p.Run(as(name[:1]), "return await t.echo('"+name+"')", caller, sandbox.Options{Bindings: bindings, Timeout: testenv.Within(10 * time.Second)})
			if res.Err != nil {
				t.Errorf("%s: %v", name, res.Err)
			}
		})
	}
	run("a1")
	<-inCall
	for i, name := range []string{"a2", "a3", "b1"} {
		run(name)
		waitUntil(t, name+" to wait", func() (ok bool) {
			p.locked(func() { ok = len(p.queue) == i+1 })
			return ok
		})
	}
	close(release)
	wg.Wait()
	if want := []string{"a1", "b1", "a2", "a3"}; !slices.Equal(order, want) {
		t.Errorf("ran in the order %q, want %q", order, want)
	}
}

// TestFairStart: beyond Options.Computing, a subject that computes less
// than its share (Computing over the subjects that compute or wait) may
// still start a worker; a subject at its share may not.
func TestFairStart(t *testing.T) {
	now := time.Now()
	p := &Pool{opts: Options{Computing: 2}, live: map[*worker]struct{}{},
		runs: map[*run]struct{}{}, held: map[string]int{}, startingFor: map[string]int{}}
	compute := func(subject string) {
		w := &worker{}
		p.live[w] = struct{}{}
		p.runs[&run{w: w, subject: subject, since: now}] = struct{}{}
	}
	compute("a")
	p.starting = 1 // a replacement, started for no one
	if p.mayStart("a", now) {
		t.Error("subject A alone, computing in 1 worker while another starts, may start one beyond Computing 2")
	}
	p.starting = 0
	compute("a")
	for _, c := range []struct {
		subject string
		want    bool
	}{{"a", false}, {"b", true}} {
		if got := p.mayStart(c.subject, now); got != c.want {
			t.Errorf("A computes in 2 of 2: subject %s may start a worker: %v, want %v", c.subject, got, c.want)
		}
	}
	p.startingFor["b"] = 1
	if p.mayStart("b", now) {
		t.Error("subject B, which already starts a worker, may start another beside A's 2")
	}
	if !p.mayStart("a", now.Add(hogAfter)) {
		t.Error("A's runs computed for hogAfter and still hold the gate")
	}
	p.opts.Computing = 4
	compute("a")
	compute("a")
	p.startingFor["b"] = 1
	if !p.mayStart("b", now) {
		t.Error("subject B, starting 1 worker of its share of 2, may not start another beside A's 4")
	}
}

// niceOf returns the nice values of every thread of process pid.
func niceOf(t *testing.T, pid int) []int64 {
	t.Helper()
	stats, _ := filepath.Glob("/proc/" + itoa(pid) + "/task/*/stat")
	var nice []int64
	for _, f := range stats {
		b, err := os.ReadFile(f)
		if err != nil {
			continue // the thread ended
		}
		s := string(b)
		// Fields from the state on (field 3 of proc(5)); nice is field 19.
		if f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:]); len(f) > 16 {
			nice = append(nice, atoi(f[16]))
		}
	}
	return nice
}

// TestLowerPriority: a worker whose script computes past hogAfter runs at
// nice hogNice, in every thread; after the run it is back at 0 for the
// next execution, or, when its priority cannot be raised again (no
// CAP_SYS_NICE), replaced.
func TestLowerPriority(t *testing.T) {
	if _, err := os.Stat("/proc/self/task"); err != nil {
		t.Skipf("no /proc: %v", err)
	}
	p := newPool(t, Options{Size: 1, Max: 1})
	pid := p.Workers()[0]
	spin := func() (lowered bool) {
		done := make(chan sandbox.Result, 1)
		go func() {
			done <- p.Run(context.Background(), "while (true) {}", echo, sandbox.Options{Timeout: hogAfter + 500*time.Millisecond})
		}()
		// Another execution waits for the worker: a long run is lowered
		// only while someone else wants the CPU (TestAloneNotLowered).
		waitUntil(t, "the spinning run", func() bool {
			p.mu.Lock()
			defer p.mu.Unlock()
			return len(p.runs) == 1
		})
		waiting := make(chan sandbox.Result, 1)
		go func() { waiting <- p.Run(context.Background(), "1", echo, sandbox.Options{Timeout: 30 * time.Second}) }()
		defer func() {
			if res := <-waiting; res.Err != nil {
				t.Errorf("the execution that waited: %v", res.Err)
			}
		}()
		for {
			select {
			case res := <-done:
				if res.Err == nil || res.Err.Name != "TimeoutError" {
					t.Errorf("spinning: %v", res.Err)
				}
				return lowered
			case <-time.After(20 * time.Millisecond):
				nice := niceOf(t, pid)
				lowered = lowered || len(nice) > 0 && !slices.ContainsFunc(nice, func(n int64) bool { return n != hogNice })
			}
		}
	}
	if !spin() {
		t.Errorf("the worker of a run computing past %v was never at nice %d in all its threads", hogAfter, hogNice)
	}
	if got := p.Workers(); !slices.Equal(got, []int{pid}) {
		t.Errorf("workers %v after the run, want %v (restored, not replaced)", got, []int{pid})
	}
	if nice := niceOf(t, pid); slices.ContainsFunc(nice, func(n int64) bool { return n != 0 }) {
		t.Errorf("the reused worker's threads run at nice %v, want 0", nice)
	}

	setPriority = func(pid, nice int) error {
		if nice < hogNice {
			return errors.New("permission denied")
		}
		return setNice(pid, nice)
	}
	defer func() { setPriority = setNice }()
	spin()
	waitUntil(t, "the replacement worker", func() bool { return len(p.Workers()) == 1 && p.Workers()[0] != pid })
	if nice := niceOf(t, p.Workers()[0]); slices.ContainsFunc(nice, func(n int64) bool { return n != 0 }) {
		t.Errorf("the replacement worker runs at nice %v, want 0", nice)
	}
}

// TestShareLowers: while subject A computes in both of Computing's 2
// workers, its runs are marked to be lowered as soon as subject B runs
// too, before they computed for hogAfter; alone, they are not.
func TestShareLowers(t *testing.T) {
	p := newPool(t, Options{Size: 2, Max: 4, Computing: 2, Subject: subjectOf})
	ctx, cancel := context.WithCancel(as("a"))
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	for range 2 {
		wg.Go(func() { p.Run(ctx, "while (true) {}", echo, sandbox.Options{Timeout: time.Minute}) })
	}
	marked := func(subject string) (n int) {
		p.locked(func() {
			for r := range p.runs {
				if r.subject == subject && r.overShare {
					n++
				}
			}
		})
		return n
	}
	waitUntil(t, "A's 2 runs", func() (ok bool) {
		p.locked(func() { ok = len(p.runs) == 2 })
		return ok
	})
	if n := marked("a"); n != 0 {
		t.Errorf("%d of A's runs marked while A alone computes", n)
	}
	if res := p.Run(as("b"), "return 1", echo, sandbox.Options{Timeout: testenv.Within(10 * time.Second)}); string(res.Value) != "1" {
		t.Errorf("subject B: %s, %v", res.Value, res.Err)
	}
	if n := marked("a"); n != 2 {
		t.Errorf("%d of A's 2 runs marked to be lowered after B ran beside them, want 2", n)
	}
}

// TestFairUnderLoad: while subject A keeps 16 executions spinning (each
// stopped by a 2s timeout and started again, so that some always are in
// their first second), subject B's trivial executions take a small
// multiple of what they take on an idle pool (1 ms). With one queue, a
// gate blind to subjects and no priorities, B's median of 20 took 0.9s and
// the slowest 2.0s; now 11 and 19-80ms.
func TestFairUnderLoad(t *testing.T) {
	p := newPool(t, Options{Max: 64, Subject: subjectOf})
	trivial := func(n int) []time.Duration {
		var took []time.Duration
		for range n {
			start := time.Now()
			if res := p.Run(as("b"), "return 1", echo, sandbox.Options{Timeout: time.Minute}); string(res.Value) != "1" {
				t.Fatalf("subject B: %s, %v", res.Value, res.Err)
			}
			took = append(took, time.Since(start))
			time.Sleep(50 * time.Millisecond)
		}
		sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
		return took
	}
	idle := trivial(10)[5]
	ctx, cancel := context.WithCancel(as("a"))
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	for range 16 {
		wg.Go(func() {
			for ctx.Err() == nil {
				p.Run(ctx, "for (;;) {}", echo, sandbox.Options{Timeout: 2 * time.Second})
			}
		})
	}
	waitUntil(t, "A to compute", func() (ok bool) {
		p.locked(func() { ok = len(p.runs) >= p.opts.Computing })
		return ok
	})
	took := trivial(20)
	worst, bound := took[len(took)-1], 10*idle+testenv.Within(100*time.Millisecond)
	t.Logf("subject B's execution: %v on an idle pool; beside A's 16 spinning: median %v, worst %v (bound %v)", idle, took[10], worst, bound)
	if worst > bound {
		t.Errorf("subject B's execution took up to %v beside A's 16 spinning executions, over %v (10 times its %v on an idle pool, plus slack); all: %v",
			worst, bound, idle, took)
	}
}

// TestAloneNotLowered: a run computing past hogAfter with nothing else in
// the pool keeps its priority: there is nobody in the pool to yield to,
// and at nice 19 it would crawl behind whatever else the machine runs.
func TestAloneNotLowered(t *testing.T) {
	if _, err := os.Stat("/proc/self/task"); err != nil {
		t.Skipf("no /proc: %v", err)
	}
	p := newPool(t, Options{Size: 1, Max: 1})
	pid := p.Workers()[0]
	done := make(chan sandbox.Result, 1)
	go func() {
		done <- p.Run(context.Background(), "while (true) {}", echo, sandbox.Options{Timeout: hogAfter + 500*time.Millisecond})
	}()
	for {
		select {
		case <-done:
			return
		case <-time.After(20 * time.Millisecond):
			if nice := niceOf(t, pid); slices.Contains(nice, hogNice) {
				t.Fatalf("a run alone in the pool was lowered: nice %v", nice)
			}
		}
	}
}
