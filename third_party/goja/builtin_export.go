package goja

// Patched: see PATCHES.md ("Built-ins an embedder calls as goja made them").

// JSONStringify, JSONParse and ArrayFrom are JSON.stringify, JSON.parse and
// Array.from as goja implements them, for an embedder that calls them
// whatever the script did to the globals, without making the JSON object
// or the Array constructor's statics. Call them on the runtime's goroutine,
// as natives (Runtime.ToValue makes each a function).
func (r *Runtime) JSONStringify(call FunctionCall) Value { return r.builtinJSON_stringify(call) }

// JSONParse: see JSONStringify.
func (r *Runtime) JSONParse(call FunctionCall) Value { return r.builtinJSON_parse(call) }

// ArrayFrom: see JSONStringify.
func (r *Runtime) ArrayFrom(call FunctionCall) Value { return r.array_from(call) }

// ArrayIsArray, ObjectDefineProperty, ObjectSetPrototypeOf,
// ObjectGetPrototypeOf, NumberIsFinite, MathMin and MathFloor are those
// functions as goja implements them: see JSONStringify.
func (r *Runtime) ArrayIsArray(call FunctionCall) Value { return r.array_isArray(call) }

// ObjectDefineProperty: see ArrayIsArray.
func (r *Runtime) ObjectDefineProperty(call FunctionCall) Value { return r.object_defineProperty(call) }

// ObjectSetPrototypeOf: see ArrayIsArray.
func (r *Runtime) ObjectSetPrototypeOf(call FunctionCall) Value { return r.object_setPrototypeOf(call) }

// ObjectGetPrototypeOf: see ArrayIsArray.
func (r *Runtime) ObjectGetPrototypeOf(call FunctionCall) Value { return r.object_getPrototypeOf(call) }

// NumberIsFinite: see ArrayIsArray.
func (r *Runtime) NumberIsFinite(call FunctionCall) Value { return r.number_isFinite(call) }

// MathMin: see ArrayIsArray.
func (r *Runtime) MathMin(call FunctionCall) Value { return r.math_min(call) }

// MathFloor: see ArrayIsArray.
func (r *Runtime) MathFloor(call FunctionCall) Value { return r.math_floor(call) }

// ArraySlice and ArrayIndexOf are Array.prototype.slice and indexOf as goja
// implements them, called on their first argument: slice(a, 1) is
// a.slice(1) whatever the script did to Array.prototype.
func (r *Runtime) ArraySlice(call FunctionCall) Value { return r.arrayproto_slice(thisFirst(call)) }

// ArrayIndexOf: see ArraySlice.
func (r *Runtime) ArrayIndexOf(call FunctionCall) Value { return r.arrayproto_indexOf(thisFirst(call)) }

func thisFirst(call FunctionCall) FunctionCall {
	c := FunctionCall{This: call.Argument(0)}
	if len(call.Arguments) > 1 {
		c.Arguments = call.Arguments[1:]
	}
	return c
}

// Intrinsic returns the built-in object named (the String and Number
// constructors, Object.prototype, Function.prototype) as goja made it,
// making it now if it was not: the original, whatever the script did to
// the globals. It returns nil for any other name.
func (r *Runtime) Intrinsic(name string) *Object {
	switch name {
	case "String":
		return r.getString()
	case "Number":
		return r.getNumber()
	case "Object.prototype":
		return r.global.ObjectPrototype
	case "Function.prototype":
		return r.global.FunctionPrototype
	}
	return nil
}

// Made returns the built-in object at path if goja has made it, else nil,
// without making it: "Array", "Array.prototype", "String.prototype",
// "Promise", "Object" and "Function.prototype" (made with the runtime).
// The made hook is given the first five as goja makes them.
func (r *Runtime) Made(path string) *Object {
	switch path {
	case "Array":
		return r.global.Array
	case "Array.prototype":
		return r.global.ArrayPrototype
	case "String.prototype":
		return r.global.StringPrototype
	case "Promise":
		return r.global.Promise
	case "Object":
		return r.global.Object
	case "Function.prototype":
		return r.global.FunctionPrototype
	}
	return nil
}
