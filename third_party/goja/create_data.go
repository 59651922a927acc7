package goja

import "github.com/dop251/goja/unistring"

// Patched: see PATCHES.md ("Data properties created at once").

// CreateDataProperty defines name on o as a writable, enumerable and
// configurable data property holding value, as JSON.parse does
// (CreateDataProperty: no setter runs, "__proto__" is a property like any
// other). On an ordinary extensible object that does not have the property
// yet it stores it at once; otherwise it defines it as DefineDataProperty
// does. It reports whether the property was defined.
func (o *Object) CreateDataProperty(name string, value Value) bool {
	if b, ok := o.self.(*baseObject); ok && b.extensible {
		n := unistring.NewFromString(name)
		if _, exists := b.values[n]; !exists {
			b._put(n, value)
			return true
		}
	}
	return o.DefineDataProperty(name, value, FLAG_TRUE, FLAG_TRUE, FLAG_TRUE) == nil
}
