package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/dop251/goja"

	"github.com/mcp-codemode/mcp-codemode/internal/gostack"
)

// define sets obj[name] = v as an ordinary writable, enumerable property.
func (x *execution) define(obj *goja.Object, name string, v goja.Value) {
	must(obj.DefineDataProperty(name, v, goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_TRUE))
}

// bindingMethod returns the native method for b. It returns a promise at
// once; the call runs on its own goroutine and settles the promise through
// the event loop. Every failure, even one detected before the call, is a
// rejection, so `.catch` and try/await see them alike.
func (x *execution) bindingMethod(b Binding) func(goja.FunctionCall) goja.Value {
	name := b.Object + "." + b.Method
	return func(call goja.FunctionCall) goja.Value {
		p, resolve, reject := x.rt.NewPromise()
		if r := x.stoppedReason(); r != nil {
			// A native caller (arr.map(ns.method)) can outlive the interrupt.
			must(reject(x.newError(r.Name, r.Message)))
			return x.rt.ToValue(p)
		}
		arg := call.Argument(0)
		if len(b.Params) > 0 {
			arg = x.pack(name, b.Params, call.Arguments)
		}
		args, jsErr := x.encodeArgs(name, arg)
		if jsErr == nil && int(x.started.Load()) >= x.opts.MaxToolCalls {
			msg := fmt.Sprintf("%s: too many tool calls: the limit is %d per execution", name, x.opts.MaxToolCalls)
			jsErr = x.newError(NameRange, msg)
		}
		if jsErr != nil {
			must(reject(jsErr))
			return x.rt.ToValue(p)
		}
		seq := int(x.started.Add(1))
		x.loop.pending++
		at := x.callSite()
		ctx, id := WithCallSeq(x.callCtx, seq), b.ID
		gostack.Go(func() {
			x.callTool(ctx, id, name, args, func(res json.RawMessage, err error) error {
				return x.settleCall(name, at, res, err, resolve, reject)
			})
		})
		return x.rt.ToValue(p)
	}
}

// pack is the argument of a call of a binding with Params.
func (x *execution) pack(name string, params []string, args []goja.Value) goja.Value {
	first := goja.Undefined()
	if len(args) > 0 {
		first = args[0]
	}
	if len(args) <= 1 && (isObject(first) || len(params) == 1) {
		return first
	}
	o := x.rt.NewObject()
	for i, p := range params {
		if !strings.HasPrefix(p, "...") || i >= len(args) || !isObject(args[i]) {
			continue
		}
		from := args[i].(*goja.Object)
		if n := x.lengthOf(from); n > x.limits.maxStringElements {
			x.throwRange(name, "the %s argument has %d elements; the limit is %d", p[3:], n, x.limits.maxStringElements)
		}
		for _, k := range from.Keys() {
			o.CreateDataProperty(k, from.Get(k)) // as a spread in a literal: "__proto__" is a key
		}
	}
	for i, p := range params {
		if !strings.HasPrefix(p, "...") && i < len(args) && !goja.IsUndefined(args[i]) {
			o.CreateDataProperty(p, args[i])
		}
	}
	return o
}

// isObject reports whether typeof v is "object" and v is not null.
func isObject(v goja.Value) bool {
	o, ok := v.(*goja.Object)
	if !ok {
		return false
	}
	_, fn := goja.AssertFunction(o)
	return !fn
}

// must propagates an uncatchable error (an interrupt) out of a native function.
func must(err error) {
	if err != nil {
		panic(err)
	}
}

// encodeArgs returns the JSON of a binding's argument, or a TypeError.
func (x *execution) encodeArgs(name string, v goja.Value) (json.RawMessage, *goja.Object) {
	if s, ok := x.plainJSON(v); ok {
		return json.RawMessage(s), nil
	}
	h, err := x.help()
	var s goja.Value
	if err == nil {
		s, err = h.args(goja.Undefined(), v, x.rt.ToValue(x.limits.maxResult))
	}
	if err == nil {
		return json.RawMessage(s.String()), nil
	}
	var ex *goja.Exception
	if !errors.As(err, &ex) {
		panic(err) // uncatchable
	}
	msg := "the argument cannot be serialised to JSON"
	if d := x.errorFromValue(ex.Value()); d.Message != "" {
		msg = d.Message
	}
	return nil, x.newError(NameType, name+": "+msg)
}

// callSite is the innermost frame of the model's code calling a binding.
func (x *execution) callSite() frame {
	if fs := x.script.framesFromGo(x.rt.CaptureCallStack(8, nil)); len(fs) > 0 {
		return fs[0]
	}
	return frame{}
}

// callTool runs on its own goroutine (gostack.Go: an MCP client's call goes
// through encoding/json's reflection and the transport): it calls the
// Caller, turning a panic into an error, and posts the settlement to the
// runtime goroutine.
func (x *execution) callTool(ctx context.Context, id, name string, args json.RawMessage, settle func(json.RawMessage, error) error) {
	res, err := x.safeCall(ctx, id, name, args)
	x.loop.post(func() error { return settle(res, err) })
}

func (x *execution) safeCall(ctx context.Context, id, name string, args json.RawMessage) (res json.RawMessage, err error) {
	defer func() {
		if r := recover(); r != nil {
			// The panic value stays on this side: it may hold anything.
			res, err = nil, NewError(NameInternal, fmt.Sprintf("internal error in %s: the tool crashed", name))
		}
	}()
	return x.caller.Call(ctx, id, args)
}

// settleCall runs on the runtime goroutine: it resolves the call's promise
// with the parsed result, or rejects it with the error made a JS error.
func (x *execution) settleCall(name string, at frame, res json.RawMessage, err error, resolve, reject func(any) error) error {
	x.loop.pending--
	x.settled++
	if f := x.opts.OnCall; f != nil {
		x.journal.whileOpen(func() { f(x.settled, int(x.started.Load())) })
	}
	if err != nil {
		return reject(x.callError(at, err))
	}
	if len(res) == 0 {
		return resolve(goja.Undefined())
	}
	if msg := jsonFits(x, res); msg != "" {
		return reject(x.callError(at, NewError(NameRange, name+": the result is too large for the sandbox: "+msg)))
	}
	v, perr := x.parseResult(res)
	if perr != nil {
		var ex *goja.Exception
		if !errors.As(perr, &ex) {
			return perr
		}
		return reject(x.callError(at, NewError(NameInternal, name+": the tool returned invalid JSON")))
	}
	return resolve(v)
}

// callError makes a JS error of err, remembering where the call was made.
func (x *execution) callError(at frame, err error) *goja.Object {
	name := NameError
	var named interface{ ErrorName() string }
	if errors.As(err, &named) && named.ErrorName() != "" {
		name = named.ErrorName()
	}
	obj := x.newError(cutUTF8(name, 100), cutMessage(err.Error()))
	var props interface{ ErrorProps() map[string]any }
	if errors.As(err, &props) {
		for _, k := range slices.Sorted(maps.Keys(props.ErrorProps())) {
			if k != "name" && k != "message" && k != "stack" && k != "__proto__" && k != "constructor" {
				must(obj.Set(k, props.ErrorProps()[k]))
			}
		}
	}
	if at.line > 0 {
		x.origins[obj] = at
	}
	return obj
}

// maxMessage bounds the message of an error made from a Go error, as
// prelude.js describe bounds thrown ones.
const maxMessage = 10000

// cutMessage keeps a Go error's message within maxMessage bytes.
func cutMessage(s string) string {
	if len(s) <= maxMessage {
		return s
	}
	return cutUTF8(s, maxMessage) + fmt.Sprintf("… (%d bytes)", len(s))
}

// errorCtors are ECMAScript's error constructors.
var errorCtors = map[string]bool{NameError: true, NameType: true, NameRange: true, NameSyntax: true,
	NameReference: true, "EvalError": true, "URIError": true}

// errorCtor returns the original error constructor name, and whether it is
// one (else Error's). One not taken yet is made now through the global,
// which the code cannot have replaced or deleted without making it first
// (and guardBuiltin took it then).
func (x *execution) errorCtor(name string) (*goja.Object, bool) {
	if !errorCtors[name] {
		c, _ := x.errorCtor(NameError)
		return c, false
	}
	if c := x.ctors[name]; c != nil {
		return c, true
	}
	v := x.rt.GlobalObject().Get(name)
	if x.ctors[name] == nil { // made before the hook: an embedder's runtime (the sandbox sets the hook first)
		x.ctors[name] = v.ToObject(x.rt)
	}
	return x.ctors[name], true
}

// newError makes a JS error: an instance of the built-in constructor of that
// name when there is one, else an Error whose name property is name.
func (x *execution) newError(name, msg string) *goja.Object {
	ctor, builtin := x.errorCtor(name)
	obj, err := x.rt.New(ctor, x.rt.ToValue(msg))
	must(err)
	if !builtin {
		must(obj.DefineDataProperty("name", x.rt.ToValue(name), goja.FLAG_TRUE, goja.FLAG_FALSE, goja.FLAG_TRUE))
	}
	return obj
}
