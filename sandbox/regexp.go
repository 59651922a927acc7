package sandbox

import (
	"time"

	"github.com/dlclark/regexp2/v2"
	"github.com/dop251/goja"
)

// regexpTimeout bounds one match of a regular expression that goja runs on
// regexp2 (the backtracking engine it uses for lookaround and
// backreferences, where /(a+)+\1$/ can run for minutes). regexp2 gives up
// after it; goja would then report a silent non-match, so the wrapped exec
// and test turn a non-match that took that long into a RangeError.
const regexpTimeout = 500 * time.Millisecond

func init() {
	// regexp2 reads this when a pattern is compiled; goja offers no other
	// way to set it. It is set before any goroutine can compile a pattern.
	regexp2.DefaultMatchTimeout = regexpTimeout
}

// guardRegExp wraps RegExp.prototype.exec and test. Replacing exec also
// sends String.prototype.match, replace, split and matchAll through it (goja
// then leaves its fast path, as the spec describes), so every match of
// every method is timed and checks that the run goes on.
func (x *execution) guardRegExp(proto *goja.Object) {
	for _, name := range []string{"exec", "test"} {
		orig, ok := goja.AssertFunction(proto.Get(name))
		if !ok {
			continue
		}
		label := "RegExp.prototype." + name
		f := func(call goja.FunctionCall) goja.Value {
			x.checkRunning()
			start := time.Now()
			v, err := orig(call.This, call.Arguments...)
			must(err)
			if time.Since(start) >= regexpTimeout && !v.ToBoolean() {
				x.throwRange(label, "the regular expression %s took longer than %v to match and was stopped; "+
					"avoid nested quantifiers and backreferences on long input", cutUTF8(call.This.String(), 100), regexpTimeout)
			}
			return v
		}
		must(proto.DefineDataProperty(name, x.native(name, proto.Get(name), f), goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_FALSE))
	}
}
