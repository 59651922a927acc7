package typegen

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mcp-codemode/mcp-codemode/internal/toolsfile"
)

// loadNamespace reads a tools/list file and names the namespace after the
// file's base name up to the first '.', as `mcp-codemode types --tools` does.
func loadNamespace(t testing.TB, path string) Namespace {
	t.Helper()
	f, err := toolsfile.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	base, _, _ := strings.Cut(filepath.Base(path), ".")
	names := MethodNames(f.Names())
	ns := Namespace{Name: NamespaceNames([]string{base})[0]}
	for i, tool := range f.Tools {
		ns.Tools = append(ns.Tools, Tool{
			Name:         names[i],
			Description:  tool.Description,
			InputSchema:  tool.InputSchema,
			OutputSchema: tool.OutputSchema,
		})
	}
	return ns
}

func corpusFiles(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "corpus", "*.tools.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus files: %v", err)
	}
	return files
}

// TestGolden compares the declarations of every corpus file with
// testdata/NAME.golden. UPDATE_GOLDEN=1 rewrites them.
func TestGolden(t *testing.T) {
	for _, path := range corpusFiles(t) {
		ns := loadNamespace(t, path)
		t.Run(ns.Name, func(t *testing.T) {
			got := Declarations([]Namespace{ns}, Options{})
			golden := filepath.Join("testdata", strings.TrimSuffix(filepath.Base(path), ".tools.json")+".golden")
			if os.Getenv("UPDATE_GOLDEN") != "" {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run UPDATE_GOLDEN=1 go test ./typegen/ to create it)", err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("%s is stale (-want +got); run UPDATE_GOLDEN=1 go test ./typegen/ after checking:\n%s", golden, diff)
			}
		})
	}
}

// TestDeterministic checks that the same tools give byte-identical
// declarations run after run (Go's map order differs every time), and when
// the keywords of every schema come in another order, as producers writing
// from maps give them. The order of properties is kept: it is the order the
// model reads them in.
func TestDeterministic(t *testing.T) {
	ns := []Namespace{zooNamespace(t), featureNamespace()}
	for _, path := range corpusFiles(t) {
		ns = append(ns, loadNamespace(t, path))
	}
	first := Declarations(ns, Options{})
	for range 5 {
		if got := Declarations(ns, Options{}); got != first {
			t.Fatal("Declarations is not deterministic")
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 3 {
		shuffled := make([]Namespace, len(ns))
		for i, n := range ns {
			n.Tools = slices.Clone(n.Tools)
			for j := range n.Tools {
				n.Tools[j].InputSchema = shuffleKeywords(t, n.Tools[j].InputSchema, rng)
				n.Tools[j].OutputSchema = shuffleKeywords(t, n.Tools[j].OutputSchema, rng)
			}
			shuffled[i] = n
		}
		if diff := cmp.Diff(first, Declarations(shuffled, Options{})); diff != "" {
			t.Fatalf("declarations depend on keyword order (-in order +shuffled):\n%s", diff)
		}
	}
}

// shuffleKeywords re-encodes a schema with the keywords of every schema in
// it shuffled. Objects with a duplicate key keep their order: the last of
// them is the one that counts.
func shuffleKeywords(t *testing.T, raw json.RawMessage, rng *rand.Rand) json.RawMessage {
	var p parser
	v, err := p.parse(raw)
	if err != nil || v == nil {
		return raw
	}
	shuffleSchema(v, rng)
	return json.RawMessage(jsonText(v))
}

func shuffleSchema(v *value, rng *rand.Rand) {
	for _, e := range v.elems() {
		shuffleSchema(e, rng)
	}
	if v.kind != kObject {
		return
	}
	for i, k := range v.keys {
		switch c := v.vals[i]; {
		case isSchemaMap(k) && c.kind == kObject:
			for _, m := range c.vals {
				shuffleSchema(m, rng)
			}
		case isSchemaKeyword(k):
			shuffleSchema(c, rng)
		}
	}
	if len(slices.Compact(slices.Sorted(slices.Values(v.keys)))) < len(v.keys) {
		return
	}
	rng.Shuffle(len(v.keys), func(i, j int) {
		v.keys[i], v.keys[j] = v.keys[j], v.keys[i]
		v.vals[i], v.vals[j] = v.vals[j], v.vals[i]
	})
}

func ExampleDeclarations() {
	fmt.Print(Declarations([]Namespace{{
		Name:        "weather",
		Description: "Forecasts from the weather service.",
		Tools: []Tool{{
			Name:        "forecast",
			Description: "Get the forecast for a city.",
			InputSchema: json.RawMessage(`{"type":"object","properties":{
				"city":{"type":"string","description":"City name"},
				"days":{"type":"integer","minimum":1,"maximum":7,"default":3}},
				"required":["city"]}`),
			OutputSchema: json.RawMessage(`{"type":"object","properties":{
				"days":{"type":"array","items":{"type":"object","properties":{
					"date":{"type":"string","format":"date"},"high":{"type":"number"},"low":{"type":"number"}},
					"required":["date","high","low"]}}},"required":["days"]}`),
		}, {
			Name:        "delete",
			Description: "Forget the saved cities.",
		}},
	}}, Options{}))
	// Output:
	// /** Forecasts from the weather service. */
	// declare const weather: {
	// /** Get the forecast for a city. */
	// forecast(args: {
	//  /** City name */
	//  city: string;
	//  /** (1..7) @default 3 */
	//  days?: number;
	// }): Promise<{
	//  days: {
	//   /** (date) */
	//   date: string;
	//   high: number;
	//   low: number;
	//  }[];
	// }>;
	// /** Forget the saved cities. */
	// delete(args?: {}): Promise<unknown>;
	// };
}

func ExampleTypeOf() {
	fmt.Println(TypeOf(json.RawMessage(`{"type":"object","properties":{
		"tags":{"type":"array","items":{"type":"string"},"uniqueItems":true},
		"parent":{"$ref":"#"}},"required":["tags"]}`)))
	fmt.Println(TypeOf(json.RawMessage(`{"type":["string","null"],"enum":["low","high",null,3]}`)))
	// Output:
	// type T_root = {
	//  /** (unique) */
	//  tags: string[];
	//  parent?: T_root;
	// };
	// T_root
	// "low" | "high" | null
}

// keywordNamespace has a tool named after every JavaScript and TypeScript
// keyword, which all must be callable as methods: github.delete(...).
func keywordNamespace() Namespace {
	words := strings.Fields(`new constructor get set readonly declare async static delete typeof in
		keyof infer unique abstract public private protected is asserts accessor function class void
		this import export default yield await let var const enum interface type namespace module
		require global symbol string number any never unknown object boolean undefined null true
		false super with satisfies as of from __proto__ prototype toString hasOwnProperty then`)
	ns := Namespace{Name: "keywords"}
	for _, w := range MethodNames(words) {
		ns.Tools = append(ns.Tools, Tool{Name: w, InputSchema: json.RawMessage(`{"type":"object","properties":{"` + w + `":{"type":"string"}}}`)})
	}
	for _, odd := range []string{"", "a-b", "1x", "*/"} { // names a careless caller did not sanitise
		ns.Tools = append(ns.Tools, Tool{Name: odd})
	}
	return ns
}

func TestMethodNew(t *testing.T) {
	got := Declarations([]Namespace{{Name: "n", Tools: []Tool{{Name: "new"}, {Name: "delete"}}}}, Options{})
	want := "declare const n: {\n\"new\"(args?: {}): Promise<unknown>;\ndelete(args?: {}): Promise<unknown>;\n};\n"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestDescriptionsOnce checks that no description is written twice in a
// namespace: arguments leave out a description already shown for a property
// of the same name, and result types any description already shown.
func TestDescriptionsOnce(t *testing.T) {
	entity := `{"type":"object","properties":{"name":{"type":"string","description":"The entity's name"}},"required":["name"]}`
	ns := Namespace{Name: "kg", Tools: []Tool{
		{Name: "add", InputSchema: json.RawMessage(entity), OutputSchema: json.RawMessage(entity)},
		{Name: "get", InputSchema: json.RawMessage(entity),
			OutputSchema: json.RawMessage(`{"type":"object","properties":{"name":{"type":"string","description":"The entity's name"},"size":{"type":"integer","description":"Bytes"}}}`)},
		{Name: "rename", InputSchema: json.RawMessage(`{"type":"object","properties":{"to":{"type":"string","description":"The entity's name"}}}`)},
	}}
	want := `declare const kg: {
add(args: {
 /** The entity's name */
 name: string;
}): Promise<{ name: string }>;
get(args: { name: string }): Promise<{
 name?: string;
 /** Bytes */
 size?: number;
}>;
rename(args?: {
 /** The entity's name */
 to?: string;
}): Promise<unknown>;
};
`
	if diff := cmp.Diff(want, Declarations([]Namespace{ns}, Options{})); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
