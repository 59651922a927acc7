package isolate

import (
	"encoding/json"
	"io"
	"reflect"
	"testing"
	"time"

	"github.com/mcp-codemode/mcp-codemode/sandbox"
)

// hostOnly are the fields of sandbox.Options that do not travel to a
// worker as they are, each with what stands for it there.
var hostOnly = map[string]string{
	"OnLog":  "a callback: the worker streams console lines (runRequest.StreamLogs) and Pool.Run calls OnLog with them",
	"OnCall": "a callback: the worker streams call progress (runRequest.StreamCalls) and Pool.Run calls OnCall with it",
	"Memory": "the parent's admission budget: a worker admits its run against its own process's, bounded by Options.WorkerMemory",
	"Spares": "the parent's spare runtimes: a worker keeps its own, set up while the parent waits for the next run",
}

// TestOptionsCarried checks the seam between sandbox.Options and the worker
// protocol: every field set in the parent reaches the worker's sandbox.Run
// with the same value, through run.request, the frame's JSON and
// server.options, or is listed in hostOnly with what stands for it. A field
// added to sandbox.Options and not carried fails here, rather than being
// dropped without a word under isolation "process".
func TestOptionsCarried(t *testing.T) {
	var parent sandbox.Options
	pv := reflect.ValueOf(&parent).Elem()
	n := 0
	for i := range pv.NumField() {
		if _, ok := hostOnly[pv.Type().Field(i).Name]; !ok {
			fill(pv.Field(i), &n)
		}
	}
	parent.OnLog = func(string) {}
	parent.OnCall = func(int, int) {}

	r := &run{w: &worker{}, opts: parent, timeout: parent.Timeout}
	body, err := marshal(r.request("return 1"))
	if err != nil {
		t.Fatal(err)
	}
	var req runRequest
	if err := json.Unmarshal(body, &req); err != nil {
		t.Fatal(err)
	}
	got := (&server{out: newWriter(io.Discard)}).options(&req)

	gv := reflect.ValueOf(got)
	for i := range pv.NumField() {
		name := pv.Type().Field(i).Name
		if _, ok := hostOnly[name]; ok {
			continue
		}
		if want := pv.Field(i).Interface(); !reflect.DeepEqual(gv.Field(i).Interface(), want) {
			t.Errorf("sandbox.Options.%s is %#v in the parent and %#v in the worker: carry it (runRequest in protocol.go, "+
				"run.request in pool.go, server.options in serve.go) or list it in hostOnly with what stands for it",
				name, want, gv.Field(i).Interface())
		}
	}
	if got.OnLog == nil || got.OnCall == nil {
		t.Errorf("the worker's OnLog or OnCall is nil (%v, %v): it would not stream what the parent's callbacks wait for",
			got.OnLog != nil, got.OnCall != nil)
	}
	for name := range hostOnly {
		if _, ok := pv.Type().FieldByName(name); !ok {
			t.Errorf("hostOnly names %s, which sandbox.Options does not have", name)
		}
	}
}

// fill sets v, and what it holds, to values that are not zero and differ
// from each other (n counts them), so that a field dropped, or swapped
// with another, on the way shows.
func fill(v reflect.Value, n *int) {
	*n++
	switch v.Kind() {
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(int64(1000 + *n))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(1000 + *n))
	case reflect.Float32, reflect.Float64:
		v.SetFloat(float64(*n) + 0.5)
	case reflect.String:
		v.SetString("s" + string(rune('a'+*n%26)))
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 2, 2)
		for i := range 2 {
			fill(s.Index(i), n)
		}
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fill(k, n)
		fill(e, n)
		m.SetMapIndex(k, e)
		v.Set(m)
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		fill(p.Elem(), n)
		v.Set(p)
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Field(i).CanSet() {
				fill(v.Field(i), n)
			}
		}
	case reflect.Func:
		v.Set(reflect.MakeFunc(v.Type(), func([]reflect.Value) []reflect.Value {
			out := make([]reflect.Value, v.Type().NumOut())
			for i := range out {
				out[i] = reflect.Zero(v.Type().Out(i))
			}
			return out
		}))
	}
}

// TestAbandonedRetires: a worker whose sandbox.Run gave up on a runtime
// stuck in a native call (Result.Abandoned) asks to retire, since that
// runtime still runs in it; one whose run the interrupt stopped does not.
// The native call is a regular expression that backtracks for 500ms a
// match: the script is inside one almost all the time, so its timeout
// comes during a match, which ends more than the 50ms Run waits after it
// nine times in ten; a few attempts make the test independent of that
// chance.
func TestAbandonedRetires(t *testing.T) {
	stuck := "for (;;) { try { /(a*)*\\1b/.test('a'.repeat(30)) } catch {} }"
	retired := false
	for i := 0; i < 8 && !retired; i++ {
		w := startServe(t, nil, nil)
		res := w.result(runRequest{Code: stuck, Timeout: 300 * time.Millisecond})
		if res.Err == nil || res.Err.Name != sandbox.NameTimeout {
			t.Fatalf("stuck in a match: %s, %v; want a TimeoutError", res.Value, res.Err)
		}
		retired = res.Retire
		w.stop()
	}
	if !retired {
		t.Error("the worker did not retire after any of 8 runs abandoned inside a 500ms match")
	}

	w := startServe(t, nil, nil)
	defer w.stop()
	if res := w.result(runRequest{Code: "for (;;) {}", Timeout: 100 * time.Millisecond}); res.Err == nil || res.Retire {
		t.Errorf("an endless loop the timeout stopped: %v, retire %v; want an error, no retiring", res.Err, res.Retire)
	}
}

// result sends a run request and returns its result.
func (w *served) result(req runRequest) runResult {
	w.t.Helper()
	if err := newWriter(w.in).send(kindRun, req); err != nil {
		w.t.Fatal(err)
	}
	for {
		f, err := readFrame(w.frames)
		if err != nil {
			w.t.Fatalf("waiting for the run's end: %v", err)
		}
		if f.kind == kindDone {
			var res runResult
			if err := json.Unmarshal(f.body, &res); err != nil {
				w.t.Fatal(err)
			}
			return res
		}
	}
}
