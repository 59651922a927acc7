package goja

import "github.com/dop251/goja/unistring"

// Patched: see PATCHES.md ("A hook on built-in properties made on first use").

// BuiltinHook is called with each property of a built-in object as goja
// makes it, on first use: holder is the built-in object (the global
// object, String.prototype, …), name the property's name, or "" with sym
// its symbol, and v its value. It returns the value to store instead, or v.
// It runs on the runtime's goroutine, once per property and runtime, and
// is not called for accessor properties.
type BuiltinHook func(holder *Object, name string, sym *Symbol, v Value) Value

// SetBuiltinHook sets the hook called as built-in properties are made (nil:
// none). A property made before the hook was set is not passed to it:
// OwnMaterialised tells which.
func (r *Runtime) SetBuiltinHook(hook BuiltinHook) {
	r.builtinHook = hook
}

// hookBuiltin passes a template property's value to the hook, keeping its
// attributes.
func (r *Runtime) hookBuiltin(holder *Object, name unistring.String, sym *Symbol, v Value) Value {
	if r.builtinHook == nil || v == nil {
		return v
	}
	if p, ok := v.(*valueProperty); ok {
		if p.accessor {
			return v
		}
		nv := r.builtinHook(holder, name.String(), sym, p.value)
		if nv == p.value {
			return v
		}
		cp := *p
		cp.value = nv
		return &cp
	}
	return r.builtinHook(holder, name.String(), sym, v)
}

// OwnMaterialised reports whether o's own property name (or symbol sym,
// when name is "") is already made: always for an object that is not a
// built-in made on first use, and for a property it does not have.
func (o *Object) OwnMaterialised(name string, sym *Symbol) bool {
	var t *templatedObject
	switch s := o.self.(type) {
	case *templatedObject:
		t = s
	case *templatedFuncObject:
		t = &s.templatedObject
	case *templatedArrayObject:
		t = &s.templatedObject
	default:
		return true
	}
	if sym != nil {
		return t.symValues != nil || t.tmpl.symProps[sym] == nil
	}
	_, made := t.values[unistring.NewFromString(name)]
	return made || t.tmpl.props[unistring.NewFromString(name)] == nil
}
