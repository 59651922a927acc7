package tools

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mcp-codemode/mcp-codemode/config"
)

const petSpec = `openapi: 3.0.3
info: {title: Pets, description: A pet store.}
servers: [{url: "https://pets.invalid/v1"}]
paths:
  /pets/{name}:
    parameters:
      - {name: name, in: path, required: true, schema: {type: string}}
    get:
      operationId: getPet
      summary: Get a pet.
      parameters:
        - {name: X-Trace, in: header, schema: {type: string}}
        - {name: tags, in: query, schema: {type: array, items: {type: string}}}
        - {name: page, in: query, style: form, explode: false, schema: {type: array, items: {type: integer}}}
        - {name: filter, in: query, style: deepObject, schema: {type: object, additionalProperties: {type: string}}}
        - {name: session, in: cookie, schema: {type: string}}
      responses:
        "200": {description: ok, content: {application/json: {schema: {$ref: "#/components/schemas/Pet"}}}}
        "404": {description: missing}
    delete:
      operationId: delete-pet
      responses: {"204": {description: gone}}
  /pets:
    post:
      operationId: createPet
      requestBody:
        required: true
        content: {application/json: {schema: {$ref: "#/components/schemas/Pet"}}}
      responses:
        "201": {description: made, content: {application/json: {schema: {$ref: "#/components/schemas/Pet"}}}}
components:
  schemas:
    Pet:
      type: object
      required: [name]
      properties:
        name: {type: string}
        owner: {type: string, nullable: true}
        parent: {$ref: "#/components/schemas/Pet"}
`

// petAPI is a mock of the pet store: it answers with what it was sent.
func petAPI(t *testing.T, calls *atomic.Int64) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		if strings.HasSuffix(r.URL.EscapedPath(), "/missing") {
			w.WriteHeader(http.StatusNotFound)
			json.NewEncoder(w).Encode(map[string]string{"message": "Not Found", "auth": r.Header.Get("Authorization")})
			return
		}
		if r.Method == "DELETE" {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"name": "echo", "method": r.Method, "path": r.URL.EscapedPath(),
			"query": r.URL.RawQuery, "trace": r.Header.Get("X-Trace"), "cookie": r.Header.Get("Cookie"),
			"auth": r.Header.Get("Authorization"), "version": r.Header.Get("X-Api-Version"),
			"type": r.Header.Get("Content-Type"), "body": string(body)})
	}))
}

func petRegistry(t *testing.T, s config.Server) *Registry {
	t.Helper()
	dir := t.TempDir()
	if s.Spec == "" {
		s.Spec = filepath.Join(dir, "pets.yaml")
		if err := os.WriteFile(s.Spec, []byte(petSpec), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	s.Name, s.Type = cmpOr(s.Name, "pets"), config.OpenAPI
	r := NewRegistry(Options{Logger: testLogger(t), Secrets: []string{"s3cret-token"}})
	t.Cleanup(func() { r.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if st := r.Connect(ctx, []config.Server{s}); st[0].Err != nil {
		t.Fatal(st[0].Err)
	}
	return r
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func callPath(t *testing.T, r *Registry, path, args string) (map[string]any, error) {
	t.Helper()
	for _, e := range r.Entries() {
		if e.Path() == path {
			out, err := r.Call(context.Background(), e.ID, json.RawMessage(args))
			if err != nil {
				return nil, err
			}
			var v map[string]any
			if string(out) != "null" {
				if err := json.Unmarshal(out, &v); err != nil {
					t.Fatalf("%s: %s: %v", path, out, err)
				}
			}
			return v, nil
		}
	}
	t.Fatalf("no tool %s", path)
	return nil, nil
}

// Each operation is a tool: parameters by name, percent-encoded path,
// query styles, header and cookie, JSON body; the entry's secret header is
// injected and scrubbed from what comes back, its plain one sent as is.
func TestOpenAPICalls(t *testing.T) {
	var calls atomic.Int64
	srv := petAPI(t, &calls)
	defer srv.Close()
	r := petRegistry(t, config.Server{BaseURL: srv.URL + "/v1", AllowPrivate: true,
		Headers: map[string]string{"Authorization": "Bearer s3cret-token", "X-Api-Version": "2022-11-28"}})

	got, err := callPath(t, r, "pets.getPet", `{"name": "a/b c", "tags": ["x", "y z"], "page": [1, 2],
		"filter": {"kind": "cat"}, "X-Trace": "t1", "session": "abc"}`)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"name": "echo", "method": "GET", "path": "/v1/pets/a%2Fb%20c",
		"query": "tags=x&tags=y%20z&page=1,2&filter%5Bkind%5D=cat", "trace": "t1", "cookie": "session=abc",
		"auth": "[redacted]", "version": "2022-11-28", "type": "", "body": ""}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("getPet (-want +got):\n%s", diff)
	}

	got, err = callPath(t, r, "pets.createPet", `{"body": {"name": "rex", "owner": null}}`)
	if err != nil {
		t.Fatal(err)
	}
	if got["body"] != `{"name": "rex", "owner": null}` || got["type"] != "application/json" || got["method"] != "POST" {
		t.Errorf("createPet sent %v", got)
	}

	got, err = callPath(t, r, "pets.delete_pet", `{"name": "rex"}`)
	if err != nil || got != nil {
		t.Errorf("delete_pet = %v, %v; want null", got, err)
	}

	_, err = callPath(t, r, "pets.getPet", `{"name": "missing"}`)
	var he *HTTPError
	if !errors.As(err, &he) || he.ErrorName() != "HttpError" || he.Status != 404 {
		t.Fatalf("getPet missing: %T %v, want an HttpError 404", err, err)
	}
	const wantMsg = `pets.getPet: 404 Not Found (GET /pets/{name}): {"auth":"[redacted]","message":"Not Found"}`
	if he.Error() != wantMsg {
		t.Errorf("error:\n got %s\nwant %s", he.Error(), wantMsg)
	}

	_, err = callPath(t, r, "pets.createPet", `{"body": {"owner": "x"}}`)
	var ae *ArgumentError
	if !errors.As(err, &ae) || !strings.Contains(err.Error(), "pets.createPet: body.name: required") {
		t.Errorf("createPet without a name: %v, want the argument error", err)
	}
	if n := calls.Load(); n != 4 {
		t.Errorf("the API got %d calls, want 4 (the invalid one never sent)", n)
	}
}

// The tools carry the document's names, schemas and annotations.
func TestOpenAPITools(t *testing.T) {
	r := petRegistry(t, config.Server{BaseURL: "https://pets.invalid/v1"})
	var names []string
	for _, e := range r.Entries() {
		names = append(names, e.Path())
		if e.Name == "delete-pet" || e.Name == "delete_pet" {
			if !*e.Annotations.DestructiveHint || *e.Annotations.ReadOnlyHint {
				t.Errorf("delete_pet annotations %+v, want destructive", e.Annotations)
			}
		}
		if e.Name == "getPet" && (!*e.Annotations.ReadOnlyHint || e.Description != "Get a pet (GET /pets/{name})") {
			t.Errorf("getPet: %q %+v", e.Description, e.Annotations)
		}
	}
	if diff := cmp.Diff([]string{"pets.createPet", "pets.delete_pet", "pets.getPet"}, names); diff != "" {
		t.Errorf("tools (-want +got):\n%s", diff)
	}
}

// Without allow_private the entry's requests never reach a loopback
// address; the call fails and says why.
func TestOpenAPIPrivateRefused(t *testing.T) {
	var calls atomic.Int64
	srv := petAPI(t, &calls)
	defer srv.Close()
	r := petRegistry(t, config.Server{BaseURL: srv.URL})
	_, err := callPath(t, r, "pets.getPet", `{"name": "a"}`)
	var ue *UpstreamError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), `is a loopback address; mcpServers.pets (127.0.0.1) does not set "allow_private": true`) || calls.Load() != 0 {
		t.Errorf("got %v (%d calls), want an UpstreamError naming the private address and no call", err, calls.Load())
	}
}

// A document that cannot be served leaves its entry out, said in
// Unavailable with the spec, the pointer and the fix; the others work.
func TestOpenAPIBadSpec(t *testing.T) {
	dir := t.TempDir()
	good, bad := filepath.Join(dir, "pets.yaml"), filepath.Join(dir, "bad.yaml")
	os.WriteFile(good, []byte(petSpec), 0o600)
	os.WriteFile(bad, []byte("openapi: 3.1.0\ninfo: {title: T, version: '1'}\npaths: {}\n"), 0o600)
	r := NewRegistry(Options{Logger: testLogger(t)})
	defer r.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st := r.Connect(ctx, []config.Server{
		{Name: "bad", Type: config.OpenAPI, Spec: bad},
		{Name: "pets", Type: config.OpenAPI, Spec: good},
	})
	if st[0].Err == nil || st[1].Err != nil || st[1].Tools != 3 || st[0].Transport != "openapi" {
		t.Fatalf("statuses %+v", st)
	}
	want := []string{`bad (not connected: openapi spec ` + bad + `: #/servers: the document names no server to send requests to; set "base_url" in the entry, e.g. "https://api.example.com/v1"; retried in the background)`}
	if diff := cmp.Diff(want, r.Unavailable()); diff != "" {
		t.Errorf("unavailable (-want +got):\n%s", diff)
	}
}

// A spec named by an https URL is fetched through the egress guards: a
// loopback address is refused without allow_private, and nothing is asked.
func TestOpenAPISpecURLGuarded(t *testing.T) {
	var calls atomic.Int64
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { calls.Add(1) }))
	defer srv.Close()
	r := NewRegistry(Options{Logger: testLogger(t)})
	defer r.Close()
	st := r.Connect(context.Background(), []config.Server{{Name: "api", Type: config.OpenAPI, Spec: srv.URL + "/openapi.json", Timeout: time.Minute}})
	want := `openapi spec ` + srv.URL + `/openapi.json cannot be fetched: fetch: GET ` + srv.URL + `/openapi.json is not allowed: 127.0.0.1 is a loopback address; mcpServers.api.spec (127.0.0.1) does not set "allow_private": true`
	if st[0].Err == nil || st[0].Err.Error() != want || calls.Load() != 0 {
		t.Errorf("got  %v (%d requests)\nwant %s", st[0].Err, calls.Load(), want)
	}
}
