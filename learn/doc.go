// Package learn infers the TypeScript result types of tools that declare no
// outputSchema from the results they return (README: Learned result types): almost no MCP server
// declares one, and a model that must guess a result's shape spends a call
// printing it.
//
//	s, _ := learn.Of([]byte(`{"id":1,"tags":["a"]}`))
//	s = learn.Merge(s, other)   // widen with another result
//	typegen.TypeOf(s.Schema())  // { id: number; tags: string[] }
//
// # What is kept
//
// Only shapes: property names, JSON types, array element types, which
// properties some results lacked (optional) and which types a place held
// (a union). Never a value, nor a key that looks like data: an object with
// such a key (an id, a date, an e-mail address, a path, a token) or with
// more than [MaxProps] keys is a record, Record<string, T>, whose keys are
// not kept (see [DataKey]). Every bound is stated at [Shape].
//
// # Keeping it
//
// A [Book] keeps the shapes of every tool by subject and definition hash
// (a tool whose definition changed starts over), merges results off the
// calls' path, and writes them behind to a store. See book.go.
package learn
