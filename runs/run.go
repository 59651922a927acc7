package runs

import "sync"

// Run is the record of one execution while it runs. Its methods may be
// called concurrently; on a nil Run they do nothing.
type Run struct {
	r     *Recorder
	mu    sync.Mutex
	rec   Record
	ended bool
}

// Begin starts the record of an execution of code by subject. On a nil
// Recorder it returns nil.
func (r *Recorder) Begin(subject, code string) *Run {
	if r == nil {
		return nil
	}
	return &Run{r: r, rec: Record{ID: NewID(), Subject: subject, Start: r.now(), Code: code}}
}

// ID is the run's id; "" for a nil Run.
func (run *Run) ID() string {
	if run == nil {
		return ""
	}
	return run.rec.ID // set once, before the Run is shared
}

// SetTrace notes the id of the execution's trace.
func (run *Run) SetTrace(traceID string) {
	if run == nil {
		return
	}
	run.mu.Lock()
	run.rec.TraceID = traceID
	run.mu.Unlock()
}

// Call notes the start of a call and returns its index for Done. The
// arguments are kept as their size and digest only.
func (run *Run) Call(kind, name string, args []byte) int {
	if run == nil {
		return -1
	}
	c := Call{Kind: kind, Name: name, ArgsBytes: len(args), ArgsSHA256: Digest(args)}
	run.mu.Lock()
	defer run.mu.Unlock()
	c.Ordinal = len(run.rec.Calls) + 1
	c.Start = run.r.now().Sub(run.rec.Start)
	run.rec.Calls = append(run.rec.Calls, c)
	return len(run.rec.Calls) - 1
}

// Done notes the end of call i with its outcome and, unless it is "ok",
// the name of the error the script saw.
func (run *Run) Done(i int, outcome, errName string) {
	if run == nil || i < 0 {
		return
	}
	run.mu.Lock()
	defer run.mu.Unlock()
	c := &run.rec.Calls[i]
	c.Duration = run.r.now().Sub(run.rec.Start) - c.Start
	c.Outcome, c.ErrorName = outcome, errName
}

// Result is how an execution ended.
type Result struct {
	Bytes     int    // of the result's JSON
	Outcome   string // server.Outcome
	ErrorName string
	ErrorMsg  string
}

// Finish ends the run and hands its record to the writer; the execution
// does not wait for it to be written. A second Finish does nothing.
func (run *Run) Finish(res Result) {
	if run == nil {
		return
	}
	run.mu.Lock()
	if run.ended {
		run.mu.Unlock()
		return
	}
	run.ended = true
	rec := run.rec // calls still running keep writing to run.rec, not to this copy
	rec.Calls = append([]Call(nil), run.rec.Calls...)
	run.mu.Unlock()
	rec.End = run.r.now()
	for i := range rec.Calls {
		if c := &rec.Calls[i]; c.Outcome == "" { // abandoned when the execution ended
			c.Outcome, c.Duration = "unfinished", rec.End.Sub(rec.Start)-c.Start
		}
	}
	rec.ResultBytes, rec.Outcome, rec.ErrorName, rec.ErrorMsg = res.Bytes, res.Outcome, res.ErrorName, res.ErrorMsg
	rec.CallCount = len(rec.Calls)
	run.r.enqueue(&rec)
}
