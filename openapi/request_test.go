package openapi

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const styles = `openapi: 3.0.3
info: {title: T, version: '1'}
servers: [{url: 'https://api.example.com/v2/'}]
paths:
  /a/{label}/{matrix}/{plain}:
    post:
      operationId: styles
      parameters:
        - {name: label, in: path, required: true, style: label, schema: {type: array, items: {type: string}}}
        - {name: matrix, in: path, required: true, style: matrix, explode: true, schema: {type: array, items: {type: string}}}
        - {name: plain, in: path, required: true, schema: {type: object}}
        - {name: space, in: query, style: spaceDelimited, schema: {type: array, items: {type: string}}}
        - {name: pipe, in: query, style: pipeDelimited, schema: {type: array, items: {type: string}}}
        - {name: obj, in: query, schema: {type: object}}
        - {name: flat, in: query, explode: false, schema: {type: object}}
        - {name: raw, in: query, allowReserved: true, schema: {type: string}}
        - {name: plain, in: header, schema: {type: array, items: {type: integer}}}
        - {name: Accept, in: header, schema: {type: string}}
      requestBody:
        content: {application/x-www-form-urlencoded: {schema: {type: object}}}
      responses: {"204": {description: ok}}
  /upload:
    put:
      operationId: upload
      requestBody:
        content: {multipart/form-data: {schema: {type: object}}}
      responses: {"204": {description: ok}}
`

const swagger = `swagger: "2.0"
info: {title: T, version: '1'}
host: api.example.com
basePath: /v1
schemes: [http, https]
consumes: [multipart/form-data]
paths:
  /pets:
    post:
      operationId: addPet
      parameters:
        - {name: tags, in: query, type: array, items: {type: string}, collectionFormat: multi}
        - {name: ids, in: query, type: array, items: {type: integer}}
        - {name: name, in: formData, type: string, required: true}
        - {name: photo, in: formData, type: file}
      responses:
        "200": {description: ok, schema: {type: object, properties: {id: {type: integer, x-nullable: true}}}}
`

func TestRequest(t *testing.T) {
	for _, tt := range []struct {
		spec, op, args string
		want           Request
	}{
		{styles, "styles", `{"label": ["x", "y"], "matrix": ["m", "n/o"], "plain": {"k": "v w"},
			"space": ["a", "b"], "pipe": ["c", "d"], "obj": {"p": 1, "q": true}, "flat": {"r": "s"},
			"raw": "a/b?c&d=e#f+g", "plain_header": [1, 2], "body": {"x": "1 2", "y": ["3", "4"], "z": {"n": null}}}`,
			Request{Method: "POST", URL: "https://api.example.com/v2/a/.x,y/;matrix=m;matrix=n%2Fo/k,v%20w" +
				"?space=a%20b&pipe=c|d&p=1&q=true&flat=r,s&raw=a/b?c%26d%3De%23f%2Bg",
				Header: [][2]string{{"plain", "1,2"}, {"Content-Type", "application/x-www-form-urlencoded"}},
				Body:   []byte("x=1+2&y=3&y=4&z=%7B%22n%22%3Anull%7D")}},
		{swagger, "addPet", `{"tags": ["a", "b"], "ids": [1, 2], "body": {"name": "rex"}}`,
			Request{Method: "POST", URL: "https://api.example.com/v1/pets?tags=a&tags=b&ids=1,2",
				Header: [][2]string{{"Accept", "application/json"}, {"Content-Type", "multipart/form-data; boundary=B"}},
				Body:   []byte("--B\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nrex\r\n--B--\r\n")}},
	} {
		api, _, err := load(t, map[string]string{"api.yaml": tt.spec}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		var op *Operation
		for _, o := range api.Operations {
			if o.Name == tt.op {
				op = o
			}
		}
		got, err := op.Request([]byte(tt.args))
		if err != nil {
			t.Fatalf("%s: %v", tt.op, err)
		}
		if ct := got.Header[len(got.Header)-1][1]; strings.HasPrefix(ct, "multipart/form-data; boundary=") {
			boundary := strings.TrimPrefix(ct, "multipart/form-data; boundary=")
			got.Header[len(got.Header)-1][1] = "multipart/form-data; boundary=B"
			got.Body = []byte(strings.ReplaceAll(string(got.Body), boundary, "B"))
		}
		if diff := cmp.Diff(tt.want, got, cmp.Transformer("string", func(b []byte) string { return string(b) })); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.op, diff)
		}
	}
}

func TestSwaggerSchemas(t *testing.T) {
	api, _, err := load(t, map[string]string{"api.yaml": swagger}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	op := api.Operations[0]
	const in = `{"type":"object","properties":{"tags":{"type":"array","items":{"type":"string"}},"ids":{"type":"array","items":{"type":"integer"}},` +
		`"body":{"type":"object","properties":{"name":{"type":"string"},"photo":{"type":"string"}},"required":["name"]}},"required":["body"],"additionalProperties":false}`
	const out = `{"type":"object","properties":{"id":{"type":["integer","null"]}}}`
	if string(op.Input) != in || string(op.Output) != out {
		t.Errorf("input  %s\nwant   %s\noutput %s\nwant   %s", op.Input, in, op.Output, out)
	}
	if api.BaseURL.String() != "https://api.example.com/v1" {
		t.Errorf("base URL %s", api.BaseURL)
	}
}

// FuzzLoad: no document, however broken, panics or hangs the loader, and
// every schema it gives is JSON.
func FuzzLoad(f *testing.F) {
	f.Add([]byte(styles))
	f.Add([]byte(swagger))
	f.Add([]byte(head + "paths: {/a: {get: {responses: {'200': {content: {application/json: {schema: {$ref: '#/paths/~1a/get/responses/200/content/application~1json/schema'}}}}}}}}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		api, err := Load(Options{Spec: "fuzz.yaml", Data: data, BaseURL: "https://api.example.com"})
		if err != nil {
			return
		}
		for _, op := range api.Operations {
			checkJSON(t, "fuzz", op)
			op.Request([]byte(`{}`))
		}
	})
}

// A path parameter cannot climb out of its operation's path: "." and ".."
// segments are refused, however encoded.
func TestDotSegments(t *testing.T) {
	api, _, err := load(t, map[string]string{"api.yaml": styles}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	op := api.Operations[0]
	for _, v := range []string{`".."`, `"."`, `"a/../b"`, `"%2e%2E"`, `"a\\..\\b"`, `"..%2Fx"`} {
		_, err := op.Request([]byte(`{"label": ["x"], "matrix": ["m"], "plain": {"k": ` + v + `}}`))
		if err == nil || !strings.Contains(err.Error(), `"." and ".." segments would change which operation is called`) {
			t.Errorf("%s: %v", v, err)
		}
	}
	if _, err := op.Request([]byte(`{"label": ["x"], "matrix": ["m"], "plain": {"k": "a.b..c"}}`)); err != nil {
		t.Errorf("a value with dots inside a segment: %v", err)
	}
}
