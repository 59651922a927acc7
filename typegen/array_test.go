package typegen

import "testing"

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
