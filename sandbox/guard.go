package sandbox

import (
	_ "embed"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"sync"

	"github.com/dop251/goja"
)

// goja cannot interrupt a native call, and has no allocation limit: one
// call like 'x'.repeat(2**29) runs for seconds and allocates half a
// gigabyte before the watchdog or the deadline can act, and 'x'.repeat(2**40)
// is a fatal out-of-memory. The guards wrap the built-ins whose work or
// allocation is not bounded by data the script already holds, and check
// the size before calling the original: a breach is a catchable RangeError
// and nothing is allocated. Every wrapper also refuses to run once the
// execution is stopped, which makes native loops that go through wrapped
// methods (nested joins, the matches of a RegExp) stop at the deadline.
//
// Wrappers that need no JavaScript are here; constructors, JSON.stringify
// and the functions of jsGuards are wrapped by guards.js, which calls back
// into Go. Code compiled at run time (eval, the Function constructors) is
// checked by goja's compile hook (checkCompiled).

// check is one guard: it may throw, and may replace call.This or
// call.Arguments by their converted values, so that the original does not
// convert them (and run their toString or valueOf) a second time.
type check func(x *execution, name string, call *goja.FunctionCall)

// guards are the wrapped methods, by object and name.
var guards = []struct {
	object string // a global, or a global's prototype
	name   string
	check  check
}{
	{"String.prototype", "repeat", checkRepeat},
	{"String.prototype", "padStart", checkPad},
	{"String.prototype", "padEnd", checkPad},
	{"String.prototype", "concat", checkConcat},
	{"String.prototype", "split", checkSplit},
	{"String.prototype", "replace", checkReplace},
	{"String.prototype", "replaceAll", checkReplace},
	{"String.prototype", "normalize", checkExpand(18)},
	{"String.prototype", "toUpperCase", checkExpand(3)},
	{"String.prototype", "toLowerCase", checkExpand(3)},
	{"String.prototype", "toLocaleUpperCase", checkExpand(3)},
	{"String.prototype", "toLocaleLowerCase", checkExpand(3)},
	{"JSON", "parse", checkJSONParse},
	{"Array", "from", checkArrayFrom},
	{"Function.prototype", "apply", checkApply(1)},
	{"Reflect", "apply", checkApply(2)},
	{"Reflect", "construct", checkApply(1)},
	{"RegExp.prototype", "compile", checkCompile},
	// A string pattern given to these becomes a RegExp inside goja, past
	// the guarded constructor: its pattern is checked the same way.
	{"String.prototype", "match", checkCompile},
	{"String.prototype", "matchAll", checkCompile},
	{"String.prototype", "search", checkCompile},
}

// jsGuards are the functions guards.js wraps (guardJS): JSON.stringify, and
// those that make a value per element of their arguments.
var jsGuards = []struct{ object, name string }{
	{"JSON", "stringify"},
	{"Promise", "all"}, {"Promise", "allSettled"}, {"Promise", "any"}, {"Promise", "race"},
	{"Object", "keys"}, {"Object", "values"}, {"Object", "entries"}, {"Object", "getOwnPropertyNames"},
	{"Object", "getOwnPropertyDescriptors"}, {"Object", "assign"},
	{"Reflect", "ownKeys"},
}

// unguardedArrayMethods run in constant time; every other method of
// Array.prototype walks up to this.length (holes included) or allocates
// that much, so it is checked against maxElements.
var unguardedArrayMethods = map[string]bool{"constructor": true, "push": true, "pop": true, "at": true}

// A wrapper is made when the script first reaches the method, not when the
// runtime is set up: goja makes a built-in's properties on first use, and
// most executions touch few of the ~60 guarded methods, which cost two
// native functions each (the original and its wrapper) in every fresh
// runtime. A hook in goja (third_party/goja/PATCHES.md, SetBuiltinHook)
// hands installGuards each guarded property as goja makes it, and the
// wrapper is what is stored: every way of reaching the property (a get,
// a descriptor, enumeration, the spread of an array) makes it through the
// hook, so no code of the script ever sees an original. A property goja
// made before the guards were installed (the prelude took it) is wrapped
// at once, as all were before; the result is the same runtime either way.

// guardKind is how a guarded property is wrapped.
type guardKind uint8

const (
	guardPlain    guardKind = iota // guarded
	guardNested                    // nested: join-like methods recurse on the Go stack
	guardIterator                  // named as the original ([Symbol.iterator])
	guardValues                    // Array.prototype.values, which is also its [Symbol.iterator]: one wrapper
	guardFlat                      // wrapFlat
	guardJS                        // guards.js's wrapFunction
)

// guardSpec is one guarded property of a built-in object.
type guardSpec struct {
	name  string // the property's name ("" for the iterator symbol)
	label string // "String.prototype.repeat", for the errors
	check check
	kind  guardKind
}

// guardHolder is a built-in object and its guarded properties.
type guardHolder struct {
	path     string // a global, or a global's prototype
	byName   map[string]*guardSpec
	iterator *guardSpec // its [Symbol.iterator], if guarded
}

// guardTable lists the guarded properties once per process: the same in
// every runtime.
func guardTable() []guardHolder {
	guardTableOnce.Do(func() { guardHolders = buildGuardTable() })
	return guardHolders
}

var (
	guardTableOnce sync.Once
	guardHolders   []guardHolder
)

func buildGuardTable() []guardHolder {
	var table []guardHolder
	holder := func(path string) *guardHolder {
		for i := range table {
			if table[i].path == path {
				return &table[i]
			}
		}
		table = append(table, guardHolder{path: path, byName: map[string]*guardSpec{}})
		return &table[len(table)-1]
	}
	add := func(path, name string, c check, kind guardKind) {
		if kind == guardPlain && (name == "join" || name == "toString" || name == "toLocaleString") {
			kind = guardNested
		}
		holder(path).byName[name] = &guardSpec{name: name, label: path + "." + name, check: c, kind: kind}
	}
	for _, g := range guards {
		add(g.object, g.name, g.check, guardPlain)
	}
	for _, g := range jsGuards {
		add(g.object, g.name, nil, guardJS)
	}
	for _, name := range arrayMethods() {
		c, kind := checkArrayLength, guardPlain
		switch name {
		case "join", "toString", "toLocaleString":
			c = checkJoin
		case "fill":
			c = checkFill
		case "concat":
			c = checkArrayConcat
		case "flat":
			kind = guardFlat
		case "values":
			kind = guardValues
		}
		add("Array.prototype", name, c, kind)
	}
	if values := holder("Array.prototype").byName["values"]; values != nil {
		holder("Array.prototype").iterator = values
	}
	holder("String.prototype").iterator = &guardSpec{label: "String.prototype[Symbol.iterator]", check: checkStringIterator, kind: guardIterator}
	return table
}

// installGuards wraps the built-ins. It runs after setupBase, which set the
// built-in hook (guardBuiltin: from then on it wraps what goja makes) and
// the made hook (builtinMade). The objects whose properties are guarded
// are those goja made already, which are wrapped now, and those it makes
// later, which the made hook hands builtinMade. guards.js runs when first
// needed (jsGuards), not here.
func (x *execution) installGuards() error {
	table := guardTable()
	x.guardObjs = make([]*goja.Object, len(table))
	for i := range table {
		path := table[i].path
		x.guardObjs[i] = x.made[path] // given by the made hook
		if x.guardObjs[i] == nil {
			x.guardObjs[i] = x.rt.Made(path) // made with the runtime, before the hook was set
		}
		if x.guardObjs[i] == nil && !madeOnUse(path) {
			// Neither made nor handed to the hook when goja makes it: it would
			// never be guarded.
			return fmt.Errorf("the guarded built-in %s is not handed to the made hook", path)
		}
		if x.guardObjs[i] != nil {
			x.wrapMade(x.guardObjs[i], &table[i], false)
		}
	}
	x.rt.SetCompileHook(x.checkCompiled)
	// guards.js wraps lazyCtors as goja makes them once the guards are on:
	// one made before would be left unwrapped (none is, as the setup is now).
	for _, name := range lazyCtorNames {
		if x.rt.GlobalObject().OwnMaterialised(name, nil) || x.made[name+".prototype"] != nil {
			return fmt.Errorf("%s was made before the guards were installed", name)
		}
	}
	x.rt.SetMaxStringLength(int(x.limits.maxString), x.stringTooLong)
	x.guardsOn = true
	// What guards.js wraps and goja made already is wrapped now (none is, as
	// the setup is now: guards.js then runs here).
	for i := range table {
		if x.guardObjs[i] != nil {
			x.wrapMade(x.guardObjs[i], &table[i], true)
		}
	}
	return nil
}

// madeOnUse reports whether goja hands the guarded built-in to the made
// hook as it makes it (builtinMade), so that it is guarded then, not made
// at setup: one of madeWholeNames or madeTemplatedNames.
func madeOnUse(path string) bool {
	return madeWhole(path) || slices.Contains(madeTemplatedNames[:], path)
}

// madeWhole reports whether goja makes the built-in whole, with all its
// properties, and hands it to builtinMade then (one of madeWholeNames).
func madeWhole(path string) bool { return slices.Contains(madeWholeNames[:], path) }

// madeWholeNames are the built-ins goja makes whole and hands builtinMade.
var madeWholeNames = [...]string{"Reflect", "JSON", "RegExp.prototype", "ArrayBuffer.prototype"}

// madeTemplatedNames are the guarded built-ins goja hands builtinMade as it
// makes them, without their properties, which it makes on first use
// through the built-in hook (guardBuiltin); Array's three statics it makes
// with it. Making them at setup was a fifth of it.
var madeTemplatedNames = [...]string{"Array", "Array.prototype", "String.prototype", "Promise", "Object"}

// builtinMade is goja's made hook (third_party/goja/PATCHES.md), called as
// goja makes one of madeWholeNames or madeTemplatedNames, before any code
// can reach it. Of one of madeWholeNames the originals the sandbox needs
// are taken, and once the guards are installed, the object's guarded
// methods are wrapped, and a constructor (RegExp's, ArrayBuffer's) is
// replaced by guards.js's wrapper (on the prototype too: a regular
// expression literal or a typed array makes both without the global). Few
// executions use them, and each costs a dozen native functions or more. Of
// one of madeTemplatedNames the guards learn which object it is.
func (x *execution) builtinMade(name string, obj *goja.Object) {
	if x.made == nil {
		x.made = make(map[string]*goja.Object, len(madeWholeNames)+len(madeTemplatedNames))
	}
	x.made[name] = obj
	if !madeWhole(name) { // one of madeTemplatedNames: nothing of it to take
		x.guardMade(name, obj)
		return
	}
	ctorName, proto := strings.CutSuffix(name, ".prototype")
	var ctor *goja.Object
	if proto {
		ctor = obj.Get("constructor").ToObject(x.rt)
		x.recordOriginal(ctorName, ctor)
	} else {
		x.recordOriginal(name, obj)
	}
	if x.guardObjs == nil {
		return // before installGuards, which wraps what was made
	}
	x.guardMade(name, obj)
	if name == "RegExp.prototype" {
		x.guardRegExp(obj)
	}
	if ctor != nil && x.guardsOn {
		x.lazyCtor(ctorName, ctor)
	}
}

// guardMade wraps what goja made of the guarded properties of obj, the
// built-in at path, and notes that it is that built-in, for guardBuiltin,
// which wraps the rest as goja makes them. Before installGuards it does
// nothing: installGuards wraps what was made.
func (x *execution) guardMade(path string, obj *goja.Object) {
	if !x.guardsOn {
		return
	}
	table := guardTable()
	for i := range table {
		if table[i].path == path {
			x.guardObjs[i] = obj
			x.wrapMade(obj, &table[i], false)
			x.wrapMade(obj, &table[i], true)
		}
	}
}

// wrapMade wraps the guarded properties of obj that goja already made:
// those guards.js wraps (guardJS) when js, else the others.
func (x *execution) wrapMade(obj *goja.Object, h *guardHolder, js bool) {
	for name, s := range h.byName {
		if (s.kind == guardJS) != js {
			continue
		}
		if obj.OwnMaterialised(name, nil) {
			if w, ok := x.wrapSpec(s, obj.Get(name)); ok {
				must(obj.DefineDataProperty(name, w, goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_FALSE))
			}
		}
	}
	if h.iterator != nil && !js && obj.OwnMaterialised("", goja.SymIterator) {
		if w, ok := x.wrapSpec(h.iterator, obj.GetSymbol(goja.SymIterator)); ok {
			must(obj.DefineDataPropertySymbol(goja.SymIterator, w, goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_FALSE))
		}
	}
}

// guardBuiltin is the goja.BuiltinHook: the wrapper of a guarded property
// goja makes now, else v.
func (x *execution) guardBuiltin(holder *goja.Object, name string, sym *goja.Symbol, v goja.Value) goja.Value {
	for i, obj := range x.guardObjs {
		if obj != holder {
			continue
		}
		h := &guardHolders[i]
		s := h.byName[name]
		if sym != nil {
			s = nil
			if sym == goja.SymIterator {
				s = h.iterator
			}
		}
		if s == nil {
			return v
		}
		if w, ok := x.wrapSpec(s, v); ok {
			return w
		}
		return v
	}
	if sym == nil && holder == x.rt.GlobalObject() && errorCtors[name] && x.ctors[name] == nil {
		if ctor, ok := v.(*goja.Object); ok {
			x.ctors[name] = ctor // the original, for newError
		}
	}
	if x.guardsOn && sym == nil && (name == "constructor" || holder == x.rt.GlobalObject()) {
		return x.lazyCtor(name, v)
	}
	return v
}

// lazyCtors are the constructors guards.js wraps when goja makes them, by
// the bytes per element of the typed arrays: few executions use them, and
// each costs a constructor, its prototype and the wrapper.
var lazyCtors = map[string]int{
	"Int8Array": 1, "Uint8Array": 1, "Uint8ClampedArray": 1, "Int16Array": 2, "Uint16Array": 2,
	"Int32Array": 4, "Uint32Array": 4, "Float32Array": 4, "Float64Array": 8, "BigInt64Array": 8, "BigUint64Array": 8,
	"ArrayBuffer": 0, "Map": 0, "Set": 0, "WeakMap": 0, "WeakSet": 0, "RegExp": 0,
}

// lazyCtorNames are lazyCtors' names, sorted.
var lazyCtorNames = slices.Sorted(maps.Keys(lazyCtors))

// lazyCtor returns guards.js's wrapper of v when v is one of lazyCtors,
// made as a global (name) or as its prototype's constructor (v's name:
// among the built-ins only that constructor has it).
func (x *execution) lazyCtor(name string, v goja.Value) goja.Value {
	obj, ok := v.(*goja.Object)
	if !ok {
		return v
	}
	if name == "constructor" {
		name = obj.Get("name").String()
	}
	if _, ok := lazyCtors[name]; !ok {
		return v
	}
	x.recordOriginal(name, obj)
	must(x.jsGuards())
	w, err := x.wrapCtor(goja.Undefined(), x.rt.ToValue(name), v)
	must(err)
	return w
}

// wrapSpec returns the guarded native function for orig, named and as long
// as it (a Go function value would otherwise be named after its Go symbol).
func (x *execution) wrapSpec(s *guardSpec, origV goja.Value) (*goja.Object, bool) {
	orig, ok := goja.AssertFunction(origV)
	if !ok {
		return nil, false
	}
	if s.kind == guardJS {
		must(x.jsGuards())
		w, err := x.wrapFunction(goja.Undefined(), x.rt.ToValue(s.label), origV)
		must(err)
		return w.ToObject(x.rt), true
	}
	name := s.name
	var f func(goja.FunctionCall) goja.Value
	switch s.kind {
	case guardNested:
		f = x.nested(orig, s.label, s.check)
	case guardFlat:
		f = x.flat(orig)
	case guardValues:
		if x.arrayValues != nil {
			return x.arrayValues, true
		}
		fallthrough
	case guardIterator:
		name = origV.ToObject(x.rt).Get("name").String()
		f = x.guarded(orig, s.label, s.check)
	default:
		f = x.guarded(orig, s.label, s.check)
	}
	w := x.native(name, origV, f)
	if s.kind == guardValues {
		x.arrayValues = w
	}
	return w, true
}

// stringTooLong is the error of + or a template literal building a string
// over limits.maxString. It is not a call the guards could wrap but one
// instruction, which goja (patched: third_party/goja/PATCHES.md) checks: one
// s += s allocates twice the string in a native step nothing interrupts, and
// several executions doing it at once took the process past 3 GB before the
// watchdog could run.
func (x *execution) stringTooLong(length int) goja.Value {
	return x.newError(NameRange, fmt.Sprintf("string concatenation: the result would be %d characters; "+
		"the limit is %d (a quarter of the memory limit): work on less data at a time", length, x.limits.maxString))
}

// arrayMethods are the names of the methods of Array.prototype to guard,
// read in a runtime of their own: reading them makes them all.
func arrayMethods() []string {
	rt := goja.New()
	proto := rt.Get("Array").ToObject(rt).Get("prototype").ToObject(rt)
	var out []string
	for _, n := range proto.GetOwnPropertyNames() {
		if _, ok := goja.AssertFunction(proto.Get(n)); ok && !unguardedArrayMethods[n] {
			out = append(out, n)
		}
	}
	return out
}

// guarded calls orig after c, once the execution is known to go on.
func (x *execution) guarded(orig goja.Callable, label string, c check) func(goja.FunctionCall) goja.Value {
	return func(call goja.FunctionCall) goja.Value {
		x.checkRunning()
		if c != nil {
			c(x, label, &call)
		}
		v, err := orig(call.This, call.Arguments...)
		must(err)
		return v
	}
}

// nested is guarded for the methods that goja lets recurse on the Go stack
// without a JavaScript frame in between (joining arrays inside arrays): it
// counts how deeply they nest.
func (x *execution) nested(orig goja.Callable, label string, c check) func(goja.FunctionCall) goja.Value {
	inner := x.guarded(orig, label, c)
	return func(call goja.FunctionCall) goja.Value {
		if x.nesting >= maxNesting {
			x.throwRange(label, "arrays nest more than %d levels deep", maxNesting)
		}
		x.nesting++
		defer func() { x.nesting-- }()
		return inner(call)
	}
}

// checkRunning throws once the run is stopped. The interrupt is already
// pending, so even a catch block ends at its first instruction.
func (x *execution) checkRunning() {
	if r := x.stoppedReason(); r != nil {
		panic(x.newError(r.Name, r.Message))
	}
}

// native makes a native function that looks like orig: same name and
// length (a Go function value would otherwise be named after its Go symbol).
func (x *execution) native(name string, orig goja.Value, f func(goja.FunctionCall) goja.Value) *goja.Object {
	length := 0 // without an original
	if o, ok := orig.(*goja.Object); ok {
		length = int(o.Get("length").ToInteger())
	}
	return x.rt.NewNativeFunction(name, length, f)
}

// throwRange throws a RangeError "label: msg".
func (x *execution) throwRange(label, format string, args ...any) {
	panic(x.newError(NameRange, label+": "+fmt.Sprintf(format, args...)))
}

// thisString converts this to a string once and returns its length. null
// and undefined are left for the original to refuse.
func (x *execution) thisString(call *goja.FunctionCall) int64 {
	if goja.IsUndefined(call.This) || goja.IsNull(call.This) {
		return 0
	}
	call.This = call.This.ToString()
	return strLen(call.This)
}

// strLen is the length of a string value in UTF-16 units.
func strLen(v goja.Value) int64 {
	if s, ok := v.(goja.String); ok {
		return int64(s.Length())
	}
	return int64(len(v.String()))
}

// argString converts argument i to a string once, unless it is undefined.
func argString(call *goja.FunctionCall, i int) (goja.Value, bool) {
	if i >= len(call.Arguments) || goja.IsUndefined(call.Arguments[i]) {
		return nil, false
	}
	if _, ok := call.Arguments[i].(*goja.Object); ok {
		return nil, false // a RegExp or an object with Symbol methods: the original decides
	}
	call.Arguments[i] = call.Arguments[i].ToString()
	return call.Arguments[i], true
}

// argNumber converts argument i to a number once; missing is def.
func argNumber(call *goja.FunctionCall, i int, def float64) float64 {
	if i >= len(call.Arguments) || goja.IsUndefined(call.Arguments[i]) {
		return def
	}
	call.Arguments[i] = call.Arguments[i].ToNumber()
	f := call.Arguments[i].ToFloat()
	if math.IsNaN(f) {
		return 0
	}
	return math.Trunc(f)
}

// lengthOf is ToLength(obj.length) of an object or array-like value.
func (x *execution) lengthOf(v goja.Value) int64 {
	if goja.IsUndefined(v) || goja.IsNull(v) {
		return 0
	}
	if s, ok := v.(goja.String); ok {
		return int64(s.Length())
	}
	obj, ok := v.(*goja.Object)
	if !ok {
		return 0
	}
	f := obj.Get("length")
	if f == nil {
		return 0
	}
	n := f.ToFloat()
	if math.IsNaN(n) || n <= 0 {
		return 0
	}
	return int64(min(n, math.MaxInt64/4))
}

func checkRepeat(x *execution, label string, call *goja.FunctionCall) {
	n := x.thisString(call)
	count := argNumber(call, 0, 0)
	if count > 0 && float64(n)*count > float64(x.limits.maxString) {
		x.throwRange(label, "the result would be %.0f characters; the limit is %d", float64(n)*count, x.limits.maxString)
	}
}

func checkPad(x *execution, label string, call *goja.FunctionCall) {
	x.thisString(call)
	if n := argNumber(call, 0, 0); n > float64(x.limits.maxString) {
		x.throwRange(label, "the result would be %.0f characters; the limit is %d", n, x.limits.maxString)
	}
}

func checkConcat(x *execution, label string, call *goja.FunctionCall) {
	n := x.thisString(call)
	for i := range call.Arguments {
		call.Arguments[i] = call.Arguments[i].ToString()
		n += strLen(call.Arguments[i])
	}
	if n > x.limits.maxString {
		x.throwRange(label, "the result would be %d characters; the limit is %d", n, x.limits.maxString)
	}
}

// checkExpand guards methods whose result may be up to factor times longer.
func checkExpand(factor int64) check {
	return func(x *execution, label string, call *goja.FunctionCall) {
		if n := x.thisString(call); n*factor > x.limits.maxString {
			x.throwRange(label, "the string is %d characters; the limit for this method is %d", n, x.limits.maxString/factor)
		}
	}
}

// checkSplit: every character of the string can become an element.
func checkSplit(x *execution, label string, call *goja.FunctionCall) {
	n := x.thisString(call)
	if len(call.Arguments) == 0 || goja.IsUndefined(call.Arguments[0]) {
		return // no separator: the whole string is the one element
	}
	sep, isString := argString(call, 0)
	if isString && strLen(sep) > 0 {
		return
	}
	limit := argNumber(call, 1, math.MaxUint32)
	if n > x.limits.maxStringElements && limit > float64(x.limits.maxStringElements) {
		x.throwRange(label, "splitting %d characters one by one; the limit is %d elements", n, x.limits.maxStringElements)
	}
}

// checkReplace bounds the result of replacing every match by a string
// replacement. A "$`" or "$'" in the replacement inserts the text before or
// after each match, which makes the result quadratic.
func checkReplace(x *execution, label string, call *goja.FunctionCall) {
	n := x.thisString(call)
	if len(call.Arguments) < 2 {
		return
	}
	if _, isFn := goja.AssertFunction(call.Arguments[1]); isFn {
		return
	}
	r, _ := argString(call, 1)
	if r == nil {
		return
	}
	matches := x.maxMatches(n, call)
	per := strLen(r)
	if s := r.String(); containsAny(s, "$`", "$'") {
		per += n
	}
	if total := float64(n) + float64(matches)*float64(per); total > float64(x.limits.maxString) {
		x.throwRange(label, "the result could be %.0f characters; the limit is %d", total, x.limits.maxString)
	}
}

// maxMatches bounds how often the pattern of a replace call can match.
func (x *execution) maxMatches(n int64, call *goja.FunctionCall) int64 {
	p := call.Arguments[0]
	if obj, ok := p.(*goja.Object); ok {
		if obj.ClassName() == "RegExp" && !obj.Get("global").ToBoolean() {
			return 1
		}
		return n + 1
	}
	p = p.ToString()
	call.Arguments[0] = p
	if l := strLen(p); l > 0 {
		return n / l
	}
	return n + 1
}

func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		for i := 0; i+len(sub) <= len(s); i++ {
			if s[i:i+len(sub)] == sub {
				return true
			}
		}
	}
	return false
}

func checkStringIterator(x *execution, label string, call *goja.FunctionCall) {
	if n := x.thisString(call); n > x.limits.maxStringElements {
		x.throwRange(label, "iterating %d characters; the limit is %d (split the work, or use indexOf/slice)", n, x.limits.maxStringElements)
	}
}

func checkArrayLength(x *execution, label string, call *goja.FunctionCall) {
	if n := x.lengthOf(call.This); n > x.limits.maxElements {
		x.throwRange(label, "the array has %d elements (holes count); the limit is %d", n, x.limits.maxElements)
	}
}

// checkJoin also bounds the separators and the nesting of arrays joined
// inside arrays (which goja does by recursion on the Go stack).
func checkJoin(x *execution, label string, call *goja.FunctionCall) {
	checkArrayLength(x, label, call)
	n := x.lengthOf(call.This)
	if sep, ok := argString(call, 0); ok && n > 1 {
		if total := (n - 1) * strLen(sep); total > x.limits.maxString {
			x.throwRange(label, "the separators alone would be %d characters; the limit is %d", total, x.limits.maxString)
		}
	}
}

func checkFill(x *execution, label string, call *goja.FunctionCall) {
	n := x.lengthOf(call.This)
	start := relativeIndex(argNumber(call, 1, 0), n)
	end := relativeIndex(argNumber(call, 2, float64(n)), n)
	if end-start > x.limits.maxElements {
		x.throwRange(label, "filling %d elements; the limit is %d", end-start, x.limits.maxElements)
	}
}

// relativeIndex resolves a negative index from the end, clamped to [0, n].
func relativeIndex(i float64, n int64) int64 {
	if i < 0 {
		i = max(float64(n)+i, 0)
	}
	return int64(min(i, float64(n)))
}

func checkArrayConcat(x *execution, label string, call *goja.FunctionCall) {
	n := x.lengthOf(call.This)
	for _, a := range call.Arguments {
		if obj, ok := a.(*goja.Object); ok && obj.ClassName() == "Array" {
			n += x.lengthOf(obj)
		} else {
			n++
		}
	}
	if n > x.limits.maxElements {
		x.throwRange(label, "the result would have %d elements (holes count); the limit is %d", n, x.limits.maxElements)
	}
}

func checkArrayFrom(x *execution, label string, call *goja.FunctionCall) {
	if n := x.lengthOf(call.Argument(0)); n > x.limits.maxElements {
		x.throwRange(label, "the source has %d elements; the limit is %d", n, x.limits.maxElements)
	}
}

// checkApply bounds the array-like list of arguments (argument i), which
// becomes a Go slice of that length.
func checkApply(i int) check {
	return func(x *execution, label string, call *goja.FunctionCall) {
		if n := x.lengthOf(call.Argument(i)); n > x.limits.maxStringElements {
			x.throwRange(label, "%d arguments; the limit is %d", n, x.limits.maxStringElements)
		}
	}
}

// flat keeps Array.prototype.flat from recursing deeper than maxNesting:
// a deeper request is cut to maxNesting, and arrays still left in the
// result mean the input nested deeper than that.
func (x *execution) flat(orig goja.Callable) func(goja.FunctionCall) goja.Value {
	const label = "Array.prototype.flat"
	return func(call goja.FunctionCall) goja.Value {
		x.checkRunning()
		checkArrayLength(x, label, &call)
		depth := argNumber(&call, 0, 1)
		cut := depth > maxNesting
		if cut {
			call.Arguments[0] = x.rt.ToValue(maxNesting)
		}
		v, err := orig(call.This, call.Arguments...)
		must(err)
		if cut && x.hasArray(v) {
			x.throwRange(label, "the arrays nest more than %d levels deep", maxNesting)
		}
		return v
	}
}

// hasArray reports whether an array has an array element (prelude.js
// hasArray: a loop on the VM, which the deadline interrupts).
func (x *execution) hasArray(v goja.Value) bool {
	h, err := x.help()
	must(err)
	r, err := h.hasArray(goja.Undefined(), v)
	must(err)
	return r.ToBoolean()
}

// checkJSONParse refuses text that nests too deeply (goja parses by
// recursion) or whose values would take more than half the memory budget:
// a goja object costs ~500 bytes, so "[],".repeat(n) grows ~190 times.
func checkJSONParse(x *execution, label string, call *goja.FunctionCall) {
	text, ok := argString(call, 0)
	if !ok {
		return
	}
	if err := x.jsonFits(text.String()); err != "" {
		x.throwRange(label, "%s", err)
	}
}

// Approximate costs of goja values made by JSON.parse, measured.
const (
	costObject  = 600
	costElement = 32
)

// jsonFits returns why JSON text may not be parsed in this sandbox, or "".
func (x *execution) jsonFits(text string) string { return jsonFits(x, text) }

// jsonFits is the method for a string or, without copying it, the bytes
// of a tool's result.
func jsonFits[T ~string | ~[]byte](x *execution, text T) string {
	depth, peak, containers, elements := 0, 0, int64(0), int64(0)
	inString := false
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case inString:
			if c == '\\' {
				i++
			} else if c == '"' {
				inString = false
			}
		case c == '"':
			inString = true
		case c == '[' || c == '{':
			depth++
			peak = max(peak, depth)
			containers++
		case c == ']' || c == '}':
			depth--
		case c == ',':
			elements++
		}
	}
	if peak > maxNesting {
		return fmt.Sprintf("the text nests more than %d levels deep", maxNesting)
	}
	cost := containers*costObject + elements*costElement + 2*int64(len(text))
	if cost > x.limits.memory/2 {
		return fmt.Sprintf("the parsed value would take about %d MB, more than half the %d MB memory limit; parse smaller pieces",
			cost>>20, x.limits.memory>>20)
	}
	return ""
}

func checkCompile(x *execution, label string, call *goja.FunctionCall) {
	if p, ok := argString(call, 0); ok {
		if err := x.patternFits(p.String()); err != "" {
			panic(x.newError(NameSyntax, label+": "+err))
		}
	}
}

// patternFits returns why a RegExp pattern may not be compiled, or "".
func (x *execution) patternFits(p string) string {
	switch {
	case len(p) > x.limits.maxCode:
		return fmt.Sprintf("the pattern is %d bytes; the limit is %d", len(p), x.limits.maxCode)
	case !patternWithin(p, maxNesting):
		return fmt.Sprintf("the pattern's groups nest more than %d levels deep", maxNesting)
	}
	return ""
}

//go:embed guards.js
var guardSource string

// guardProgram is compiled once; a goja.Program may run in many runtimes.
var guardProgram = sync.OnceValue(func() *goja.Program {
	return goja.MustCompile("guards.js", guardSource, true)
})

// jsGuards runs guards.js, the first time goja makes a built-in it wraps,
// with the limits, the Go checks it calls and the built-ins it uses (goja's
// own: it may run after the script replaced the globals), and keeps the
// wrapCtor and wrapFunction it returns. It makes none of the built-ins it
// wraps, so it never runs within itself; were it to, that is an internal
// error, not a built-in left unguarded.
func (x *execution) jsGuards() error {
	switch {
	case x.wrapFunction != nil:
		return nil
	case x.guardsRunning:
		return errors.New("guards.js made a built-in it wraps")
	}
	x.guardsRunning = true
	defer func() { x.guardsRunning = false }()
	v, err := x.rt.RunProgram(guardProgram())
	if err != nil {
		return err
	}
	install, ok := goja.AssertFunction(v)
	if !ok {
		return fmt.Errorf("guards.js: not a function")
	}
	lim := x.privateObject()
	must(lim.Set("maxString", x.limits.maxString))
	must(lim.Set("maxElements", x.limits.maxElements))
	must(lim.Set("maxStringElements", x.limits.maxStringElements))
	must(lim.Set("maxBuffer", x.limits.maxBuffer))
	must(lim.Set("maxNesting", maxNesting))
	g := x.privateObject()
	must(g.Set("limits", lim))
	must(g.Set("checkPattern", x.native("checkPattern", nil, x.checkPattern)))
	must(g.Set("originalOf", x.originalOfFn))
	must(g.Set("errorCtor", x.native("errorCtor", nil, func(call goja.FunctionCall) goja.Value {
		c, _ := x.errorCtor(call.Argument(0).String())
		return c
	})))
	must(g.Set("elementSize", x.native("elementSize", nil, func(call goja.FunctionCall) goja.Value {
		return x.rt.ToValue(lazyCtors[call.Argument(0).String()])
	})))
	must(g.Set("String", x.rt.Intrinsic("String")))
	must(g.Set("Number", x.rt.Intrinsic("Number")))
	for name, f := range map[string]func(*goja.Runtime, goja.FunctionCall) goja.Value{
		"min": (*goja.Runtime).MathMin, "floor": (*goja.Runtime).MathFloor,
		"defineProperty": (*goja.Runtime).ObjectDefineProperty, "setPrototypeOf": (*goja.Runtime).ObjectSetPrototypeOf,
		"isArray": (*goja.Runtime).ArrayIsArray, "slice": (*goja.Runtime).ArraySlice, "indexOf": (*goja.Runtime).ArrayIndexOf,
	} {
		must(g.Set(name, x.rt.ToValue(func(call goja.FunctionCall) goja.Value { return f(x.rt, call) })))
	}
	m, err := install(goja.Undefined(), g)
	if err != nil {
		return err
	}
	obj := m.ToObject(x.rt)
	wc, ok1 := goja.AssertFunction(obj.Get("wrapCtor"))
	wf, ok2 := goja.AssertFunction(obj.Get("wrapFunction"))
	if !ok1 || !ok2 {
		return fmt.Errorf("guards.js: returned no wrapCtor or wrapFunction")
	}
	x.wrapCtor, x.wrapFunction = wc, wf
	return nil
}

// privateObject returns a new object without a prototype, for what Go
// hands guards.js and web.js: they run when first needed, maybe after the
// code defined accessors on Object.prototype, which would take the sets of
// an ordinary object's properties (and with originalOf, the originals the
// guards wrap) and answer its gets.
func (x *execution) privateObject() *goja.Object {
	o := x.rt.NewObject()
	must(o.SetPrototype(nil))
	return o
}

// checkCompiled is goja's compile hook (third_party/goja/PATCHES.md): the
// checks of the model's code (checkSource) for code compiled at run time,
// before goja parses it — the argument of eval, and the source the Function
// constructors assemble ("(function anonymous(" + params + "\n) {\n" +
// body + "\n})"). What is checked is what is compiled: a toString that
// answers differently the second time has no second time.
func (x *execution) checkCompiled(src string) {
	x.checkRunning()
	if err := checkSource(src, x.limits.maxCode); err != nil {
		msg := err.Message
		if err.Line > 0 {
			msg += fmt.Sprintf(" (line %d of the code given to eval or Function)", err.Line)
		}
		panic(x.newError(NameSyntax, msg))
	}
}

func (x *execution) checkPattern(call goja.FunctionCall) goja.Value {
	x.checkRunning()
	if err := x.patternFits(call.Argument(0).String()); err != "" {
		panic(x.newError(NameSyntax, "RegExp: "+err))
	}
	return goja.Undefined()
}
