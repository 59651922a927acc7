package sandbox

import (
	"bytes"
	"fmt"
	"math/big"
	"reflect"
	"unicode/utf16"

	"github.com/dop251/goja"
)

// resultReplacer is the prelude's strict replacer (prelude.js, replacer
// with lenient false) written in Go, for the script's result: the same
// conversions, limits and errors, but JSON.stringify calls a native
// function per value instead of a JavaScript one, which made serialising
// a 1 MB array of objects take 60% of the execution (issue 18). Whatever
// is not a plain object, array or primitive goes through the prelude's
// objectValue, and errors are thrown by the prelude, so both stay the only
// place those rules are written.
type resultReplacer struct {
	x        *execution
	maxBytes int
	// holders are the converted objects from the root to the current
	// holder, origins the values they came from, keys their keys.
	holders, origins []*goja.Object
	keys             []goja.Value
	size, calls      int
}

// maxResultDepth is the prelude's maxDepth.
const maxResultDepth = 100

// tickEvery is how many values the replacer converts between two calls of
// a JavaScript function, where goja notices an interrupt (the deadline).
const tickEvery = 4096

// serializeResult returns the JSON of the script's result v.
func (x *execution) serializeResult(v goja.Value) (string, error) {
	if s, ok := x.plainJSON(v); ok {
		return s, nil
	}
	return x.stringifyResult(v)
}

// stringifyResult is serializeResult through JSON.stringify and the
// replacer, for any value.
func (x *execution) stringifyResult(v goja.Value) (string, error) {
	h, err := x.help() // the replacer calls them too
	if err != nil {
		return "", err
	}
	r := &resultReplacer{x: x, maxBytes: x.limits.maxResult}
	s, err := h.stringifyWith(goja.Undefined(), v, x.rt.ToValue(r.replace))
	if err != nil {
		return "", err
	}
	return s.String(), nil
}

// plainJSON is the JSON of v written by Go, without JSON.stringify, when v
// is plain data: primitives, arrays and objects of Object.prototype whose
// serialisation runs no code of the script's, within the replacers' depth
// and size (goja's AppendPlainJSON, third_party/goja/PATCHES.md). Then the
// text is the one the replacers give, and nothing they would refuse or
// convert is in v. Otherwise ok is false, nothing observable happened, and
// the caller goes through JSON.stringify and a replacer, which throw the
// errors and make the conversions. The result and a tool's argument both
// go this way: a 1 MB array of small objects took 49 ms with the
// replacer, 746,000 allocations.
func (x *execution) plainJSON(v goja.Value) (string, bool) {
	var buf bytes.Buffer
	p := goja.PlainJSON{MaxDepth: maxResultDepth, MaxSize: x.limits.maxResult}
	if !x.rt.AppendPlainJSON(&buf, v, &p) {
		return "", false
	}
	return buf.String(), true
}

// replace is called by JSON.stringify with the holder as this, the key and
// the value (after toJSON).
func (r *resultReplacer) replace(call goja.FunctionCall) goja.Value {
	if r.calls++; r.calls%tickEvery == 0 {
		_, err := r.x.helpers.tick(goja.Undefined())
		r.must(err)
	}
	this, _ := call.This.(*goja.Object)
	key, value := call.Argument(0), call.Argument(1)
	n := len(r.holders)
	for n > 0 && r.holders[n-1] != this {
		n--
	}
	r.holders, r.origins, r.keys = r.holders[:n], r.origins[:n], r.keys[:n]
	r.size += jsLength(key.ToString()) + 2
	if s, ok := value.(goja.String); ok {
		r.size += s.Length()
	} else {
		r.size += 4
	}
	if r.size > r.maxBytes {
		r.throw(true, fmt.Sprintf("the result is larger than %d bytes as JSON; return less, e.g. a summary or a slice", r.maxBytes))
	}
	obj, ok := value.(*goja.Object)
	if !ok {
		return r.leaf(n, key, value)
	}
	if _, fn := goja.AssertFunction(obj); fn {
		return goja.Undefined() // typeof "function": left out, as JSON.stringify does
	}
	for _, o := range r.origins {
		if o == obj {
			r.fail(n, key, "a cyclic reference")
		}
	}
	if n >= maxResultDepth {
		r.fail(n, key, fmt.Sprintf("nesting deeper than %d levels", maxResultDepth))
	}
	c := r.objectValue(obj)
	r.holders, r.origins, r.keys = append(r.holders, c), append(r.origins, obj), append(r.keys, key)
	return c
}

// leaf is the prelude's leafValue, strict: a BigInt is refused, a symbol
// left out.
func (r *resultReplacer) leaf(n int, key, value goja.Value) goja.Value {
	switch value.(type) {
	case *goja.Symbol:
		return goja.Undefined()
	}
	if value != nil && !goja.IsUndefined(value) && !goja.IsNull(value) {
		if _, big := value.Export().(*big.Int); big {
			r.fail(n, key, "a BigInt")
		}
	}
	return value
}

// objectValue returns an array or an object whose prototype is
// Object.prototype as it is (the prelude's fast case, without running
// anything of the script's); anything else, proxies included, goes
// through the prelude's objectValue.
func (r *resultReplacer) objectValue(obj *goja.Object) *goja.Object {
	if obj.ExportType() != proxyType {
		if obj.ClassName() == "Array" || obj.Prototype() == r.x.helpers.objectPrototype {
			return obj
		}
	}
	v, err := r.x.helpers.objectValue(goja.Undefined(), obj, r.x.rt.ToValue(false))
	r.must(err)
	if o, ok := v.(*goja.Object); ok {
		return o
	}
	return obj // objectValue returns an object for an object
}

// proxyType is what a Proxy's ExportType is.
var proxyType = reflect.TypeOf(goja.Proxy{})

// fail throws the prelude's TypeError for what cannot be serialised, with
// the path of the value.
func (r *resultReplacer) fail(n int, key goja.Value, what string) {
	p := "result"
	for i := 1; i <= n; i++ {
		k := key
		if i < n {
			k = r.keys[i]
		}
		arr, err := r.x.helpers.isArray(goja.Undefined(), r.holders[i-1])
		r.must(err)
		if arr.ToBoolean() {
			p += "[" + k.String() + "]"
		} else {
			p += "." + k.String()
		}
	}
	msg := "the result cannot be serialised to JSON: " + what
	if p != "result" {
		msg += " at " + p
	}
	r.throw(false, msg)
}

// throw throws a RangeError (range) or a TypeError made by the prelude.
func (r *resultReplacer) throw(isRange bool, msg string) {
	_, err := r.x.helpers.throwError(goja.Undefined(), r.x.rt.ToValue(isRange), r.x.rt.ToValue(msg))
	r.must(err)
	panic("sandbox: throwError returned") // unreachable: it always throws
}

// must rethrows err of a call into JavaScript (an exception, or the
// interrupt of the deadline) into the JSON.stringify that called replace.
func (r *resultReplacer) must(err error) {
	if err == nil {
		return
	}
	panic(err) // goja takes an *Exception or *InterruptedError panicked in a native function as thrown

}

// jsLength is the length of s in UTF-16 code units, as JavaScript counts.
func jsLength(v goja.Value) int {
	if s, ok := v.(goja.String); ok {
		return s.Length()
	}
	return len(utf16.Encode([]rune(v.String())))
}
