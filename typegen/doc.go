// Package typegen turns MCP tool schemas into the TypeScript declarations the
// model codes against: each server becomes a global object, each tool a
// method returning a Promise, with argument and result types generated from
// the tools' JSON Schemas and descriptions kept as concise JSDoc.
//
// It is pure text generation, a leaf package: no MCP, no JavaScript engine.
//
//	names := typegen.MethodNames([]string{"create-entities", "read_graph"})
//	decls := typegen.Declarations([]typegen.Namespace{{
//		Name: typegen.NamespaceNames([]string{"memory"})[0],
//		Tools: []typegen.Tool{
//			{Name: names[0], Description: "Create entities", InputSchema: in},
//			{Name: names[1], Description: "Read the graph"},
//		},
//	}}, typegen.Options{})
//
// gives
//
//	declare const memory: {
//	  /** Create entities */
//	  create_entities(args: { entities: { name: string; observations: string[] }[] }): Promise<unknown>;
//	  /** Read the graph */
//	  read_graph(args?: {}): Promise<unknown>;
//	};
//
// # Output
//
// The output is a global script (no import or export), so `typeof N.T` is a
// function type in any file compiled with it, and it compiles with
// `tsc --strict --noEmit --target es2022 --lib es2022` on its own. The
// argument is optional (`args?:`) when the schema requires nothing. A schema
// used more than once with a long body, or recursive, is declared once as
// `type NS_Name = ...;` above its namespace; the namespace prefix keeps those
// names apart across servers, and a numeric suffix keeps them apart within
// one. Everything else is inlined.
//
// # Names
//
// [Identifier], [NamespaceNames] and [MethodNames] implement SPEC §4's
// naming: callers run them once and use the final names both here and for
// the sandbox's bindings, so what the model reads is what it can call.
// Collisions are resolved independently of input order.
//
// # Guarantees
//
// All functions are safe for concurrent use: they share no mutable state.
//
// Determinism: the same input gives byte-identical output. Properties keep
// their schema order (objects are decoded in order, never through a map),
// and nothing depends on map iteration order.
//
// Descriptions are safe: whatever a description, default, format, pattern,
// $ref or property name contains, it cannot end a comment early or escape a
// string literal. Descriptions are collapsed to one line, stripped of control
// characters, cut at Options.MaxDescription runes with "…", and "*/" is
// written as "*\/". Property names that are not identifiers are quoted.
//
// Nothing panics on bad input, and hostile schemas stay cheap: nesting is cut
// at 48 levels, $ref expansion is bounded, and output grows linearly with the
// schema.
//
// What degrades to unknown, so the model still gets a usable declaration:
// invalid JSON (with a comment saying so), external or unresolvable $refs
// (with a comment naming the ref), a $ref cycle that goes through no object
// or array (A = B, B = A), unknown type names, and keywords TypeScript
// cannot express (not, if/then/else, dependencies). Constraints such as
// format, numeric range, length, item count, pattern and uniqueness become
// terse JSDoc hints on properties, like "(uri, 1..10)".
package typegen
