package typegen

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// featureCase is one expectTS check: a schema and the exact TypeScript that
// TypeOf renders for it.
type featureCase struct {
	name, schema, want string
}

// expectTS checks TypeOf(schema) against want, in the style of esbuild's
// expectPrinted.
func expectTS(t *testing.T, schema, want string) {
	t.Helper()
	if got := TypeOf(json.RawMessage(schema)); got != want {
		t.Errorf("TypeOf(%s) mismatch (-want +got):\n%s", schema, cmp.Diff(want, got))
	}
}

func runFeatures(t *testing.T, cases []featureCase) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { expectTS(t, c.schema, c.want) })
	}
}

var primitiveCases = []featureCase{
	{"string", `{"type":"string"}`, `string`},
	{"number", `{"type":"number"}`, `number`},
	{"integer", `{"type":"integer"}`, `number`},
	{"boolean", `{"type":"boolean"}`, `boolean`},
	{"null", `{"type":"null"}`, `null`},
	{"unknown type name", `{"type":"file"}`, `unknown`},
	{"empty schema", `{}`, `unknown`},
	{"empty input", ``, `unknown`},
	{"true schema", `true`, `unknown`},
	{"false schema", `false`, `never`},
	{"annotations only", `{"description":"anything","title":"Any"}`, `unknown`},
	{"type array", `{"type":["string","number"]}`, `string | number`},
	{"nullable type array", `{"type":["string","null"]}`, `string | null`},
	{"type array with unknown", `{"type":["string","file"]}`, `unknown`},
	{"empty type array", `{"type":[]}`, `unknown`},
	{"integer and number merge", `{"type":["integer","number"]}`, `number`},
	{"openapi nullable", `{"type":"string","nullable":true}`, `string | null`},
	{"invalid schema value", `"string"`, `unknown /* invalid schema */`},
	{"invalid JSON", `{"type":`, `unknown /* invalid schema */`},
}

func TestPrimitives(t *testing.T) { runFeatures(t, primitiveCases) }

var literalCases = []featureCase{
	{"enum strings", `{"type":"string","enum":["a","b"]}`, `"a" | "b"`},
	{"enum mixed", `{"enum":["a",1,true,null]}`, `"a" | 1 | true | null`},
	{"enum duplicates", `{"enum":["a","a"]}`, `"a"`},
	{"enum empty", `{"enum":[]}`, `never`},
	{"enum escapes", `{"enum":["say \"hi\"","a\\b","<&>","line\nbreak"]}`, `"say \"hi\"" | "a\\b" | "<&>" | "line\nbreak"`},
	{"enum numbers kept as written", `{"enum":[1.50,-2,1e3]}`, `1.50 | -2 | 1e3`},
	{"enum extreme numbers", `{"enum":[1e400,12345678901234567890,-0,0.1,-1E-7]}`, `1e400 | 12345678901234567890 | -0 | 0.1 | -1E-7`},
	{"const string", `{"const":"fixed"}`, `"fixed"`},
	{"const wins over type", `{"type":"string","const":"x"}`, `"x"`},
	{"const object", `{"const":{"a":1,"b-c":[true,null]}}`, `{ a: 1; "b-c": [true, null] }`},
	{"const empty object", `{"const":{}}`, `{ [k: string]: never }`},
	{"const array", `{"const":[]}`, `[]`},
	{"enum in array", `{"type":"array","items":{"enum":["x","y"]}}`, `("x" | "y")[]`},
}

func TestLiterals(t *testing.T) { runFeatures(t, literalCases) }

var objectCases = []featureCase{
	{"required and optional", `{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"number"}},"required":["a"]}`,
		`{ a: string; b?: number }`},
	{"property order kept", `{"type":"object","properties":{"z":{"type":"string"},"a":{"type":"string"},"m":{"type":"string"}},"required":["a","m","z"]}`,
		`{ z: string; a: string; m: string }`},
	{"implied object", `{"properties":{"a":{"type":"boolean"}}}`, `{ a?: boolean }`},
	{"plain object", `{"type":"object"}`, `{ [k: string]: unknown }`},
	{"empty properties", `{"type":"object","properties":{}}`, `{ [k: string]: unknown }`},
	{"closed empty object", `{"type":"object","additionalProperties":false}`, `{ [k: string]: never }`},
	{"closed object", `{"type":"object","properties":{"a":{"type":"string"}},"additionalProperties":false}`, `{ a?: string }`},
	{"open object", `{"type":"object","properties":{"a":{"type":"string"}},"additionalProperties":true}`, `{ a?: string }`},
	{"additionalProperties schema", `{"type":"object","additionalProperties":{"type":"number"}}`, `{ [k: string]: number }`},
	{"additionalProperties with properties", `{"type":"object","properties":{"a":{"type":"string"}},"required":["a"],"additionalProperties":{"type":"number"}}`,
		`{ a: string; [k: string]: number | string }`},
	{"additionalProperties with optional property", `{"type":"object","properties":{"a":{"type":"string"}},"additionalProperties":{"type":"number"}}`,
		`{ a?: string; [k: string]: number | string | undefined }`},
	{"additionalProperties empty schema", `{"type":"object","properties":{"a":{"type":"string"}},"additionalProperties":{}}`,
		`{ a?: string; [k: string]: unknown }`},
	{"patternProperties", `{"type":"object","patternProperties":{"^x-":{"type":"string"},"^n-":{"type":"number"}},"additionalProperties":false}`,
		`{ [k: string]: string | number }`},
	{"patternProperties open", `{"type":"object","patternProperties":{"^x-":{"type":"string"}}}`, `{ [k: string]: unknown }`},
	{"patternProperties and additionalProperties", `{"type":"object","patternProperties":{"^x-":{"type":"string"}},"additionalProperties":{"type":"boolean"}}`,
		`{ [k: string]: string | boolean }`},
	{"required without property typed by additionalProperties", `{"type":"object","required":["b"],"additionalProperties":{"type":"number"}}`,
		`{ b: number; [k: string]: number }`},
	{"required without property typed by patternProperties", `{"type":"object","properties":{"a":{"type":"string"}},"required":["a","b"],"patternProperties":{"^b":{"type":"boolean"}},"additionalProperties":false}`,
		`{ a: string; b: boolean; [k: string]: boolean | string }`},
	{"required without property", `{"type":"object","properties":{"a":{"type":"string"}},"required":["a","b"]}`, `{ a: string; b: unknown }`},
	{"non-identifier names quoted", `{"type":"object","properties":{"a-b":{"type":"string"},"1st":{"type":"string"},"$ok":{"type":"string"},"":{"type":"string"},"é":{"type":"string"}}}`,
		`{ "a-b"?: string; "1st"?: string; $ok?: string; ""?: string; "é"?: string }`},
	{"reserved word property", `{"type":"object","properties":{"delete":{"type":"string"},"class":{"type":"string"}},"required":["delete"]}`,
		`{ delete: string; class?: string }`},
	{"prototype-looking names", `{"type":"object","properties":{"__proto__":{"type":"string"},"constructor":{"type":"number"}}}`,
		`{ __proto__?: string; constructor?: number }`},
	{"duplicate property keeps first", `{"type":"object","properties":{"a":{"type":"string"},"a":{"type":"number"}}}`, `{ a?: string }`},
	{"nested object", `{"type":"object","properties":{"a":{"type":"object","properties":{"b":{"type":"string"}},"required":["b"]}},"required":["a"]}`,
		`{ a: { b: string } }`},
	{"long object spans lines", `{"type":"object","properties":{"first_long_property_name":{"type":"string"},"second_long_property_name":{"type":"string"},"third":{"type":"number"}}}`,
		"{\n  first_long_property_name?: string;\n  second_long_property_name?: string;\n  third?: number;\n}"},
	{"nullable object", `{"type":["object","null"],"properties":{"a":{"type":"string"}}}`, `{ a?: string } | null`},
}

func TestObjects(t *testing.T) { runFeatures(t, objectCases) }

var arrayCases = []featureCase{
	{"array of strings", `{"type":"array","items":{"type":"string"}}`, `string[]`},
	{"array without items", `{"type":"array"}`, `unknown[]`},
	{"array items true", `{"type":"array","items":true}`, `unknown[]`},
	{"array items false", `{"type":"array","items":false}`, `[]`},
	{"implied array", `{"items":{"type":"number"}}`, `number[]`},
	{"array of union", `{"type":"array","items":{"type":["string","number"]}}`, `(string | number)[]`},
	{"array of intersection", `{"type":"array","items":{"allOf":[{"properties":{"a":{"type":"string"}}},{"properties":{"b":{"type":"string"}}}]}}`,
		`({ a?: string } & { b?: string })[]`},
	{"nested arrays", `{"type":"array","items":{"type":"array","items":{"type":"number"}}}`, `number[][]`},
	{"prefixItems closed by items false", `{"type":"array","prefixItems":[{"type":"string"},{"type":"number"}],"items":false,"minItems":2}`,
		`[string, number]`},
	{"prefixItems optional elements", `{"type":"array","prefixItems":[{"type":"string"},{"type":"number"}],"items":false}`,
		`[string?, number?]`},
	{"prefixItems open", `{"type":"array","prefixItems":[{"type":"string"}],"minItems":1}`, `[string, ...unknown[]]`},
	{"prefixItems rest schema", `{"type":"array","prefixItems":[{"type":"string"}],"items":{"type":"boolean"},"minItems":1}`,
		`[string, ...boolean[]]`},
	{"pydantic tuple", `{"type":"array","prefixItems":[{"type":"integer"},{"type":"integer"}],"minItems":2,"maxItems":2}`,
		`[number, number]`},
	{"draft-07 tuple", `{"type":"array","items":[{"type":"string"},{"type":"number"}],"additionalItems":false,"minItems":1}`,
		`[string, number?]`},
	{"draft-07 tuple additionalItems schema", `{"type":"array","items":[{"type":"string"}],"additionalItems":{"type":"number"},"minItems":1}`,
		`[string, ...number[]]`},
	{"draft-07 tuple open", `{"items":[{"type":"string"}]}`, `[string?, ...unknown[]]`},
	{"tuple of unions", `{"type":"array","prefixItems":[{"type":["string","null"]}],"items":false}`, `[(string | null)?]`},
	{"tuple maxItems cuts", `{"type":"array","prefixItems":[{"type":"string"},{"type":"number"}],"maxItems":1,"minItems":1}`,
		`[string]`},
}

func TestArrays(t *testing.T) { runFeatures(t, arrayCases) }

var combinatorCases = []featureCase{
	{"anyOf", `{"anyOf":[{"type":"string"},{"type":"number"}]}`, `string | number`},
	{"oneOf", `{"oneOf":[{"type":"string"},{"type":"array","items":{"type":"string"}}]}`, `string | string[]`},
	{"pydantic optional", `{"anyOf":[{"type":"string"},{"type":"null"}],"default":null}`, `string | null`},
	{"allOf", `{"allOf":[{"type":"object","properties":{"a":{"type":"string"}}},{"type":"object","properties":{"b":{"type":"number"}}}]}`,
		`{ a?: string } & { b?: number }`},
	{"allOf of unions", `{"allOf":[{"anyOf":[{"type":"string"},{"type":"number"}]},{"anyOf":[{"type":"string"},{"type":"boolean"}]}]}`,
		`(string | number) & (string | boolean)`},
	{"allOf single", `{"allOf":[{"type":"string"}]}`, `string`},
	{"object type with allOf drops plain object", `{"type":"object","allOf":[{"properties":{"a":{"type":"string"}}}]}`,
		`{ a?: string }`},
	{"properties and oneOf", `{"type":"object","properties":{"kind":{"type":"string"}},"oneOf":[{"properties":{"a":{"type":"string"}},"required":["a"]},{"properties":{"b":{"type":"number"}},"required":["b"]}]}`,
		`{ kind?: string } & ({ a: string } | { b: number })`},
	{"union with unknown is unknown", `{"anyOf":[{"type":"string"},{}]}`, `unknown`},
	{"union drops never", `{"anyOf":[{"type":"string"},false]}`, `string`},
	{"intersection with never", `{"allOf":[{"type":"string"},false]}`, `never`},
	{"union dedupes", `{"oneOf":[{"type":"string"},{"type":"string"}]}`, `string`},
	{"not is ignored", `{"type":"string","not":{"const":"x"}}`, `string`},
}

func TestCombinators(t *testing.T) { runFeatures(t, combinatorCases) }

var refCases = []featureCase{
	{"$defs inline", `{"type":"object","properties":{"a":{"$ref":"#/$defs/A"}},"$defs":{"A":{"type":"string"}}}`,
		`{ a?: string }`},
	{"definitions inline", `{"type":"object","properties":{"a":{"$ref":"#/definitions/A"}},"definitions":{"A":{"type":"number"}}}`,
		`{ a?: number }`},
	{"reused short target repeated", `{"type":"object","properties":{"a":{"$ref":"#/$defs/A"},"b":{"$ref":"#/$defs/A"}},"$defs":{"A":{"enum":["x","y"]}}}`,
		`{ a?: "x" | "y"; b?: "x" | "y" }`},
	{"reused long target named", `{"type":"object","properties":{"a":{"$ref":"#/$defs/Entity"},"b":{"type":"array","items":{"$ref":"#/$defs/Entity"}}},"$defs":{"Entity":{"description":"A thing.","type":"object","properties":{"name":{"type":"string"},"entityType":{"type":"string"},"observations":{"type":"array","items":{"type":"string"}}},"required":["name"]}}}`,
		"/** A thing. */\ntype T_Entity = { name: string; entityType?: string; observations?: string[] };\n{ a?: T_Entity; b?: T_Entity[] }"},
	{"recursive ref", `{"type":"object","properties":{"tree":{"$ref":"#/$defs/Node"}},"$defs":{"Node":{"type":"object","properties":{"value":{"type":"number"},"children":{"type":"array","items":{"$ref":"#/$defs/Node"}}},"required":["value"]}}}`,
		"type T_Node = { value: number; children?: T_Node[] };\n{ tree?: T_Node }"},
	{"ref to root", `{"type":"object","properties":{"name":{"type":"string"},"parent":{"$ref":"#"}}}`,
		"type T_root = { name?: string; parent?: T_root };\nT_root"},
	{"mutual recursion", `{"$ref":"#/$defs/A","$defs":{"A":{"type":"object","properties":{"b":{"$ref":"#/$defs/B"}}},"B":{"type":"object","properties":{"a":{"$ref":"#/$defs/A"}}}}}`,
		"type T_A = { b?: { a?: T_A } };\nT_A"},
	{"unguarded cycle", `{"$ref":"#/$defs/A","$defs":{"A":{"$ref":"#/$defs/B"},"B":{"$ref":"#/$defs/A"}}}`, `unknown`},
	{"self intersection", `{"$defs":{"A":{"allOf":[{"$ref":"#/$defs/A"}],"type":"string"}},"$ref":"#/$defs/A"}`, `string`},
	{"recursive union in array", `{"$defs":{"J":{"anyOf":[{"type":"string"},{"type":"array","items":{"$ref":"#/$defs/J"}}]}},"$ref":"#/$defs/J"}`,
		"type T_J = string | T_J[];\nT_J"},
	{"pointer escapes", `{"type":"object","properties":{"a":{"$ref":"#/$defs/a~1b~0c"},"b":{"$ref":"#/$defs/x%20y"}},"$defs":{"a/b~c":{"type":"string"},"x y":{"type":"number"}}}`,
		`{ a?: string; b?: number }`},
	{"pointer into properties", `{"type":"object","properties":{"a":{"type":"string"},"b":{"$ref":"#/properties/a"}}}`,
		`{ a?: string; b?: string }`},
	{"pointer into array", `{"type":"object","properties":{"a":{"$ref":"#/$defs/L/1"}},"$defs":{"L":[{"type":"string"},{"type":"boolean"}]}}`,
		`{ a?: boolean }`},
	{"anchor", `{"type":"object","properties":{"a":{"$ref":"#item"}},"$defs":{"I":{"$anchor":"item","type":"string"}}}`,
		`{ a?: string }`},
	{"draft-07 id anchor", `{"type":"object","properties":{"a":{"$ref":"#item"}},"definitions":{"I":{"$id":"#item","type":"number"}}}`,
		`{ a?: number }`},
	{"ref with own $id", `{"$id":"https://example.com/s.json","type":"object","properties":{"a":{"$ref":"https://example.com/s.json#/$defs/A"}},"$defs":{"A":{"type":"string"}}}`,
		`{ a?: string }`},
	{"external ref", `{"type":"object","properties":{"a":{"$ref":"other.json#/A"}}}`,
		`{ a?: unknown /* external $ref other.json#/A */ }`},
	{"missing ref", `{"type":"object","properties":{"a":{"$ref":"#/$defs/Nope"}}}`,
		`{ a?: unknown /* unresolved $ref #/$defs/Nope */ }`},
	{"ref with comment marker", `{"type":"object","properties":{"a":{"$ref":"x*/y"}}}`,
		`{ a?: unknown /* external $ref x*\/y */ }`},
	{"ref with siblings", `{"$ref":"#/$defs/A","properties":{"b":{"type":"number"}},"$defs":{"A":{"type":"object","properties":{"a":{"type":"string"}}}}}`,
		`{ a?: string } & { b?: number }`},
	{"pydantic optional ref", `{"type":"object","properties":{"a":{"anyOf":[{"$ref":"#/$defs/A"},{"type":"null"}]}},"$defs":{"A":{"type":"object","properties":{"x":{"type":"string"}}}}}`,
		`{ a?: { x?: string } | null }`},
	{"recursiveRef", `{"type":"object","properties":{"next":{"$recursiveRef":"#"}}}`,
		"type T_root = { next?: T_root };\nT_root"},
}

func TestRefs(t *testing.T) { runFeatures(t, refCases) }

var docCases = []featureCase{
	{"property description", `{"type":"object","properties":{"a":{"type":"string","description":"The A."}}}`,
		"{\n  /** The A. */\n  a?: string;\n}"},
	{"format", `{"type":"object","properties":{"u":{"type":"string","format":"uri"}}}`,
		"{\n  /** (uri) */\n  u?: string;\n}"},
	{"range and default", `{"type":"object","properties":{"n":{"type":"integer","minimum":1,"maximum":10,"default":3,"description":"Count"}}}`,
		"{\n  /** Count (1..10) @default 3 */\n  n?: number;\n}"},
	{"exclusive bounds", `{"type":"object","properties":{"n":{"type":"number","exclusiveMinimum":0,"maximum":1}}}`,
		"{\n  /** (>0, <=1) */\n  n?: number;\n}"},
	{"draft-04 exclusive bounds", `{"type":"object","properties":{"n":{"type":"number","minimum":0,"exclusiveMinimum":true}}}`,
		"{\n  /** (>0) */\n  n?: number;\n}"},
	{"string length and pattern", `{"type":"object","properties":{"s":{"type":"string","minLength":1,"maxLength":64,"pattern":"^[a-z]+$"}}}`,
		"{\n  /** (length 1..64, /^[a-z]+$/) */\n  s?: string;\n}"},
	{"items count", `{"type":"object","properties":{"l":{"type":"array","items":{"type":"string"},"minItems":1,"uniqueItems":true}}}`,
		"{\n  /** (items >=1, unique) */\n  l?: string[];\n}"},
	{"zero minimum length left out", `{"type":"object","properties":{"s":{"type":"string","minLength":0}}}`, `{ s?: string }`},
	{"deprecated", `{"type":"object","properties":{"old":{"type":"string","deprecated":true}}}`,
		"{\n  /** @deprecated */\n  old?: string;\n}"},
	{"long default left out", `{"type":"object","properties":{"u":{"type":"string","default":"https://raw.githubusercontent.com/modelcontextprotocol/servers/main/README.md"}}}`,
		`{ u?: string }`},
	{"nullable format", `{"type":"object","properties":{"u":{"anyOf":[{"type":"string","format":"uri"},{"type":"null"}],"default":null}}}`,
		"{\n  /** (uri) @default null */\n  u?: string | null;\n}"},
	{"description of inlined ref", `{"type":"object","properties":{"a":{"$ref":"#/$defs/A"}},"$defs":{"A":{"type":"string","description":"From the definition."}}}`,
		"{\n  /** From the definition. */\n  a?: string;\n}"},
	{"description of named ref not repeated", `{"type":"object","properties":{"a":{"$ref":"#/$defs/N","description":"A node."}},"$defs":{"N":{"description":"A node.","type":"object","properties":{"next":{"$ref":"#/$defs/N"}}}}}`,
		"/** A node. */\ntype T_N = { next?: T_N };\n{ a?: T_N }"},
	{"description collapsed", `{"type":"object","properties":{"a":{"type":"string","description":"  Line one.\n\n\tLine  two.  "}}}`,
		"{\n  /** Line one. Line two. */\n  a?: string;\n}"},
	{"comment end escaped", `{"type":"object","properties":{"a":{"type":"string","description":"evil */ declare const x: 1; /*"}}}`,
		"{\n  /** evil *\\/ declare const x: 1; /* */\n  a?: string;\n}"},
	{"titles are not shown", `{"type":"object","title":"Args","properties":{"a":{"type":"string","title":"A"}}}`, `{ a?: string }`},
}

func TestDocs(t *testing.T) { runFeatures(t, docCases) }

// allFeatureCases returns every table above, for the tsc check.
func allFeatureCases() []featureCase {
	var all []featureCase
	for _, cs := range [][]featureCase{primitiveCases, literalCases, objectCases, arrayCases, combinatorCases, refCases, docCases} {
		all = append(all, cs...)
	}
	return all
}

// TestHostileSchemas feeds schemas built to blow up time or output: each
// must render quickly to a bounded text.
func TestHostileSchemas(t *testing.T) {
	deep := strings.Repeat(`{"type":"object","properties":{"a":`, 3000) + `{}` + strings.Repeat(`}}`, 3000)
	var laughs strings.Builder // each definition uses the next twice
	laughs.WriteString(`{"$ref":"#/$defs/d0","$defs":{`)
	for i := range 40 {
		fmt.Fprintf(&laughs, `"d%d":{"type":"object","properties":{"x":{"$ref":"#/$defs/d%d"},"y":{"$ref":"#/$defs/d%d"}}},`, i, i+1, i+1)
	}
	laughs.WriteString(`"d40":{"type":"string"}}}`)
	var wide strings.Builder // many properties, many of them duplicates
	wide.WriteString(`{"type":"object","required":[`)
	for i := range 20000 {
		fmt.Fprintf(&wide, `"p%d",`, i%5000)
	}
	wide.WriteString(`"x"],"properties":{`)
	for i := range 20000 {
		fmt.Fprintf(&wide, `"p%d":{"type":"string"},`, i%5000)
	}
	wide.WriteString(`"x":{}}}`)
	refChain := `{"$ref":"#/$defs/a","$defs":{"a":{"$ref":"#/$defs/b"},"b":{"$ref":"#/$defs/c"},"c":{"$ref":"#/$defs/a"}}}`
	for name, schema := range map[string]string{"deep": deep, "laughs": laughs.String(), "wide": wide.String(), "ref chain": refChain} {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			out := TypeOf(json.RawMessage(schema))
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("took %v", d)
			}
			if len(out) > 1<<20 {
				t.Errorf("output is %d bytes", len(out))
			}
		})
	}
}
