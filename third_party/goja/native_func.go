package goja

import "github.com/dop251/goja/unistring"

// Patched: see PATCHES.md ("Native functions made with their name and length").

// NewNativeFunction makes a native function with that name and length, as
// the built-ins are made. ToValue of a func(FunctionCall) Value names it
// after its Go symbol (looked up at run time) with length 0, and setting
// both afterwards takes two property definitions.
func (r *Runtime) NewNativeFunction(name string, length int, call func(FunctionCall) Value) *Object {
	return r.newNativeFunc(call, unistring.NewFromString(name), length)
}
