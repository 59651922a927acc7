package isolate

import (
	"bufio"
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mcp-codemode/mcp-codemode/sandbox"
)

func TestFrames(t *testing.T) {
	var b bytes.Buffer
	w := newWriter(&b)
	if err := w.send(kindCall, callRequest{Run: 2, N: 1, ID: "x", Args: []byte(`{"a":1}`)}); err != nil {
		t.Fatal(err)
	}
	f, err := readFrame(bufio.NewReader(&b))
	if err != nil || f.kind != kindCall || string(f.body) != `{"run":2,"n":1,"id":"x","args":{"a":1}}` {
		t.Errorf("got %c %s, %v", f.kind, f.body, err)
	}
	if _, err := readFrame(bufio.NewReader(bytes.NewReader([]byte{0xff, 0xff, 0xff, 0xff, 'C'}))); err == nil {
		t.Error("a 4 GB frame was accepted")
	}
}

// FuzzFrames: whatever a (compromised) worker sends, the parent's reading
// and handling of it neither panics nor runs away; a malformed frame is a
// broken worker.
func FuzzFrames(f *testing.F) {
	for _, s := range []string{"\x00\x00\x00\x02D{}", "\x00\x00\x00\x0fC{\"n\":1,\"id\":1}", "\x00\x00\x00\x14L{\"run\":0,\"line\":\"x\"}", "\x00\x00\x00\x01N{"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bufio.NewReader(bytes.NewReader(data))
		run := &run{w: &worker{in: newWriter(&bytes.Buffer{}), stdin: nopCloser{}}, caller: sandbox.CallerFunc(nil),
			opts: sandbox.Options{OnLog: func(string) {}, OnCall: func(int, int) {}}}
		for {
			fr, err := readFrame(r)
			if err != nil {
				return
			}
			if fr.kind == kindCall {
				continue // would call the caller on a goroutine
			}
			if _, finished, _ := run.handle(context.Background(), fr); finished {
				return
			}
		}
	})
}

type nopCloser struct{}

func (nopCloser) Close() error { return nil }

// TestSameSetupFirst: a worker asked to reuse a setup it was never sent
// stops (the parent then sees a crashed worker) rather than run without
// bindings.
func TestSameSetupFirst(t *testing.T) {
	var in, out bytes.Buffer
	if err := newWriter(&in).send(kindRun, runRequest{Code: "return 1", SameSetup: true}); err != nil {
		t.Fatal(err)
	}
	err := Serve(&in, &out, Limits{})
	if err == nil || !strings.Contains(err.Error(), "same_setup") {
		t.Errorf("got %v", err)
	}
}

// TestTextNotEscaped: <, > and & in a result, a log line, an error and a
// tool call's arguments and reply come back from a worker as they went in,
// byte for byte, as sandbox.Run gives them in process (json.Marshal would
// have sent \u003c, which the server then showed the model).
func TestTextNotEscaped(t *testing.T) {
	p := newPool(t, Options{Size: 1})
	for _, code := range []string{
		`return "Promise<unknown> & a > b"`,
		`return {"<k>": ["&amp;", "a<b"]}`,
		`console.log("x < y && y > z"); return await t.echo({s: "<&>"})`,
		`throw new TypeError("expected Array<string> & more")`,
	} {
		opts := sandbox.Options{Bindings: bindings, Timeout: 5 * time.Second}
		want := sandbox.Run(context.Background(), code, echo, opts)
		got := p.Run(context.Background(), code, echo, opts)
		want.Stats, got.Stats = sandbox.Stats{}, sandbox.Stats{}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: (-in process +pool)\n%s", code, diff)
		}
		if bytes.Contains(got.Value, []byte(`\u00`)) {
			t.Errorf("%s: value %s is escaped", code, got.Value)
		}
	}
}

// TestFramesOfAnotherRun: a frame that names another run than the one
// reading (which the pool's order rules out) is a broken worker, and the
// run keeps none of what it received.
func TestFramesOfAnotherRun(t *testing.T) {
	for _, f := range []struct {
		kind byte
		body string
	}{
		{kindDone, `{"seq":3,"value":1,"logs":[],"tool_calls":0,"duration":0}`},
		{kindLog, `{"run":3,"line":"not yours"}`},
		{kindCall, `{"run":3,"n":1,"id":"x","args":{}}`},
		{kindCalls, `{"run":3,"done":1,"started":1}`},
	} {
		r := &run{seq: 2, w: &worker{in: newWriter(&bytes.Buffer{}), stdin: nopCloser{}}, caller: sandbox.CallerFunc(nil),
			opts: sandbox.Options{OnLog: func(string) {}, OnCall: func(int, int) {}}}
		if _, finished, _ := r.handle(context.Background(), frame{kind: kindLog, body: []byte(`{"run":2,"line":"mine"}`)}); finished {
			t.Fatal("a log line of the run ended it")
		}
		res, finished, healthy := r.handle(context.Background(), frame{kind: f.kind, body: []byte(f.body)})
		if !finished || healthy || res.Err == nil || res.Err.Name != sandbox.NameInternal || len(res.Logs) != 0 || res.Value != nil {
			t.Errorf("%c %s: finished %v, healthy %v, %s %q %v", f.kind, f.body, finished, healthy, res.Value, res.Logs, res.Err)
		}
	}
}
