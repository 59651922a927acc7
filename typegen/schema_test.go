package typegen

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mcp-codemode/mcp-codemode/internal/testenv"
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
	{"empty type array", `{"type":[]}`, `never`},
	{"integer and number merge", `{"type":["integer","number"]}`, `number`},
	{"openapi nullable", `{"type":"string","nullable":true}`, `string | null`},
	{"invalid schema value", `"string"`, `unknown /* invalid schema */`},
	{"invalid JSON", `{"type":`, `unknown /* invalid schema */`},
}

func TestPrimitives(t *testing.T) { runFeatures(t, primitiveCases) }

var combinatorCases = []featureCase{
	{"anyOf", `{"anyOf":[{"type":"string"},{"type":"number"}]}`, `string | number`},
	{"oneOf", `{"oneOf":[{"type":"string"},{"type":"array","items":{"type":"string"}}]}`, `string | string[]`},
	{"pydantic optional", `{"anyOf":[{"type":"string"},{"type":"null"}],"default":null}`, `string | null`},
	{"allOf", `{"allOf":[{"type":"object","properties":{"a":{"type":"string"}}},{"type":"object","properties":{"b":{"type":"number"}}}]}`,
		`{ a?: string } & { b?: number }`},
	{"allOf of unions", `{"allOf":[{"anyOf":[{"type":"string"},{"type":"number"}]},{"anyOf":[{"type":"string"},{"type":"boolean"}]}]}`,
		`string`},
	{"allOf single", `{"allOf":[{"type":"string"}]}`, `string`},
	{"object type with allOf drops plain object", `{"type":"object","allOf":[{"properties":{"a":{"type":"string"}}}]}`,
		`{ a?: string }`},
	{"properties and oneOf", `{"type":"object","properties":{"kind":{"type":"string"}},"oneOf":[{"properties":{"a":{"type":"string"}},"required":["a"]},{"properties":{"b":{"type":"number"}},"required":["b"]}]}`,
		`{ kind?: string } & ({ a: string } | { b: number })`},
	{"union with unknown is unknown", `{"anyOf":[{"type":"string"},{}]}`, `unknown`},
	{"union drops never", `{"anyOf":[{"type":"string"},false]}`, `string`},
	{"intersection with never", `{"allOf":[{"type":"string"},false]}`, `never`},
	{"union dedupes", `{"oneOf":[{"type":"string"},{"type":"string"}]}`, `string`},
	{"disjoint allOf is never", `{"type":"string","allOf":[{"type":"number"}]}`, `never`},
	{"object type drops other alternatives", `{"type":"object","anyOf":[{"type":"string"},{"properties":{"a":{"type":"string"}}}]}`,
		`{ a?: string }`},
	{"properties say nothing of strings", `{"type":"string","allOf":[{"properties":{"a":{"type":"string"}}}]}`, `string`},
	{"object type kept when the rest is not all object", `{"type":"object","allOf":[{"$ref":"#/$defs/S"}],"$defs":{"S":{"type":"string"}}}`, `never`},
	{"type array narrowed by anyOf", `{"type":["string","null"],"anyOf":[{"type":"string","minLength":1},{"type":"number"}]}`, `string`},
	{"not is ignored", `{"type":"string","not":{"const":"x"}}`, `string`},
	{"not null", `{"not":{"type":"null"}}`, `{}`},
	{"not null narrows a type array", `{"type":["string","number","null"],"not":{"type":"null"}}`, `string | number`},
	{"not integer keeps numbers", `{"type":["integer","string"],"not":{"type":"integer"}}`, `number | string`},
	{"not strings or numbers", `{"not":{"type":["string","number"]}}`, `boolean | null | unknown[] | { [k: string]: unknown }`},
	{"not anything", `{"type":"string","not":{}}`, `never`},
	{"not true", `{"not":true}`, `never`},
	{"not false", `{"type":"string","not":false}`, `string`},
	{"if then else", `{"type":"object","properties":{"kind":{"type":"string"}},"if":{"properties":{"kind":{"const":"a"}},"required":["kind"]},"then":{"required":["a"]},"else":{"required":["b"]}}`,
		`{ kind?: string } & ({ kind: "a" } & { a: unknown } | { b: unknown })`},
	{"if else", `{"if":{"type":"string"},"else":{"type":"number"}}`, `string | number`},
	{"if then alone says nothing", `{"type":"object","properties":{"a":{"type":"string"}},"if":{"required":["a"]},"then":{"required":["b"]}}`,
		`{ a?: string }`},
	{"dependentSchemas", `{"type":"object","properties":{"card":{"type":"string"}},"dependentSchemas":{"card":{"properties":{"address":{"type":"string"}},"required":["address"]}}}`,
		`{ card?: string } & ({ card?: undefined } | { address: string })`},
	{"draft-07 schema dependencies", `{"type":"object","properties":{"a":{"type":"number"}},"dependencies":{"a":{"required":["b"]}}}`,
		`{ a?: number } & ({ a?: undefined } | { b: unknown })`},
}

func TestCombinators(t *testing.T) { runFeatures(t, combinatorCases) }

var docCases = []featureCase{
	{"property description", `{"type":"object","properties":{"a":{"type":"string","description":"The A."}}}`,
		"{\n /** The A. */\n a?: string;\n}"},
	{"format", `{"type":"object","properties":{"u":{"type":"string","format":"uri"}}}`,
		"{\n /** (uri) */\n u?: string;\n}"},
	{"range and default", `{"type":"object","properties":{"n":{"type":"integer","minimum":1,"maximum":10,"default":3,"description":"Count"}}}`,
		"{\n /** Count (1..10) @default 3 */\n n?: number;\n}"},
	{"exclusive bounds", `{"type":"object","properties":{"n":{"type":"number","exclusiveMinimum":0,"maximum":1}}}`,
		"{\n /** (>0, <=1) */\n n?: number;\n}"},
	{"draft-04 exclusive bounds", `{"type":"object","properties":{"n":{"type":"number","minimum":0,"exclusiveMinimum":true}}}`,
		"{\n /** (>0) */\n n?: number;\n}"},
	{"string length and pattern", `{"type":"object","properties":{"s":{"type":"string","minLength":1,"maxLength":64,"pattern":"^[a-z]+$"}}}`,
		"{\n /** (length 1..64, /^[a-z]+$/) */\n s?: string;\n}"},
	{"items count", `{"type":"object","properties":{"l":{"type":"array","items":{"type":"string"},"minItems":1,"uniqueItems":true}}}`,
		"{\n /** (items >=1, unique) */\n l?: string[];\n}"},
	{"zero minimum length left out", `{"type":"object","properties":{"s":{"type":"string","minLength":0}}}`, `{ s?: string }`},
	{"deprecated", `{"type":"object","properties":{"old":{"type":"string","deprecated":true}}}`,
		"{\n /** @deprecated */\n old?: string;\n}"},
	{"long default left out", `{"type":"object","properties":{"u":{"type":"string","default":"https://raw.githubusercontent.com/modelcontextprotocol/servers/main/README.md"}}}`,
		`{ u?: string }`},
	{"nullable format", `{"type":"object","properties":{"u":{"anyOf":[{"type":"string","format":"uri"},{"type":"null"}],"default":null}}}`,
		"{\n /** (uri) @default null */\n u?: string | null;\n}"},
	{"description of inlined ref", `{"type":"object","properties":{"a":{"$ref":"#/$defs/A"}},"$defs":{"A":{"type":"string","description":"From the definition."}}}`,
		"{\n /** From the definition. */\n a?: string;\n}"},
	{"description of named ref not repeated", `{"type":"object","properties":{"a":{"$ref":"#/$defs/N","description":"A node."}},"$defs":{"N":{"description":"A node.","type":"object","properties":{"next":{"$ref":"#/$defs/N"}}}}}`,
		"/** A node. */\ntype T_N = { next?: T_N };\n{ a?: T_N }"},
	{"description collapsed", `{"type":"object","properties":{"a":{"type":"string","description":"  Line one.\n\n\tLine  two.  "}}}`,
		"{\n /** Line one. Line two. */\n a?: string;\n}"},
	{"comment end escaped", `{"type":"object","properties":{"a":{"type":"string","description":"evil */ declare const x: 1; /*"}}}`,
		"{\n /** evil *\\/ declare const x: 1; /* */\n a?: string;\n}"},
	{"titles restating the name are not shown", `{"type":"object","title":"Args","properties":{"a":{"type":"string","title":"A"},"per_page":{"type":"integer","title":"Per Page"}}}`,
		`{ a?: string; per_page?: number }`},
	{"title stands in for a missing description", `{"type":"object","properties":{"q":{"type":"string","title":"Search query"},"r":{"type":"string","title":"R title","description":"The r."}}}`,
		"{\n /** Search query */\n q?: string;\n /** The r. */\n r?: string;\n}"},
	{"dependentRequired", `{"type":"object","properties":{"card":{"type":"string"},"cvc":{"type":"string"}},"dependentRequired":{"card":["cvc","zip"]}}`,
		"{\n /** (requires cvc, zip) */\n card?: string;\n cvc?: string;\n}"},
	{"draft-07 array dependencies", `{"type":"object","properties":{"card":{"type":"string"}},"dependencies":{"card":["cvc"]}}`,
		"{\n /** (requires cvc) */\n card?: string;\n}"},
	{"multipleOf and contentEncoding", `{"type":"object","properties":{"n":{"type":"number","multipleOf":0.5},"b":{"type":"string","contentEncoding":"base64"}}}`,
		"{\n /** (multiple of 0.5) */\n n?: number;\n /** (base64) */\n b?: string;\n}"},
	{"propertyNames pattern and property count", `{"type":"object","properties":{"m":{"type":"object","propertyNames":{"pattern":"^x-","maxLength":20},"minProperties":1}}}`,
		"{\n /** (keys >=1, keys length <=20, keys /^x-/) */\n m?: { [k: string]: unknown };\n}"},
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
			if d := time.Since(start); d > testenv.Within(500*time.Millisecond) {
				t.Errorf("took %v", d)
			}
			if len(out) > 1<<20 {
				t.Errorf("output is %d bytes", len(out))
			}
		})
	}
}
