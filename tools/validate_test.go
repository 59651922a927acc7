package tools

import (
	"encoding/json"
	"testing"
)

// expectArgs checks the ArgumentError message for args against schema
// ("" means valid), in the style of esbuild's expectPrinted.
func expectArgs(t *testing.T, schema, args, want string) {
	t.Helper()
	sch, err := compileSchema(json.RawMessage(schema))
	if err != nil {
		t.Fatalf("compiling %s: %v", schema, err)
	}
	got := ""
	if _, aerr := validateArgs(sch, "ns.tool", json.RawMessage(args)); aerr != nil {
		got = aerr.Error()
	}
	if got != want {
		t.Errorf("args %s\n got: %s\nwant: %s", args, got, want)
	}
}

func corpusSchema(t *testing.T, server, tool string) string {
	t.Helper()
	for _, tl := range loadCorpus(t, server) {
		if tl.Name == tool {
			return string(tl.InputSchema)
		}
	}
	t.Fatalf("no tool %s.%s in the corpus", server, tool)
	return ""
}

func TestValidateCorpusMessages(t *testing.T) {
	ce := corpusSchema(t, "memory", "create_entities")
	expectArgs(t, ce, `{"entities":[{"name":"a","entityType":"t","observations":[]}]}`, "")
	expectArgs(t, ce, `{}`, "ns.tool: entities: required")
	expectArgs(t, ce, `{"entities":[{"entityType":"t","observations":[]}]}`, "ns.tool: entities[0].name: required")
	expectArgs(t, ce, `{"entities":[{"name":1,"entityType":"t","observations":[]}]}`,
		"ns.tool: entities[0].name: expected string, got number")
	expectArgs(t, ce, `{"entities":[{"name":"a","entityType":"t","observations":["x",2]},{"name":"b","entityType":null,"observations":[]}]}`,
		"ns.tool: entities[0].observations[1]: expected string, got number; entities[1].entityType: expected string, got null")
	expectArgs(t, ce, `{"entities":[{},{}]}`,
		"ns.tool: entities[0].entityType: required; entities[0].name: required; entities[0].observations: required; and 3 more")
	expectArgs(t, ce, `{"entities":"all"}`, "ns.tool: entities: expected array, got string")
	expectArgs(t, ce, `[]`, "ns.tool: expected an object of named arguments, got array")

	ci := corpusSchema(t, "github", "create_issue")
	expectArgs(t, ci, `{"owner":"o","repo":"r","title":"t","label":"bug"}`, `ns.tool: unexpected property "label"`)
	expectArgs(t, ci, `{"owner":"o","repo":"r","title":"t","labels":"bug"}`, `ns.tool: labels: expected array, got string`)
}

func TestValidateReasons(t *testing.T) {
	obj := func(props string) string {
		return `{"type":"object","properties":{` + props + `},"additionalProperties":false}`
	}
	expectArgs(t, obj(`"mode":{"enum":["a","b"]}`), `{"mode":"c","x":1}`,
		`ns.tool: unexpected property "x"; mode: must be one of "a", "b"`)
	expectArgs(t, obj(`"mode":{"const":"a"}`), `{"mode":"c"}`, `ns.tool: mode: must be "a"`)
	expectArgs(t, obj(`"odd key":{"type":"string"}`), `{"odd key":1}`, `ns.tool: ["odd key"]: expected string, got number`)
	expectArgs(t, obj(`"a":{"type":"object","properties":{"b-c":{"type":"integer"}}}`), `{"a":{"b-c":1.5}}`,
		`ns.tool: a["b-c"]: expected integer, got number`)
	expectArgs(t, obj(`"v":{"anyOf":[{"type":"string"},{"type":"null"}]}`), `{"v":1}`,
		"ns.tool: v: expected null or string, got number")
	expectArgs(t, obj(`"v":{"anyOf":[{"type":"string"},{"type":"object","required":["id"]}]}`), `{"v":{}}`,
		"ns.tool: v.id: required")
	expectArgs(t, obj(`"n":{"type":"number","minimum":1,"maximum":10}`), `{"n":0}`, "ns.tool: n: must be >= 1")
	expectArgs(t, obj(`"n":{"type":"number","exclusiveMaximum":2.5}`), `{"n":3}`, "ns.tool: n: must be < 2.5")
	expectArgs(t, obj(`"s":{"type":"string","maxLength":3}`), `{"s":"abcd"}`, "ns.tool: s: must be at most 3 characters long")
	expectArgs(t, obj(`"l":{"type":"array","minItems":1}`), `{"l":[]}`, "ns.tool: l: must have at least 1 items")
	expectArgs(t, obj(`"s":{"type":"string","pattern":"^(?!x)[a-z]+$"}`), `{"s":"xyz"}`, `ns.tool: s: must match pattern "^(?!x)[a-z]+$"`)
	expectArgs(t, obj(`"s":{"type":"string","pattern":"^(?!x)[a-z]+$"}`), `{"s":"abc"}`, "")
	expectArgs(t, `{"type":"object"}`, `not json`, "ns.tool: arguments are not valid JSON")
}

// A schema that does not compile is not enforced, but arguments must
// still be an object.
func TestValidateSloppySchema(t *testing.T) {
	for _, schema := range []string{
		`{"type":"object","properties":{"a":{"type":"strin"}}}`,
		`{"$ref":"https://example.invalid/schema.json"}`,
		`{"type":"object","$ref":"file:///etc/passwd"}`,
		`{"type":`,
	} {
		if _, err := compileSchema(json.RawMessage(schema)); err == nil {
			t.Errorf("schema %s compiled; want an error", schema)
		}
	}
	if _, err := validateArgs(nil, "ns.tool", json.RawMessage(`{"anything":1}`)); err != nil {
		t.Errorf("nil schema: %v", err)
	}
	if _, err := validateArgs(nil, "ns.tool", json.RawMessage(`"x"`)); err == nil {
		t.Error("nil schema accepted a string")
	}
}

func TestValidateEveryCorpusSchemaCompiles(t *testing.T) {
	for _, server := range []string{"memory", "filesystem", "everything", "github", "sequential-thinking"} {
		for _, tl := range loadCorpus(t, server) {
			if _, err := compileSchema(tl.inputSchema()); err != nil {
				t.Errorf("%s.%s: %v", server, tl.Name, err)
			}
		}
	}
}
