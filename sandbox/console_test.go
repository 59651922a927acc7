package sandbox

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// expectLog checks that console.log(args) prints want, in the style of
// esbuild's expectPrinted.
func expectLog(t *testing.T, args, want string) {
	t.Helper()
	res := run(t, "console.log("+args+")", nil)
	if res.Err != nil {
		t.Fatalf("console.log(%s): %v", args, res.Err)
	}
	if len(res.Logs) != 1 || res.Logs[0] != want {
		t.Errorf("console.log(%s) printed %q; want %q", args, res.Logs, want)
	}
}

func TestConsoleFormat(t *testing.T) {
	expectLog(t, `"plain", "strings"`, "plain strings")
	expectLog(t, "", "")
	expectLog(t, `1, -0, 1.5, NaN, Infinity`, "1 0 1.5 NaN Infinity")
	expectLog(t, `true, null, undefined`, "true null undefined")
	expectLog(t, `{ a: 1, b: "two", c: [1, { d: null }] }`, `{"a":1,"b":"two","c":[1,{"d":null}]}`)
	expectLog(t, `[1, "x", undefined, () => 1]`, `[1,"x",null,"[Function (anonymous)]"]`)
	expectLog(t, `{ skipped: undefined, n: NaN, big: 10n, sym: Symbol("s") }`, `{"n":"NaN","big":"10n","sym":"Symbol(s)"}`)
	expectLog(t, `function named() {}, class K {}, Symbol("s"), 10n`, "[Function: named] [Function: K] Symbol(s) 10n")
	expectLog(t, `new Error("boom"), new TypeError("bad")`, "Error: boom TypeError: bad")
	expectLog(t, `{ err: new RangeError("r") }`, `{"err":"RangeError: r"}`)
	expectLog(t, `new Map([["a", 1]]), new Set([1, 2]), new Map([[{}, 1]])`, `{"a":1} [1,2] [[{},1]]`)
	expectLog(t, `new Date(0)`, `"1970-01-01T00:00:00.000Z"`)
	expectLog(t, `{ re: /a+/g }, new Uint8Array([1, 2])`, `{"re":"/a+/g"} [1,2]`)
	expectLog(t, `(() => { const o: any = { a: [1] }; o.self = o; o.a.push(o); return o })()`, `{"a":[1,"[Circular]"],"self":"[Circular]"}`)
	expectLog(t, `(() => { const shared = { x: 1 }; return [shared, shared] })()`, `[{"x":1},{"x":1}]`)
	expectLog(t, `{ toJSON() { return "custom" } }`, `"custom"`)
	expectLog(t, `{ toJSON() { throw new Error("no") } }`, "[object Object]")
	expectLog(t, `Object.create(null)`, "{}")
	expectLog(t, `new Proxy({}, { ownKeys() { throw new Error("trap") } })`, "[object Object]")
	expectLog(t, `{ [Symbol.toPrimitive]() { throw 1 }, toJSON() { throw 1 } }`, "[unprintable value]")
	expectLog(t, `(() => { let a: any = []; for (let i = 0; i < 200; i++) a = [a]; return a })()`,
		strings.Repeat("[", 100)+`"[Array]"`+strings.Repeat("]", 100))
}

func TestConsoleLevels(t *testing.T) {
	res := run(t, `console.log("l"); console.info("i"); console.debug("d"); console.warn("w"); console.error("e", 1)`, nil)
	want := []string{"l", "i", "d", "[warn] w", "[error] e 1"}
	if diff := cmp.Diff(want, res.Logs); diff != "" {
		t.Errorf("logs (-want +got):\n%s", diff)
	}
}

func TestConsoleKeptOnError(t *testing.T) {
	res := run(t, "console.log('before');\nthrow new Error('after')", nil)
	if diff := cmp.Diff([]string{"before"}, res.Logs); diff != "" || res.Err == nil {
		t.Errorf("logs (-want +got):\n%s (err %v)", diff, res.Err)
	}
}

func TestConsoleTruncation(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	opts := Options{MaxLogBytes: 12, OnLog: func(l string) { mu.Lock(); seen = append(seen, l); mu.Unlock() }}
	res := Run(context.Background(), `console.log("12345"); console.log("é7890123"); console.log("never"); 1`, nil, opts)
	want := []string{"12345", "é789", truncatedLine}
	if diff := cmp.Diff(want, res.Logs); diff != "" {
		t.Errorf("logs (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, seen); diff != "" {
		t.Errorf("OnLog (-want +got):\n%s", diff)
	}
	if string(res.Value) != "1" {
		t.Errorf("value %s, err %v", res.Value, res.Err)
	}
}

// TestConsoleFlood logs twice the default cap: the logs stop at the cap
// with the marker, and the script goes on. The flood is bounded by bytes,
// not iterations, so that its cost does not depend on the machine.
func TestConsoleFlood(t *testing.T) {
	code := fmt.Sprintf(`const line = "x".repeat(1000);
for (let logged = 0; logged < %d; logged += line.length + 1) console.log(line);
"done"`, 2*DefaultMaxLogBytes)
	res := run(t, code, nil)
	if string(res.Value) != `"done"` || len(res.Logs) == 0 || res.Logs[len(res.Logs)-1] != truncatedLine {
		t.Fatalf("value %s, err %v, %d lines", res.Value, res.Err, len(res.Logs))
	}
	size := 0
	for _, l := range res.Logs {
		size += len(l) + 1
	}
	if size > DefaultMaxLogBytes+len(truncatedLine)+1 {
		t.Errorf("logs are %d bytes", size)
	}
}

func TestCutUTF8(t *testing.T) {
	tests := []struct {
		s    string
		n    int
		want string
	}{
		{"hello", 3, "hel"}, {"hello", 10, "hello"}, {"hello", 0, ""}, {"héllo", 2, "h"}, {"héllo", 3, "hé"}, {"héllo", -1, ""},
	}
	for _, tt := range tests {
		if got := cutUTF8(tt.s, tt.n); got != tt.want {
			t.Errorf("cutUTF8(%q, %d) = %q; want %q", tt.s, tt.n, got, tt.want)
		}
	}
}
