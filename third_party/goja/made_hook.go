package goja

// Patched: see PATCHES.md ("A hook on built-in objects made whole").

// MadeHook is called with a built-in object that goja makes when it is
// first needed. Those goja makes whole, with all their properties:
// "Reflect", "JSON", "RegExp.prototype" (once its constructor is made too:
// the two are made together, by a regular expression literal as well as by
// the global), and "ArrayBuffer.prototype" (the same, made by any typed
// array too). And those whose properties goja makes on first use, through
// the built-in hook (SetBuiltinHook): "Array.prototype",
// "String.prototype", "Promise" and "Object", and "Array", whose three
// statics are made with it (see madeTemplated). It runs on the runtime's
// goroutine, once per object and runtime, before any code can reach the
// object; it may replace the object's properties.
type MadeHook func(name string, obj *Object)

// SetMadeHook sets the hook called as those built-ins are made (nil:
// none). An object made before the hook was set is not passed to it.
func (r *Runtime) SetMadeHook(hook MadeHook) {
	r.madeHook = hook
}

// beginMaking and endMaking bracket the making of RegExp and its
// prototype, or ArrayBuffer and its, which make each other: the hook runs
// when the outer one ends, with both whole.
func (r *Runtime) beginMaking() { r.making++ }

func (r *Runtime) endMaking(name string, obj func() *Object) {
	r.making--
	if r.making == 0 && r.madeHook != nil {
		r.madeHook(name, obj())
	}
}

// madeTemplated calls the made hook with a built-in object goja has just
// made whose properties it makes on first use (through the built-in hook,
// SetBuiltinHook): "Array.prototype", "String.prototype", "Promise" and
// "Object"; and "Array", whose three statics it makes with it. So an
// embedder that guards some of their properties learns which objects they
// are without making them. It is called at once, even while RegExp or
// ArrayBuffer is being made.
func (r *Runtime) madeTemplated(name string, obj *Object) {
	if r.madeHook != nil {
		r.madeHook(name, obj)
	}
}
