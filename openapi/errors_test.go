package openapi

import (
	"github.com/mcp-codemode/mcp-codemode/typegen"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// load writes files (name → text) to a new folder and loads the first,
// "api.yaml".
func load(t *testing.T, files map[string]string, o Options) (*API, string, error) {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	o.Spec = filepath.Join(dir, "api.yaml")
	api, err := Load(o)
	return api, dir, err
}

const head = "openapi: 3.0.3\ninfo: {title: T, version: '1'}\nservers: [{url: 'https://api.example.com'}]\n"

// A document that cannot be served is refused with a message naming it,
// the JSON pointer and line, and the fix.
func TestSpecErrors(t *testing.T) {
	for _, tt := range []struct {
		name  string
		files map[string]string
		o     Options
		want  string // DIR stands for the folder
	}{
		{"unparsable", map[string]string{"api.yaml": "openapi: 3.0.3\npaths: [\n"},
			Options{}, "openapi spec DIR/api.yaml: is not an OpenAPI 3.x or Swagger 2.0 document in JSON or YAML: "},
		{"not openapi", map[string]string{"api.yaml": `{"name": "x"}`},
			Options{}, "openapi spec DIR/api.yaml: is not an OpenAPI 3.x or Swagger 2.0 document in JSON or YAML: "},
		{"missing", nil, Options{}, "openapi spec DIR/api.yaml: cannot be read: no such file or directory; check \"spec\" in the entry"},
		{"ref outside the folder", map[string]string{"api.yaml": head + `paths:
  /a:
    get:
      responses:
        "200": {description: ok, content: {application/json: {schema: {$ref: "../b.yaml#/B"}}}}
`}, Options{}, `openapi spec DIR/api.yaml: #/paths/~1a/get/responses/200/content/application~1json/schema/$ref (line 8): "../b.yaml#/B" is outside the spec's folder DIR; only files in that folder (or below) are read: move the file there`},
		{"ref to a URL", map[string]string{"api.yaml": head + `paths:
  /a:
    get:
      parameters: [{$ref: "https://example.com/p.yaml#/P"}]
      responses: {"204": {description: ok}}
`}, Options{}, `openapi spec DIR/api.yaml: #/paths/~1a/get/parameters/0/$ref (line 7): "https://example.com/p.yaml#/P" is a URL; only $refs inside the document and to files beside it are followed: save the referenced document beside the spec and name the file`},
		{"ref to nothing", map[string]string{"api.yaml": head + `paths:
  /a:
    get:
      responses:
        "200": {description: ok, content: {application/json: {schema: {$ref: "#/components/schemas/Pett"}}}}
components: {schemas: {Pet: {type: object}}}
`}, Options{}, `openapi spec DIR/api.yaml: #/paths/~1a/get/responses/200/content/application~1json/schema/$ref (line 8): "#/components/schemas/Pett" does not exist in DIR/api.yaml (no member "Pett"); point the $ref at something that does`},
		{"no server", map[string]string{"api.yaml": "openapi: 3.1.0\ninfo: {title: T, version: '1'}\npaths: {}\n"},
			Options{}, `openapi spec DIR/api.yaml: #/servers: the document names no server to send requests to; set "base_url" in the entry, e.g. "https://api.example.com/v1"`},
		{"operations keeps none", map[string]string{"api.yaml": head + "paths: {/a: {get: {responses: {'204': {description: ok}}}}}\n"},
			Options{Operations: []string{"GET /b/**"}}, `openapi spec DIR/api.yaml: the entry's "operations" keeps none of its 1 operations; check the patterns: "GET /repos/**" (a method and a path, * one segment, ** any) or "issues_*" (a name)`},
		{"duplicate operationId", map[string]string{"api.yaml": head + `paths:
  /a:
    get: {operationId: list, responses: {"204": {description: ok}}}
  /b:
    get: {operationId: list, responses: {"204": {description: ok}}}
`}, Options{}, `openapi spec DIR/api.yaml: #/paths/~1b/get/operationId: operationId "list" is also the operationId of GET /a; operationIds must be unique: rename one in the document, or leave one out with the entry's "operations" (e.g. "!GET /b")`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, dir, err := load(t, tt.files, tt.o)
			want := strings.ReplaceAll(tt.want, "DIR", dir)
			if err == nil || !strings.HasPrefix(err.Error(), want) {
				t.Errorf("got  %v\nwant %s", err, want)
			}
			if _, ok := err.(*SpecError); !ok {
				t.Errorf("%T, want a *SpecError", err)
			}
		})
	}
}

// Operations pass the entry's filter: the duplicate left out, the
// document serves.
func TestFilter(t *testing.T) {
	spec := head + `paths:
  /repos/{o}/issues: {get: {operationId: issues/list, responses: {"204": {description: ok}}}, post: {operationId: issues/create, responses: {"204": {description: ok}}}}
  /repos/{o}: {get: {operationId: repos/get, responses: {"204": {description: ok}}}}
  /users: {get: {operationId: list, responses: {"204": {description: ok}}}}
  /teams: {get: {operationId: list, responses: {"204": {description: ok}}}}
`
	for _, tt := range []struct {
		ops  []string
		want string
	}{
		{nil, ""}, // the duplicate: an error
		{[]string{"GET /repos/**"}, "issues_list repos_get"},
		{[]string{"GET /repos/*"}, "repos_get"},
		{[]string{"issues_*"}, "issues_list issues_create"},
		{[]string{"issues/*", "!POST /**"}, "issues_list"},
		{[]string{"!GET /teams"}, "issues_list issues_create repos_get list"},
		{[]string{"GET /nothing"}, ""}, // an error: keeps none
	} {
		api, _, err := load(t, map[string]string{"api.yaml": spec}, Options{Operations: tt.ops})
		var got []string
		if err == nil {
			for _, op := range api.Operations {
				got = append(got, op.Name)
			}
		}
		if strings.Join(got, " ") != tt.want {
			t.Errorf("%q: got %q (%v), want %q", tt.ops, got, err, tt.want)
		}
	}
}

// Same-folder $refs are followed, with the $refs inside the file they
// reach; a circular schema is a recursive $defs entry; an operation whose
// 2xx answer has no schema returns unknown.
func TestRefsAndCycles(t *testing.T) {
	api, _, err := load(t, map[string]string{
		"api.yaml": head + `paths:
  /node:
    get:
      responses:
        "200": {description: ok, content: {application/json: {schema: {$ref: "schemas/node.yaml#/Node"}}}}
  /ping:
    get: {responses: {"200": {description: ok}}}
`,
		"schemas/node.yaml": `Node:
  type: object
  properties:
    children: {type: array, items: {$ref: "#/Node"}}
    meta: {$ref: "meta.yaml"}
`,
		"schemas/meta.yaml": "type: object\nnullable: true\nproperties: {n: {type: integer, minimum: 0, exclusiveMinimum: true}}\n",
	}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"$ref":"#/$defs/Node","$defs":{"Node":{"type":"object","properties":{"children":{"type":"array","items":{"$ref":"#/$defs/Node"}},"meta":{"$ref":"#/$defs/schema"}}},` +
		`"schema":{"type":["object","null"],"properties":{"n":{"type":"integer","exclusiveMinimum":0}}}}}`
	if got := string(api.Operations[0].Output); got != want {
		t.Errorf("output schema:\n got %s\nwant %s", got, want)
	}
	if api.Operations[1].Name != "get_ping" || api.Operations[1].Output != nil {
		t.Errorf("ping: %s %s, want get_ping with no output schema", api.Operations[1].Name, api.Operations[1].Output)
	}
	decl := typegen.Declarations([]typegen.Namespace{namespace("t", api)}, typegen.Options{})
	if !strings.Contains(decl, "get_node(args?: {}): Promise<t_Node>;") {
		t.Errorf("declarations:\n%s", decl)
	}
}

// YAML aliases cannot make a small document a huge tree: a billion laughs
// is refused at 2,000,000 values, at once.
func TestAliasBomb(t *testing.T) {
	doc := head + `x-a: &a [1,1,1,1,1,1,1,1,1,1]
x-b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]
x-c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]
x-d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]
x-e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]
x-f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]
x-g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]
x-h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g,*g]
x-i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h,*h]
paths:
  /a:
    get:
      responses:
        "200": {description: ok, content: {application/json: {schema: {type: object, default: *i}}}}
`
	_, err := Load(Options{Spec: "x.yaml", Data: []byte(doc)})
	const want = `openapi spec x.yaml: #/paths/~1a/get/responses/200/content/application~1json/schema/default (line 12): the schemas expand to more than 2000000 values (YAML aliases?); write them with $refs instead`
	if err == nil || err.Error() != want {
		t.Errorf("got  %v\nwant %s", err, want)
	}
}

// OpenAPI 3.0's nullable on a schema without a type (oneOf, allOf) makes
// null the other choice.
func TestNullableWithoutType(t *testing.T) {
	api, _, err := load(t, map[string]string{"api.yaml": head + `paths:
  /a:
    get:
      responses:
        "200": {description: ok, content: {application/json: {schema: {nullable: true, oneOf: [{type: string}, {type: integer}]}}}}
`}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"anyOf":[{"oneOf":[{"type":"string"},{"type":"integer"}]},{"type":"null"}]}`
	if got := string(api.Operations[0].Output); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// A document fetched from a URL may name its server relative to itself;
// base_url overrides the document's server.
func TestBaseURL(t *testing.T) {
	doc := []byte("openapi: 3.1.0\ninfo: {title: T, version: '1'}\nservers: [{url: '/api/{v}/', variables: {v: {default: v3}}}]\npaths: {}\n")
	for _, tt := range []struct{ base, want string }{
		{"", "https://specs.example.com/api/v3"},
		{"http://127.0.0.1:8080/x/", "http://127.0.0.1:8080/x"},
	} {
		api, err := Load(Options{Spec: "https://specs.example.com/openapi/api.yaml", Data: doc, BaseURL: tt.base})
		if err != nil || api.BaseURL.String() != tt.want {
			t.Errorf("base_url %q: %v %v, want %s", tt.base, api, err, tt.want)
		}
	}
}

// A readOnly property is required of responses only, a writeOnly one of
// requests only: one schema, converted for each direction.
func TestReadOnlyWriteOnly(t *testing.T) {
	api, _, err := load(t, map[string]string{"api.yaml": head + `paths:
  /users:
    post:
      requestBody: {content: {application/json: {schema: {$ref: "#/components/schemas/User"}}}}
      responses:
        "201": {description: ok, content: {application/json: {schema: {$ref: "#/components/schemas/User"}}}}
components:
  schemas:
    User:
      type: object
      required: [id, name, password]
      properties:
        id: {type: integer, readOnly: true}
        name: {type: string}
        password: {type: string, writeOnly: true}
`}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	op := api.Operations[0]
	for _, tt := range []struct{ schema, want string }{
		{string(op.Input), `"required":["name","password"]`},
		{string(op.Output), `"required":["id","name"]`},
	} {
		if !strings.Contains(tt.schema, tt.want) {
			t.Errorf("%s lacks %s", tt.schema, tt.want)
		}
	}
}
