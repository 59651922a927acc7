package sandbox

import (
	"slices"
	"strconv"
	"sync"

	"github.com/dop251/goja"
)

// Namespaces made on first use (issue 18). Making a goja function for every
// binding of every execution cost about 0.8 µs and 1 KB per tool: 4 ms of
// setup and 4 MB per waiting execution at 5,000 tools. Instead each
// namespace global is a Proxy over a fresh, empty object (the target) of
// this runtime, and a method becomes a real function, defined on the
// target, the first time the code touches its name (reads, calls, defines,
// describes or deletes it, or freezes or lists the namespace). What the
// code sees is what installBindings made before: an ordinary extensible
// object with one writable, enumerable, configurable method per binding,
// in the bindings' order, whose prototype is Object.prototype (accessors
// too, configurable or not: goja's proxy invariant check is patched, see
// third_party/goja/PATCHES.md).
//
// The fresh-runtime guarantee holds as before: the proxy, its target and
// every function are made in this execution's runtime and die with it.
// Across runtimes only the bindingTable is shared, a Go value that no trap
// writes (built once per slice of bindings). Whatever a run does to a
// namespace (adds, deletes or replaces methods, freezes it, changes its
// prototype) happens to its own target, which the next run never sees.

// bindingTable is what a slice of bindings makes of the global object:
// read only once built, shared by every runtime set up with those bindings.
type bindingTable struct {
	bindings   []Binding // the slice it was built from (Options.Bindings is not changed once given)
	namespaces []*nsTable
}

// nsTable is one namespace of a bindingTable.
type nsTable struct {
	name    string
	methods []Binding      // in order of first appearance; a later binding of a name replaces an earlier one
	index   map[string]int // method name → position in methods
}

// tables keeps the tables of the latest slices of bindings: the server
// passes the same slice to every run of one version of its API.
var tables struct {
	sync.Mutex
	recent []*bindingTable // most recent first
}

// maxTables bounds tables.recent.
const maxTables = 4

// tableFor returns the table of bs, building it unless one of the recent
// tables was built from the same bindings. The same slice is found at
// once; another slice of the same bindings is compared binding by binding
// (200 µs at 5,000), once: the table keeps the slice it was last found
// for, so the runs given that slice find it at once too.
func tableFor(bs []Binding) *bindingTable {
	tables.Lock()
	defer tables.Unlock()
	for i, t := range tables.recent {
		if SameBindings(t.bindings, bs) {
			t.bindings = bs
			copy(tables.recent[1:i+1], tables.recent[:i])
			tables.recent[0] = t
			return t
		}
	}
	t := newTable(bs)
	tables.recent = slices.Insert(tables.recent, 0, t)
	tables.recent = tables.recent[:min(len(tables.recent), maxTables)]
	return t
}

func newTable(bs []Binding) *bindingTable {
	t := &bindingTable{bindings: bs}
	byName := map[string]*nsTable{}
	for _, b := range bs {
		ns := byName[b.Object]
		if ns == nil {
			ns = &nsTable{name: b.Object, index: map[string]int{}}
			byName[b.Object] = ns
			t.namespaces = append(t.namespaces, ns)
		}
		if i, ok := ns.index[b.Method]; ok {
			ns.methods[i] = b // defined again: the value changes, the place stays
			continue
		}
		ns.index[b.Method] = len(ns.methods)
		ns.methods = append(ns.methods, b)
	}
	return t
}

// A method's state in one runtime; absent from namespace.state, it is not
// made yet and the target does not have it.
const (
	made uint8 = iota + 1 // defined on the target; the target decides from now on
	gone                  // made (or not yet), then deleted: listed as the target lists it
)

// namespace is one namespace object of one runtime.
type namespace struct {
	table *nsTable
	state map[string]uint8 // made lazily
	// fns holds the methods made, while every one of them is still the
	// target's own data property as make defined it: until the code first
	// sets, defines, deletes or freezes anything on the namespace (changed).
	// Reading one then needs no Reflect.get: a data property's value does
	// not depend on the receiver.
	fns     map[string]goja.Value
	changed bool
}

// nsProxies are the namespace proxies of one runtime: one trap
// configuration for all, finding the namespace by its target.
type nsProxies struct {
	x  *execution
	of map[*goja.Object]*namespace
	// Reflect's original functions, taken on the first trap (Reflect is
	// made on first use: builtinMade takes its originals).
	get, set, has, defineProperty, deleteProperty, getOwnPropertyDescriptor, ownKeys, preventExtensions goja.Callable
}

// installBindings defines one global per namespace of the bindings: a
// proxy whose methods are made on first use. Properties are defined, not
// assigned, so a name like "__proto__" is a plain property too.
func (x *execution) installBindings() {
	if len(x.opts.Bindings) == 0 {
		return
	}
	t := tableFor(x.opts.Bindings)
	p := &nsProxies{x: x, of: make(map[*goja.Object]*namespace, len(t.namespaces))}
	traps := p.traps()
	for _, ns := range t.namespaces {
		target := x.rt.NewObject()
		p.of[target] = &namespace{table: ns}
		x.define(x.rt.GlobalObject(), ns.name, x.rt.ToValue(x.rt.NewProxy(target, traps)))
	}
}

func (p *nsProxies) takeReflect() {
	for name, f := range map[string]*goja.Callable{
		"get": &p.get, "set": &p.set, "has": &p.has, "defineProperty": &p.defineProperty,
		"deleteProperty": &p.deleteProperty, "getOwnPropertyDescriptor": &p.getOwnPropertyDescriptor,
		"ownKeys": &p.ownKeys, "preventExtensions": &p.preventExtensions,
	} {
		fn, ok := goja.AssertFunction(p.x.original("Reflect."+name, true))
		if !ok {
			panic("sandbox: Reflect." + name + " is not a function")
		}
		*f = fn
	}
}

// traps makes every operation on a method's name make the method first
// (or, for `in` and delete, answer for it), then does what Reflect does.
// Reading a method or asking for it with `in` answers from fns while the
// namespace is unchanged, so that calling a tool does not make Reflect
// whole (about 40 µs). Symbol keys are left to the target: no method is one.
func (p *nsProxies) traps() *goja.ProxyTrapConfig {
	return &goja.ProxyTrapConfig{
		Get: func(t *goja.Object, k string, recv goja.Value) goja.Value {
			p.make(t, k)
			if ns := p.of[t]; !ns.changed {
				if f, ok := ns.fns[k]; ok {
					return f
				}
			}
			v := p.call(&p.get, t, p.x.rt.ToValue(k), recv)
			if goja.IsUndefined(v) && !p.call(&p.has, t, p.x.rt.ToValue(k)).ToBoolean() {
				return nil // absent: calling it is "Object has no member", as on any object
			}
			return v
		},
		Set: func(t *goja.Object, k string, v, recv goja.Value) bool {
			p.make(t, k)
			p.of[t].changed = true
			return p.call(&p.set, t, p.x.rt.ToValue(k), v, recv).ToBoolean()
		},
		Has: func(t *goja.Object, k string) bool {
			if p.pending(t, k) {
				return true
			}
			if ns := p.of[t]; !ns.changed && ns.fns[k] != nil {
				return true
			}
			return p.call(&p.has, t, p.x.rt.ToValue(k)).ToBoolean()
		},
		DeleteProperty: func(t *goja.Object, k string) bool {
			ns := p.of[t]
			ns.changed = true
			if p.pending(t, k) {
				ns.mark(k, gone)
				return true
			}
			ok := p.call(&p.deleteProperty, t, p.x.rt.ToValue(k)).ToBoolean()
			if ok && ns.state[k] == made {
				ns.mark(k, gone)
			}
			return ok
		},
		DefineProperty: func(t *goja.Object, k string, d goja.PropertyDescriptor) bool {
			p.make(t, k)
			p.of[t].changed = true
			return p.call(&p.defineProperty, t, p.x.rt.ToValue(k), p.descriptorObject(d)).ToBoolean()
		},
		GetOwnPropertyDescriptor: func(t *goja.Object, k string) goja.PropertyDescriptor {
			p.make(t, k)
			return descriptor(p.call(&p.getOwnPropertyDescriptor, t, p.x.rt.ToValue(k)))
		},
		OwnKeys: p.keys,
		PreventExtensions: func(t *goja.Object) bool {
			p.makeAll(t)
			p.of[t].changed = true
			return p.call(&p.preventExtensions, t).ToBoolean()
		},
	}
}

// call calls one of Reflect's functions, taking them first if need be; an
// exception propagates to the code.
func (p *nsProxies) call(f *goja.Callable, args ...goja.Value) goja.Value {
	if *f == nil {
		p.takeReflect()
	}
	v, err := (*f)(goja.Undefined(), args...)
	must(err)
	return v
}

// pending reports whether k names a method of t's namespace not made yet.
func (p *nsProxies) pending(t *goja.Object, k string) bool {
	ns := p.of[t]
	if _, ok := ns.table.index[k]; !ok {
		return false
	}
	_, touched := ns.state[k]
	return !touched
}

// make defines method k on t, if it is one not made yet.
func (p *nsProxies) make(t *goja.Object, k string) {
	if !p.pending(t, k) {
		return
	}
	ns := p.of[t]
	b := ns.table.methods[ns.table.index[k]]
	f := p.x.rt.ToValue(p.x.native(b.Method, nil, p.x.bindingMethod(b)))
	p.x.define(t, k, f)
	ns.mark(k, made)
	if ns.fns == nil {
		ns.fns = map[string]goja.Value{}
	}
	ns.fns[k] = f
}

// makeAll makes every method not made yet, in the bindings' order: before
// the target stops being extensible, which fixes its keys.
func (p *nsProxies) makeAll(t *goja.Object) {
	for _, b := range p.of[t].table.methods {
		p.make(t, b.Method)
	}
}

func (ns *namespace) mark(k string, s uint8) {
	if ns.state == nil {
		ns.state = map[string]uint8{}
	}
	ns.state[k] = s
}

// keys lists the namespace's own keys in the order of an ordinary object
// set up by installBindings: the methods not deleted, in the bindings'
// order (whether made yet or not), then the keys the code added, in the
// order it added them (a method deleted and defined again among them).
func (p *nsProxies) keys(t *goja.Object) *goja.Object {
	ns := p.of[t]
	var out []any
	for _, b := range ns.table.methods {
		if s := ns.state[b.Method]; s != gone {
			out = append(out, b.Method)
		}
	}
	own := p.call(&p.ownKeys, t).ToObject(p.x.rt)
	n := int(own.Get("length").ToInteger())
	for i := range n {
		k := own.Get(strconv.Itoa(i))
		if s, ok := k.Export().(string); ok && ns.state[s] == made {
			if _, method := ns.table.index[s]; method {
				continue // listed in its place above
			}
		}
		out = append(out, k)
	}
	return p.x.rt.NewArray(out...)
}

// descriptorObject is d as the object Reflect.defineProperty takes.
func (p *nsProxies) descriptorObject(d goja.PropertyDescriptor) *goja.Object {
	o := p.x.rt.NewObject()
	must(o.SetPrototype(nil)) // no field inherited from what the code put on Object.prototype
	set := func(k string, v goja.Value) { must(o.Set(k, v)) }
	if d.Value != nil {
		set("value", d.Value)
	}
	for k, f := range map[string]goja.Flag{"writable": d.Writable, "enumerable": d.Enumerable, "configurable": d.Configurable} {
		if f != goja.FLAG_NOT_SET {
			set(k, p.x.rt.ToValue(f.Bool()))
		}
	}
	if d.Getter != nil {
		set("get", d.Getter)
	}
	if d.Setter != nil {
		set("set", d.Setter)
	}
	return o
}

// descriptor is what Reflect.getOwnPropertyDescriptor returned, as a trap
// returns it (the zero descriptor for undefined).
func descriptor(v goja.Value) goja.PropertyDescriptor {
	var d goja.PropertyDescriptor
	o, ok := v.(*goja.Object)
	if !ok {
		return d
	}
	flag := func(k string) goja.Flag {
		if f := o.Get(k); f != nil {
			return goja.ToFlag(f.ToBoolean())
		}
		return goja.FLAG_NOT_SET
	}
	d.Value, d.Getter, d.Setter = o.Get("value"), o.Get("get"), o.Get("set")
	d.Writable, d.Enumerable, d.Configurable = flag("writable"), flag("enumerable"), flag("configurable")
	return d
}
