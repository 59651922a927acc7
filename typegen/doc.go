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
//	/** Create entities */
//	create_entities(args: { entities: { name: string; observations: string[] }[] }): Promise<unknown>;
//	/** Read the graph */
//	read_graph(args?: {}): Promise<unknown>;
//	};
//
// # Output
//
// The output is a global script (no import or export), so `typeof N.T` is a
// function type in any file compiled with it, and it compiles with
// `tsc --strict --noEmit --target es2022 --lib es2022` on its own. The
// argument is optional (`args?:`) when the schema requires nothing.
//
// It is laid out for a model's tokens, not a style guide's: methods at the
// left margin of their namespace, one space of indentation per level, objects
// on one line when short and undocumented. A type is named only when it must
// be or when that is shorter: a recursive schema, a $ref target used twice
// with a long body, or an inline object shape repeated within a namespace
// (memory's entity, in the arguments of one tool and the results of four).
// Such types are declared once above their namespace as `type NS_Name = ...;`,
// named after the $defs entry, the shape's title, or the property it is the
// value of (entities → memory_Entity); the namespace prefix keeps names apart
// across servers, a numeric suffix within one. A method's arguments and
// result themselves are always written at the method.
//
// # Names
//
// [Identifier], [NamespaceNames] and [MethodNames] implement the naming that README
// "What the model sees" describes: callers run them once and use the final names both here and for
// the sandbox's bindings and argument errors, so what the model reads is what
// it can call. Collisions are resolved independently of input order.
// Property names that are not identifiers are quoted.
//
// # What the types say
//
// An input type admits every value the schema accepts, and no value of a
// JSON type the schema excludes: $ref (local, recursive, to anchors, and
// against the base URI of nested $ids), anyOf/oneOf, allOf, enum and const
// (less the values type excludes), type arrays, OpenAPI's nullable, tuples
// (prefixItems, array items, additionalItems, minItems, maxItems),
// additionalProperties, patternProperties (a pattern matching every name
// types every key), propertyNames listing the keys, unevaluatedProperties
// standing alone, dependentSchemas as { key?: undefined } | Schema, and
// boolean schemas. Combinators are narrowed by the JSON types every part
// admits: {type: "object", anyOf: [{type: "string"}, X]} is X, and parts no
// value satisfies make never. Of duplicate keys the last counts, as in
// JSON.parse.
//
// Where TypeScript cannot say what a keyword says, the type admits more,
// never less, and the keyword becomes a terse hint in the property's JSDoc
// or is left out: format, numeric range and multipleOf, string length,
// pattern, item counts of plain arrays, uniqueness, property counts and
// propertyNames constraints are hints ("(uri, length 1..64) @default 3");
// dependentRequired is "(requires b, c)"; if/then/else is (If & Then) | Else
// (nothing with then alone); not is understood only as "none of these JSON
// types" (not: {type: "null"} is {}) or "nothing"; oneOf's exclusivity is
// lost. One reading goes the other way: a schema without type is taken to be
// of the type its keywords imply (properties: an object), as every tool
// author means it, though JSON Schema lets such a schema accept any other
// value too.
//
// What degrades to unknown, so the model still gets a usable declaration:
// invalid JSON (with a comment saying so), external or unresolvable $refs
// (with a comment naming the ref), a $ref cycle that goes through no object
// or array (A = B, B = A), and unknown type names.
//
// # Descriptions
//
// Descriptions are collapsed to one line (whitespace runs become a space),
// stripped of control characters, and cut at Options.MaxDescription runes
// with "…"; "*/" is written as "*\/". None is written twice in a namespace:
// a property with the name and description of one already shown goes
// without, and a result type leaves out any description already shown. A
// title stands in for a missing description unless it only restates the
// property's name ("Per Page" for per_page). The text of every description
// is in the output once (TestNothingLost).
//
// # Guarantees
//
// All functions are safe for concurrent use: they share no mutable state.
//
// Determinism: the same input gives byte-identical output. Properties keep
// their schema order (objects are decoded in order, never through a map),
// and nothing depends on map iteration order.
//
// Safety: whatever a description, default, format, pattern, $ref or
// property name contains, it cannot end a comment early or escape a string
// literal.
//
// Nothing panics on bad input (fuzzed, and every output parses with
// esbuild), and hostile schemas stay cheap: nesting is cut at 48 levels,
// $ref expansion is bounded, and output grows linearly with the schema.
// Declaring 1,000 tools takes about 15 ms (BenchmarkDeclarations1000);
// servers cache the result per tool-set version.
package typegen
