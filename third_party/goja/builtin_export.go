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
