package typegen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcp-codemode/mcp-codemode/internal/testenv"
)

// refRelation is what the equivalence test asserts between typegen's type and
// json-schema-to-typescript's for one schema.
type refRelation int

const (
	same     refRelation = iota // mutually assignable
	looser                      // the reference admits more than the schema: ours is assignable to it
	narrower                    // the reference admits less than the schema: it is assignable to ours
	apart                       // the reference both drops and adds constraints: compiled only
)

// equivCase is one schema of the equivalence test.
type equivCase struct {
	name   string
	schema json.RawMessage
	rel    refRelation
	why    string // for anything but same: how the reference departs from JSON Schema
}

// departures are the cases on which json-schema-to-typescript 16.0.0 does
// not say what JSON Schema says, beyond those the zoo's compileOnly notes
// describe: what the equivalence test asserts for each, and why.
var departures = map[string]struct {
	rel refRelation
	why string
}{
	// The reference reads {} (and what it cannot read) as an object.
	"feature/unknown type name":                 {narrower, "an unknown type name becomes an object type"},
	"feature/type array with unknown":           {narrower, "an unknown type name becomes an object type"},
	"feature/empty schema":                      {narrower, "{} becomes an object type, though it admits any value"},
	"feature/empty input":                       {narrower, "{} becomes an object type, though it admits any value"},
	"feature/annotations only":                  {narrower, "{} becomes an object type, though it admits any value"},
	"feature/invalid JSON":                      {narrower, "{} becomes an object type, though it admits any value"},
	"feature/properties say nothing of strings": {narrower, "properties without type make an object type even next to type: string"},
	"e2e/enumInArray":                           {narrower, "a property whose schema is a string (invalid) becomes that string's literal type"},

	// It ignores keywords that narrow the type.
	"feature/enum values the type excludes":                           {looser, "enum and const values are not checked against type"},
	"feature/enum integers":                                           {looser, "enum and const values are not checked against type"},
	"feature/enum with nullable type":                                 {looser, "enum and const values are not checked against type"},
	"feature/const of another type":                                   {looser, "enum and const values are not checked against type"},
	"e2e/disjointType":                                                {looser, "null from a type array is added to an enum that lacks it"},
	"feature/object type drops other alternatives":                    {looser, "type next to anyOf/oneOf/allOf is ignored"},
	"feature/object type kept when the rest is not all object":        {looser, "type next to anyOf/oneOf/allOf is ignored"},
	"feature/not null narrows a type array":                           {looser, "not is ignored"},
	"feature/not anything":                                            {looser, "not is ignored"},
	"feature/not true":                                                {looser, "not is ignored"},
	"feature/not strings or numbers":                                  {narrower, "not is ignored, and the schema becomes an object type"},
	"feature/if then else":                                            {looser, "if/then/else are ignored"},
	"feature/if else":                                                 {apart, "if/then/else are ignored, and the schema becomes an object type"},
	"feature/dependentSchemas":                                        {looser, "dependentSchemas are ignored"},
	"feature/draft-07 schema dependencies":                            {looser, "schema dependencies are ignored"},
	"feature/unevaluatedProperties alone":                             {looser, "unevaluatedProperties is ignored"},
	"feature/unevaluatedProperties false":                             {looser, "unevaluatedProperties is ignored"},
	"feature/required without property":                               {looser, "a required name without a property is dropped"},
	"feature/required without property typed by additionalProperties": {looser, "a required name without a property is dropped"},
	"feature/required without property typed by patternProperties":    {looser, "a required name without a property is dropped"},
	"feature/closed empty object":                                     {looser, "additionalProperties: false without properties becomes {}, which admits any non-null value"},
	"feature/const empty object":                                      {looser, "const {} becomes {}, which admits any non-null value"},
	"feature/array items false":                                       {looser, "items: false becomes never[], which tsc does not equate with the empty tuple []"},
	"feature/patternProperties open":                                  {narrower, "keys that match no pattern are typed with the pattern's schema"},
	"feature/anchored pattern":                                        {narrower, "keys that match no pattern are typed with the pattern's schema"},

	// Tuples: optional elements become unions of closed tuples ([] | [A] |
	// [A, B]), which admit the same values as [A?, B?] but which tsc does
	// not see as equal to it; 2020-12 prefixItems is not read at all.
	"feature/draft-07 tuple":                    {narrower, "optional tuple elements become a union of closed tuples"},
	"feature/draft-07 tuple open":               {narrower, "the tuple is closed, and optional elements become a union of closed tuples"},
	"e2e/arrayAdditionalItems":                  {narrower, "optional tuple elements become a union of closed tuples"},
	"e2e/tupleItemsWithTitles":                  {narrower, "optional tuple elements become a union of closed tuples"},
	"e2e/realWorld.jsonStat":                    {narrower, "optional tuple elements become a union of closed tuples"},
	"feature/prefixItems closed by items false": {apart, "prefixItems (2020-12) is ignored"},
	"feature/prefixItems optional elements":     {apart, "prefixItems (2020-12) is ignored"},
	"feature/prefixItems open":                  {apart, "prefixItems (2020-12) is ignored"},
	"feature/prefixItems rest schema":           {apart, "prefixItems (2020-12) is ignored"},
	"feature/pydantic tuple":                    {apart, "prefixItems (2020-12) is ignored"},
	"feature/tuple of unions":                   {apart, "prefixItems (2020-12) is ignored"},
	"feature/tuple maxItems cuts":               {apart, "prefixItems (2020-12) is ignored"},

	// Schemas it cannot render, or renders wrongly.
	"feature/enum extreme numbers":                           {apart, "numbers are read as JavaScript numbers: 1e400 becomes null, 12345678901234567890 loses digits"},
	"feature/union with unknown is unknown":                  {apart, "anyOf with an empty schema renders nothing"},
	"feature/true schema":                                    {apart, "a boolean schema is read as a file name"},
	"feature/false schema":                                   {apart, "a boolean schema is read as a file name"},
	"feature/invalid schema value":                           {apart, "not a schema"},
	"feature/unguarded cycle":                                {apart, "fails on a $ref cycle through no object"},
	"feature/self intersection":                              {apart, "crashes"},
	"feature/anchor":                                         {apart, "$anchor is not resolved"},
	"feature/ref with own $id":                               {apart, "an absolute $ref to the schema's own $id is fetched"},
	"feature/external ref":                                   {apart, "external $refs are fetched (typegen: unknown, with a comment)"},
	"feature/ref with comment marker":                        {apart, "external $refs are fetched (typegen: unknown, with a comment)"},
	"feature/missing ref":                                    {apart, "fails on an unresolvable $ref (typegen: unknown, with a comment)"},
	"feature/nested $id scopes its refs":                     {apart, "a nested $id is fetched, not resolved in the document"},
	"feature/ref into a nested resource":                     {apart, "a nested $id is fetched, not resolved in the document"},
	"feature/relative $id without a root $id":                {apart, "a nested $id is fetched, not resolved in the document"},
	"feature/recursive nested resource named after its file": {apart, "a nested $id is fetched, not resolved in the document"},
}

// equivCases gathers the schemas compared with the reference: the zoo (from
// the reference's own end-to-end tests, with the departures their
// compileOnly notes describe), every feature-table schema, and the input
// schemas of the corpus.
func equivCases(t *testing.T) []equivCase {
	var cases []equivCase
	for _, z := range loadZoo(t) {
		c := equivCase{name: z.Name, schema: z.Schema, why: z.CompileOnly}
		switch l, n := strings.Contains(z.CompileOnly, "looser"), strings.Contains(z.CompileOnly, "narrower"); {
		case l && n:
			c.rel = apart
		case l:
			c.rel = looser
		case n:
			c.rel = narrower
		case z.CompileOnly != "":
			c.rel = apart
		}
		cases = append(cases, c)
	}
	for _, f := range allFeatureCases() {
		cases = append(cases, equivCase{name: "feature/" + f.name, schema: json.RawMessage(f.schema)})
	}
	for _, path := range corpusFiles(t) {
		ns := loadNamespace(t, path)
		for _, tool := range ns.Tools {
			cases = append(cases, equivCase{name: "corpus/" + ns.Name + "." + tool.Name, schema: tool.InputSchema})
		}
	}
	used := make(map[string]bool)
	for i, c := range cases {
		if d, ok := departures[c.name]; ok {
			cases[i].rel, cases[i].why = d.rel, d.why
			used[c.name] = true
		}
	}
	for name := range departures {
		if !used[name] {
			t.Errorf("departures names %q, which is no case", name)
		}
	}
	return cases
}

// TestReferenceEquivalence renders every equivCase with typegen and with
// json-schema-to-typescript (testdata/reference.mjs), and has tsc check, in
// one run, that the two types admit the same values, or, where the reference
// departs from JSON Schema, that ours is on the schema's side of it.
func TestReferenceEquivalence(t *testing.T) {
	cases := equivCases(t)
	var counts [4]int
	for _, c := range cases {
		counts[c.rel]++
	}
	t.Logf("%d schemas: %d mutually assignable, %d where the reference is looser, %d narrower, %d compiled only",
		len(cases), counts[same], counts[looser], counts[narrower], counts[apart])
	dir := t.TempDir()
	var in []map[string]any
	for _, c := range cases {
		var schema any = json.RawMessage("{}")
		if len(c.schema) > 0 && json.Valid(c.schema) {
			schema = c.schema
		}
		in = append(in, map[string]any{"name": c.name, "schema": schema, "skip": c.rel == apart})
	}
	data, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	casesFile, refFile := filepath.Join(dir, "cases.json"), filepath.Join(dir, "reference.ts")
	if err := os.WriteFile(casesFile, data, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(testenv.Node(t), filepath.Join("testdata", "reference.mjs"), testenv.NodeModules(t), casesFile, refFile)
	if out, err := cmd.CombinedOutput(); err != nil || len(out) > 0 {
		t.Fatalf("reference.mjs: %v\n%s", err, out)
	}
	ref, err := os.ReadFile(refFile)
	if err != nil {
		t.Fatal(err)
	}
	ours := oursFile(cases)
	errs := tscRun(t, map[string]string{"reference.ts": string(ref), "ours.ts": ours, "equiv.ts": equivFile(cases)})
	os.WriteFile("/tmp/tk/ref.ts", ref, 0o644)
	os.WriteFile("/tmp/tk/ours.ts", []byte(ours), 0o644)
	for _, e := range errs {
		c, ok := caseAt(e)
		if !ok {
			t.Errorf("%s", e)
			continue
		}
		dir := "ours is not assignable to the reference's"
		if strings.HasPrefix(e.src, "const ref") {
			dir = "the reference's is not assignable to ours"
		}
		var schema bytes.Buffer
		_ = json.Compact(&schema, cases[c].schema)
		t.Errorf("%s: %s: %s\nschema: %s\nours:\n%s\nreference:\n%s", cases[c].name, dir, e.msg, schema.String(),
			namespaceText(ours, "O", c), namespaceText(string(ref), "R", c))
	}
}

// caseAt returns the case an error in equiv.ts is about.
func caseAt(e tscError) (int, bool) {
	var n int
	if e.file != "equiv.ts" {
		return 0, false
	}
	for _, prefix := range []string{"const ours", "const ref"} {
		if _, err := fmt.Sscanf(strings.TrimPrefix(e.src, prefix), "%d", &n); err == nil && strings.HasPrefix(e.src, prefix) {
			return n, true
		}
	}
	return 0, false
}

// namespaceText returns namespace P<i> of a generated file.
func namespaceText(file, p string, i int) string {
	start := strings.Index(file, fmt.Sprintf("namespace %s%d {\n", p, i))
	if start < 0 {
		return "(none)"
	}
	end := strings.Index(file[start:], "\n}\n")
	if end < 0 {
		return file[start:]
	}
	return file[start : start+end+2]
}

// oursFile declares typegen's type of case i as O<i>.Root.
func oursFile(cases []equivCase) string {
	var b strings.Builder
	for i, c := range cases {
		defs, typ := typeOf(c.schema)
		fmt.Fprintf(&b, "// %s\nnamespace O%d {\n%sexport type Root = %s;\n}\n", lineComment(c.name), i, defs, typ)
	}
	return b.String()
}

// equivFile asserts each case's relation by assignment, so that tsc
// explains a failure; a failing line names the case.
func equivFile(cases []equivCase) string {
	var b strings.Builder
	for i, c := range cases {
		if c.rel == apart {
			continue
		}
		fmt.Fprintf(&b, "// %s: %s\ndeclare const o%d: O%d.Root, r%d: R%d.Root;\n", lineComment(c.name), lineComment(c.why), i, i, i, i)
		if c.rel == same || c.rel == looser {
			fmt.Fprintf(&b, "const ours%d: R%d.Root = o%d;\n", i, i, i)
		}
		if c.rel == same || c.rel == narrower {
			fmt.Fprintf(&b, "const ref%d: O%d.Root = r%d;\n", i, i, i)
		}
	}
	return b.String()
}

// lineComment makes text safe in a line comment.
func lineComment(text string) string {
	return strings.Join(strings.Fields(text), " ")
}
